/**
 * What an outside probe of the service found, each kept as a test: hidden statuses in call
 * history, suggestions in production, JWT roles, subjects and lifetimes, ill-formed Unicode,
 * unreadable text, and slow clients.
 */
import net from "node:net";
import { SignJWT } from "jose";
import { graphqlDefaults } from "../../src/config";
import {
  describeEachDatabaseKind,
  expectError,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";

const JWT_SECRET = "a-shared-secret-of-at-least-32-bytes!";
const now = () => Math.floor(Date.now() / 1000);

/** A signed HS256 token; `claims` may override or (with null) drop any standard claim. */
function jwt(claims: Record<string, unknown>): Promise<string> {
  const payload: Record<string, unknown> = { sub: "user-1", iat: now(), exp: now() + 300 };
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete payload[name];
    else payload[name] = value;
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(JWT_SECRET));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectUnauthenticated(response: GraphQLResponse, message?: RegExp) {
  expect(response.status).toBe(401);
  const error = expectError(response, "UNAUTHENTICATED");
  if (message) expect(error.message).toMatch(message);
}

describeEachDatabaseKind("hardening", (kind) => {
  const server = new TestServer(kind);
  beforeAll(() =>
    server.start({
      // Production's exposure (no introspection, so no suggestions), on a test app.
      graphql: { ...graphqlDefaults("production"), maxAliases: 1000, maxTokens: 100_000 },
      auth: {
        apiKeyCacheSeconds: 5,
        jwt: {
          secret: JWT_SECRET,
          roleClaim: "role",
          maxAgeSeconds: 3600,
          accountClaim: "account",
        },
      },
    }),
  );
  afterAll(() => server.stop());

  describe("call history and statuses hidden from the caller", () => {
    let agentKey: string;
    let aiKey: string;
    beforeAll(async () => {
      agentKey = await server.createKey("AGENT");
      aiKey = await server.createKey("AI_AGENT");
      const { createLead } = await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "History" }) { id } }`,
      );
      // voicemail: hidden from agents and AI agents; qualified: open to both.
      for (const code of ["voicemail", "qualified"]) {
        await server.ok(
          `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
          { input: { leadId: createLead.id, callStatusCode: code } },
        );
      }
    });

    const HISTORY = `{ calls(first: 100) { edges { node {
      outcome { code title }
      status { code title description agentVisibility showToAiAgents }
    } } } }`;
    type History = {
      calls: {
        edges: Array<{
          node: {
            outcome: { code: string; title: string };
            status: { code: string; description: string | null } | null;
          };
        }>;
      };
    };
    const nodeFor = (data: History, code: string) =>
      data.calls.edges.map((e) => e.node).find((n) => n.outcome.code === code)!;

    it.each([
      ["AGENT", () => agentKey],
      ["AI_AGENT", () => aiKey],
    ])(
      "names a hidden outcome to %s by code and title, and nothing else of it",
      async (_role, key) => {
        const data = await server.ok<History>(HISTORY, undefined, { "x-api-key": key() });
        const hidden = nodeFor(data, "voicemail");
        expect(hidden.outcome).toEqual({ code: "voicemail", title: "Voicemail" });
        expect(hidden.status).toBeNull();
        const open = nodeFor(data, "qualified");
        expect(open.outcome.code).toBe("qualified");
        expect(open.status?.code).toBe("qualified");
      },
    );

    it("shows every status in full to ADMIN", async () => {
      const data = await server.ok<History>(HISTORY);
      expect(nodeFor(data, "voicemail").status?.code).toBe("voicemail");
      expect(nodeFor(data, "voicemail").status?.description).toEqual(expect.any(String));
    });
  });

  describe("suggestions in production", () => {
    it.each([
      ["an enum literal", `mutation { createApiKey(input: {name: "x", role: ADMI}) { secret } }`],
      ["a type enum literal", `{ callStatuses(filter: { type: SYSTM }) { code } }`],
    ])("gives none for %s", async (_what, query) => {
      const response = await server.gql(query);
      expect(response.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(response.errors)).not.toMatch(/Did you mean|ADMIN"|SYSTEM"/);
    });

    it("gives none for an enum value in variables", async () => {
      const response = await server.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
        { input: { name: "x", role: "ADMI" } },
      );
      const error = expectError(response, "BAD_USER_INPUT", "role");
      expect(JSON.stringify(error)).not.toMatch(/Did you mean|"ADMIN/);
      const tool = await server.gql(
        `query($f: ToolFormat!) { callOutcomeTool(format: $f) { name } }`,
        {
          f: "OPENAJ",
        },
      );
      expect(JSON.stringify(tool.errors)).not.toMatch(/Did you mean|OPENAI/);
    });
  });

  describe("JWT", () => {
    it.each([
      ["dotless i", "adm\u0131n"],
      ["long s", "\u017Fystem"],
      ["Kelvin sign", "\u212Aey"],
    ])("compares roles exactly, refusing one spelled with a %s", async (_what, role) => {
      expectUnauthenticated(
        await server.gql(`{ viewer { role } }`, undefined, bearer(await jwt({ role }))),
        /claim must be one of/,
      );
    });

    it("still folds ASCII case", async () => {
      const response = await server.gql(
        `{ viewer { role } }`,
        undefined,
        bearer(await jwt({ role: "admin" })),
      );
      expect(response.data).toEqual({ viewer: { role: "ADMIN" } });
    });

    it("keeps subjects in their own namespace, apart from API keys' actors", async () => {
      const { viewer } = await server.ok<{ viewer: { actorId: string } }>(`{ viewer { actorId } }`);
      expect(viewer.actorId).toMatch(/^key:\d+$/);
      const { createLead } = await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Namespaced" }) { id } }`,
      );
      const record = `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id recordedBy } } }`;
      const input = {
        leadId: createLead.id,
        callStatusCode: "qualified",
        idempotencyKey: "shared-key",
      };
      const byKey = await server.ok<{ recordCallResult: { call: { id: string } } }>(record, {
        input,
      });
      // A token whose subject spells the key's actor id is somebody else.
      const token = await jwt({ role: "ADMIN", sub: viewer.actorId });
      const me = await server.ok<{ viewer: { actorId: string } }>(
        `{ viewer { actorId } }`,
        undefined,
        bearer(token),
      );
      expect(me.viewer.actorId).toBe(`jwt:${viewer.actorId}`);
      const byToken = await server.ok<{
        recordCallResult: { call: { id: string; recordedBy: string } };
      }>(record, { input }, bearer(token));
      expect(byToken.recordCallResult.call.id).not.toBe(byKey.recordCallResult.call.id);
      expect(byToken.recordCallResult.call.recordedBy).toBe(`jwt:${viewer.actorId}`);
    });

    it("refuses an empty subject", async () => {
      expectUnauthenticated(
        await server.gql(
          `{ viewer { role } }`,
          undefined,
          bearer(await jwt({ role: "ADMIN", sub: "" })),
        ),
        /subject/,
      );
    });

    it.each([
      ["without iat", { iat: null }, /issue time/],
      ["issued in the future", { iat: now() + 600, exp: now() + 900 }, /issue time/],
      ["living far longer than allowed", { exp: 9e15 }, /lives too long/],
      ["living longer than allowed", { exp: now() + 3600 + 120 }, /lives too long/],
      ["issued longer ago than allowed", { iat: now() - 7200, exp: now() + 60 }, /expired/],
    ])("refuses a token %s", async (_what, claims, message) => {
      const token = await jwt({ role: "ADMIN", ...claims });
      expectUnauthenticated(
        await server.gql(`{ viewer { role } }`, undefined, bearer(token)),
        message,
      );
    });

    it("accepts an issue time a few seconds ahead (clock skew)", async () => {
      const token = await jwt({ role: "ADMIN", iat: now() + 5, exp: now() + 600 });
      expect((await server.gql(`{ viewer { role } }`, undefined, bearer(token))).data).toEqual({
        viewer: { role: "ADMIN" },
      });
    });
  });

  describe("ill-formed Unicode", () => {
    let leadId: string;
    beforeAll(async () => {
      leadId = (
        await server.ok<{ createLead: { id: string } }>(
          `mutation { createLead(input: { name: "Surrogates" }) { id } }`,
        )
      ).createLead.id;
    });
    const record = (input: Record<string, unknown>) =>
      server.gql<{ recordCallResult: { call: { id: string; comment: string | null } } }>(
        `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id comment } } }`,
        { input: { leadId, callStatusCode: "qualified", ...input } },
      );
    const callCount = async () =>
      (
        await server.ok<{ lead: { calls: { totalCount: number } } }>(
          `query($id: ID!) { lead(id: $id) { calls { totalCount } } }`,
          { id: leadId },
        )
      ).lead.calls.totalCount;

    it("refuses idempotency keys with lone surrogates instead of merging them", async () => {
      const before = await callCount();
      for (const key of ["idem-\uD800", "idem-\uDFFF"]) {
        const response = await record({ idempotencyKey: key });
        expect(response.status).toBe(400);
        expectError(response, "BAD_USER_INPUT", "idempotencyKey");
      }
      expect(await callCount()).toBe(before);
      const replacement = await record({ idempotencyKey: "idem-\uFFFD" });
      expect(replacement.errors).toBeUndefined();
      expect(await callCount()).toBe(before + 1);
    });

    it("refuses a comment with a lone surrogate rather than storing it altered", async () => {
      expectError(await record({ comment: "half a pair: \uD83D" }), "BAD_USER_INPUT", "comment");
      const whole = await record({ comment: "a whole pair: \uD83D\uDE00" });
      expect(whole.data?.recordCallResult.call.comment).toBe("a whole pair: \uD83D\uDE00");
    });

    it("refuses a lone surrogate written in the document itself", async () => {
      for (const title of ["Broken \\uD800 title", "Broken \uD800 title"]) {
        const response = await server.gql(
          `mutation { createCallStatus(input: { title: "${title}" }) { id } }`,
        );
        expect(response.status).toBe(400);
        expectError(response, "GRAPHQL_PARSE_FAILED");
      }
      const { callStatuses } = await server.ok<{ callStatuses: unknown[] }>(
        `{ callStatuses(filter: { search: "Broken" }) { code } }`,
      );
      expect(callStatuses).toHaveLength(0);
    });
  });

  describe("unreadable text", () => {
    it.each([
      ["NUL", "Call\u0000back"],
      ["an escape sequence", "\u001B[31mRed\u001B[0m"],
      ["a line break", "Two\nlines"],
      ["a right-to-left override", "Callback \u202Egnp.exe"],
      ["an isolate", "Call \u2066back\u2069"],
      ["a C1 control", "Call\u0085back"],
    ])("refuses a title with %s, naming the field", async (_what, title) => {
      expectError(
        await server.gql(
          `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
          { input: { title } },
        ),
        "BAD_USER_INPUT",
        "title",
      );
    });

    it("refuses control characters in lead and API key names", async () => {
      expectError(
        await server.gql(
          `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`,
          { input: { name: "Ivan\u001B[2J" } },
        ),
        "BAD_USER_INPUT",
        "name",
      );
      expectError(
        await server.gql(
          `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
          { input: { name: "ui\u202E", role: "AGENT" } },
        ),
        "BAD_USER_INPUT",
        "name",
      );
    });

    it("keeps line breaks and tabs in descriptions and comments, and nothing else", async () => {
      const created = await server.ok<{ createCallStatus: { description: string } }>(
        `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { description } }`,
        { input: { title: "Multi-line", description: "First line\nSecond\tline" } },
      );
      expect(created.createCallStatus.description).toBe("First line\nSecond\tline");
      expectError(
        await server.gql(
          `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
          { input: { title: "Bell", description: "Ring \u0007" } },
        ),
        "BAD_USER_INPUT",
        "description",
      );
      const { createLead } = await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Comments" }) { id } }`,
      );
      const record = (comment: string) =>
        server.gql<{ recordCallResult: { call: { comment: string } } }>(
          `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { comment } } }`,
          { input: { leadId: createLead.id, callStatusCode: "qualified", comment } },
        );
      expect((await record("Called back,\nno answer")).data?.recordCallResult.call.comment).toBe(
        "Called back,\nno answer",
      );
      expectError(await record("\u001B]0;pwned\u0007"), "BAD_USER_INPUT", "comment");
    });
  });
});

describe("slow clients", () => {
  const server = new TestServer("sqlite");
  beforeAll(() =>
    server.start({
      http: { headersTimeoutMs: 2000, requestTimeoutMs: 3000, keepAliveTimeoutMs: 5000 },
    }),
  );
  afterAll(() => server.stop());

  /**
   * Opens a connection, sends `head` then one byte of `trickle` every 250 ms, and resolves with
   * what the server answered once it closed the connection (or "" after `giveUpMs`).
   */
  function trickle(head: string, body: string, giveUpMs: number): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), "127.0.0.1");
      let received = "";
      let sent = 0;
      const timer = setInterval(() => {
        if (sent < body.length && !socket.destroyed) socket.write(body[sent++]);
      }, 250);
      const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
      socket.on("connect", () => socket.write(head));
      socket.on("data", (chunk) => (received += chunk.toString("utf8")));
      socket.on("close", () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve(received);
      });
      socket.on("error", () => undefined);
    });
  }

  it("cuts a client that sends its headers a byte at a time, and keeps serving others", async () => {
    const slow = trickle(
      "POST /graphql HTTP/1.1\r\nHost: x\r\n",
      "X-Slow: " + "a".repeat(200),
      20_000,
    );
    const health = await fetch(`${new URL(server.url).origin}/healthz`);
    expect(health.status).toBe(200);
    const answer = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/x-request-id: /i);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });

  it("cuts a client that sends its body a byte at a time", async () => {
    const body = JSON.stringify({ query: "{ __typename }", pad: "x".repeat(200) });
    const answer = await trickle(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Api-Key: ${server.adminKey}\r\n\r\n`,
      body,
      20_000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
