import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import {
  describeEachDatabase,
  describeEachDatabaseKind,
  expectError,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";

const ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
type RoleName = (typeof ROLES)[number];

const CALL_CODES = `{ callStatuses { code } }`;

function codesOf(response: GraphQLResponse): string[] {
  expect(response.errors).toBeUndefined();
  return (response.data as { callStatuses: Array<{ code: string }> }).callStatuses.map(
    (s) => s.code,
  );
}

/** Expects HTTP 401 with UNAUTHENTICATED and a challenge, and no data. */
function expectUnauthenticated(response: GraphQLResponse, message?: RegExp) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  const error = expectError(response, "UNAUTHENTICATED");
  expect(response.data).toBeUndefined();
  if (message) expect(error.message).toMatch(message);
}

describeEachDatabase("access control", (server) => {
  const keys = {} as Record<RoleName, string>;
  const as = (role: RoleName, query: string, variables?: Record<string, unknown>) =>
    server.gql(query, variables, { "x-api-key": keys[role] });

  beforeAll(async () => {
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const) {
      keys[role] = await server.createKey(role);
    }
    // Custom statuses covering every visibility combination.
    for (const input of [
      { code: "transfer_only", title: "Transfer only", agentVisibility: "AFTER_CALL_TRANSFER" },
      { code: "ai_only", title: "AI only", agentVisibility: "NEVER", showToAiAgents: true },
      { code: "hidden", title: "Hidden", agentVisibility: "NEVER", showToAiAgents: false },
      {
        code: "callback",
        title: "Callback",
        agentVisibility: "ALWAYS",
        showToAiAgents: true,
        leadStatusCode: "in_progress",
      },
    ]) {
      await server.ok(
        `mutation($i: CreateCallStatusInput!) { createCallStatus(input: $i) { id } }`,
        {
          i: input,
        },
      );
    }
  });

  describe("credentials", () => {
    it("refuses a request without a credential with HTTP 401 and says how to send one", async () => {
      expectUnauthenticated(
        await server.gql(CALL_CODES, undefined, { "x-api-key": "" }),
        /X-Api-Key/,
      );
    });

    it("refuses every operation without a credential, introspection included", async () => {
      for (const query of [`{ leadStatuses { code } }`, `{ __schema { queryType { name } } }`]) {
        expectUnauthenticated(await server.gql(query, undefined, { "x-api-key": "" }));
      }
      const mutation = await server.gql(
        `mutation { createCallStatus(input: { title: "Sneaky" }) { id } }`,
        undefined,
        { "x-api-key": "" },
      );
      expectUnauthenticated(mutation);
      expect(await server.ok(`{ callStatus(code: "sneaky") { id } }`)).toEqual({
        callStatus: null,
      });
    });

    it.each([
      ["malformed", "not-a-key", /malformed/],
      ["unknown", `csk_00000000_${"A".repeat(43)}`, /not valid/],
    ])("refuses a %s key", async (_kind, key, message) => {
      expectUnauthenticated(await server.gql(CALL_CODES, undefined, { "x-api-key": key }), message);
    });

    it("refuses a key whose secret part is wrong, even with a real prefix", async () => {
      const real = keys.AGENT;
      const forged = real.slice(0, 13) + (real[13] === "A" ? "B" : "A") + real.slice(14);
      expectUnauthenticated(
        await server.gql(CALL_CODES, undefined, { "x-api-key": forged }),
        /not valid/,
      );
    });

    it("accepts the key as Authorization: Bearer too, and rejects other schemes", async () => {
      const bearer = await server.gql(`{ viewer { role } }`, undefined, {
        authorization: `Bearer ${keys.AGENT}`,
      });
      expect(bearer.data).toEqual({ viewer: { role: "AGENT" } });
      expectUnauthenticated(
        await server.gql(CALL_CODES, undefined, { authorization: `Basic ${keys.AGENT}` }),
        /Bearer/,
      );
    });

    // Which of two credentials would win is not the client's to guess: with X-Api-Key and a
    // different Authorization, neither is used.
    it.each([
      ["another key as a bearer", () => `Bearer ${keys.AGENT}`],
      ["an unknown key as a bearer", () => `Bearer csk_00000000_${"A".repeat(43)}`],
      ["another scheme with the same key", () => `Basic ${keys.ADMIN}`],
      ["the same key without a scheme", () => keys.ADMIN],
    ])(
      "refuses X-Api-Key together with an Authorization header carrying %s, writing nothing",
      async (what, authorization) => {
        const title = `Two credentials: ${what}`;
        const response = await server.gql(
          `mutation($title: String!) { createCallStatus(input: { title: $title }) { id } }`,
          { title },
          { "x-api-key": keys.ADMIN, authorization: authorization() },
        );
        expectUnauthenticated(response, /one credential/);
        const { callStatuses } = await server.ok<{ callStatuses: Array<{ title: string }> }>(
          `{ callStatuses { title } }`,
        );
        expect(callStatuses.map((s) => s.title)).not.toContain(title);
      },
    );

    it("takes X-Api-Key together with Authorization: Bearer and the same key (any case of Bearer)", async () => {
      for (const scheme of ["Bearer", "bearer"]) {
        const response = await server.gql(`{ viewer { role } }`, undefined, {
          "x-api-key": keys.AGENT,
          authorization: `${scheme} ${keys.AGENT}`,
        });
        expect(response.data).toEqual({ viewer: { role: "AGENT" } });
      }
    });

    it("tells each caller who it is", async () => {
      for (const role of ROLES) {
        const response = await as(role, `{ viewer { role actorId keyPrefix } }`);
        const viewer = (response.data as { viewer: Record<string, string> }).viewer;
        expect(viewer.role).toBe(role);
        expect(viewer.actorId).toMatch(/^key:\d+$/);
        expect(keys[role].startsWith(`${viewer.keyPrefix}_`)).toBe(true);
      }
    });
  });

  describe("permission matrix", () => {
    it.each(ROLES)("%s reads every lead status", async (role) => {
      const response = await as(
        role,
        `{ leadStatuses { code } leadStatus(code: "qualified") { code } }`,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({
        leadStatuses: [
          { code: "new" },
          { code: "in_progress" },
          { code: "qualified" },
          { code: "disqualified" },
        ],
        leadStatus: { code: "qualified" },
      });
    });

    it.each(["ADMIN", "SYSTEM"] as const)("%s reads every call status", async (role) => {
      const codes = codesOf(await as(role, CALL_CODES));
      expect(codes).toEqual(
        expect.arrayContaining([
          "voicemail",
          "missed_by_system",
          "hidden",
          "ai_only",
          "transfer_only",
        ]),
      );
      expect(codes).toHaveLength(11);
      expect(
        codesOf(await as(role, `{ callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`)),
      ).toEqual(["qualified", "disqualified", "ai_only", "callback"]);
    });

    it("AGENT reads only agent-visible call statuses, whether or not it asks", async () => {
      const agentVisible = ["qualified", "disqualified", "callback"];
      expect(codesOf(await as("AGENT", CALL_CODES))).toEqual(agentVisible);
      expect(
        codesOf(await as("AGENT", `{ callStatuses(filter: { visibleTo: AGENT }) { code } }`)),
      ).toEqual(agentVisible);
      expect(
        codesOf(
          await as("AGENT", `{ callStatuses(filter: { afterCallTransfer: true }) { code } }`),
        ),
      ).toEqual(["qualified", "disqualified", "transfer_only", "callback"]);
      expect(
        codesOf(
          await as("AGENT", `{ callStatuses(filter: { type: SYSTEM, search: "mail" }) { code } }`),
        ),
      ).toEqual([]);
    });

    it("AI_AGENT reads only AI-visible call statuses, whether or not it asks", async () => {
      const aiVisible = ["qualified", "disqualified", "ai_only", "callback"];
      expect(codesOf(await as("AI_AGENT", CALL_CODES))).toEqual(aiVisible);
      expect(
        codesOf(
          await as(
            "AI_AGENT",
            `{ callStatuses(filter: { visibleTo: AI_AGENT, afterCallTransfer: true }) { code } }`,
          ),
        ),
      ).toEqual(aiVisible);
    });

    it.each([
      ["AGENT", "AI_AGENT"],
      ["AI_AGENT", "AGENT"],
    ] as const)("%s asking for the %s audience is FORBIDDEN", async (role, audience) => {
      const list = await as(
        role,
        `query($a: Audience) { callStatuses(filter: { visibleTo: $a }) { code } }`,
        {
          a: audience,
        },
      );
      expectError(list, "FORBIDDEN");
      expect(list.data).toBeNull();
      const nested = await as(
        role,
        `query($a: Audience) { leadStatuses { code callStatuses(visibleTo: $a) { code } } }`,
        { a: audience },
      );
      expect(nested.errors?.[0].extensions?.code).toBe("FORBIDDEN");
      expect(JSON.stringify(nested.data)).not.toContain("voicemail");
    });

    it("never leaks a hidden status through callStatus", async () => {
      const lookup = (role: RoleName, code: string) =>
        as(role, `query($c: String) { callStatus(code: $c) { code } }`, { c: code });
      const visible = async (role: RoleName, code: string) =>
        ((await lookup(role, code)).data as { callStatus: { code: string } | null }).callStatus
          ?.code ?? null;

      expect(await visible("AGENT", "voicemail")).toBeNull();
      expect(await visible("AGENT", "ai_only")).toBeNull();
      expect(await visible("AGENT", "hidden")).toBeNull();
      expect(await visible("AGENT", "transfer_only")).toBe("transfer_only");
      expect(await visible("AGENT", "callback")).toBe("callback");
      expect(await visible("AI_AGENT", "transfer_only")).toBeNull();
      expect(await visible("AI_AGENT", "voicemail")).toBeNull();
      expect(await visible("AI_AGENT", "ai_only")).toBe("ai_only");
      for (const role of ["ADMIN", "SYSTEM"] as const) {
        expect(await visible(role, "hidden")).toBe("hidden");
        expect(await visible(role, "voicemail")).toBe("voicemail");
      }
      // By id too
      const hiddenId = (
        (await as("ADMIN", `{ callStatus(code: "hidden") { id } }`)).data as {
          callStatus: { id: string };
        }
      ).callStatus.id;
      const byId = await as("AGENT", `query($id: ID) { callStatus(id: $id) { code } }`, {
        id: hiddenId,
      });
      expect(byId.data).toEqual({ callStatus: null });
    });

    it("scopes LeadStatus.callStatuses to the caller's audience", async () => {
      const query = `{ leadStatus(code: "in_progress") { callStatuses { code } } }`;
      const linked = async (role: RoleName) =>
        (
          (await as(role, query)).data as { leadStatus: { callStatuses: Array<{ code: string }> } }
        ).leadStatus.callStatuses.map((s) => s.code);
      expect(await linked("AGENT")).toEqual(["callback"]);
      expect(await linked("AI_AGENT")).toEqual(["callback"]);
      expect(await linked("SYSTEM")).toEqual([
        "voicemail",
        "call_terminated",
        "not_accepted_by_operator",
        "post_processing_not_completed",
        "missed_by_system",
        "callback",
      ]);
    });

    const WRITES: Array<[string, string, Record<string, unknown>]> = [
      [
        "createCallStatus",
        `mutation { createCallStatus(input: { title: "Forbidden write" }) { id } }`,
        {},
      ],
      [
        "updateCallStatus",
        `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Forbidden edit" }) { id } }`,
        { id: "1" },
      ],
      [
        "createLeadStatus",
        `mutation { createLeadStatus(input: { title: "Forbidden lead", category: IN_PROGRESS }) { id } }`,
        {},
      ],
      [
        "updateLeadStatus",
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "Forbidden edit" }) { id } }`,
        { id: "1" },
      ],
      [
        "createApiKey",
        `mutation { createApiKey(input: { name: "x", role: ADMIN }) { secret } }`,
        {},
      ],
      ["revokeApiKey", `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: "1" }],
      ["apiKeys", `{ apiKeys { id } }`, {}],
    ];

    it.each(["SYSTEM", "AGENT", "AI_AGENT"] as const)(
      "%s may not change statuses or manage API keys, and nothing is written",
      async (role) => {
        const before = await server.ok(
          `{ callStatuses { code title version } leadStatuses { code title version } apiKeys { id revokedAt } }`,
        );
        for (const [name, query, variables] of WRITES) {
          const response = await as(role, query, variables);
          const error = expectError(response, "FORBIDDEN");
          expect(error.path).toEqual([name]);
          expect(error.message).toMatch(new RegExp(role));
        }
        const after = await server.ok(
          `{ callStatuses { code title version } leadStatuses { code title version } apiKeys { id revokedAt } }`,
        );
        expect(after).toEqual(before);
      },
    );

    it("ADMIN may change statuses", async () => {
      const created = await as(
        "ADMIN",
        `mutation { createCallStatus(input: { title: "Admin write" }) { code } }`,
      );
      expect(created.data).toEqual({ createCallStatus: { code: "admin_write" } });
    });
  });

  describe("API keys through GraphQL", () => {
    it("creates a key whose secret works at once and is never listed", async () => {
      const created = await server.ok<{
        createApiKey: {
          secret: string;
          apiKey: {
            id: string;
            name: string;
            role: string;
            prefix: string;
            active: boolean;
            revokedAt: null;
            lastUsedAt: null;
          };
        };
      }>(`mutation { createApiKey(input: { name: "  dialer eu-1  ", role: SYSTEM }) {
            secret apiKey { id name role prefix active revokedAt lastUsedAt } } }`);
      const { secret, apiKey } = created.createApiKey;
      expect(secret).toMatch(/^csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
      expect(apiKey).toMatchObject({
        name: "dialer eu-1",
        role: "SYSTEM",
        active: true,
        revokedAt: null,
        lastUsedAt: null,
      });
      expect(secret.startsWith(`${apiKey.prefix}_`)).toBe(true);

      expect(
        (await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret })).data,
      ).toEqual({
        viewer: { role: "SYSTEM" },
      });
      const listed = await server.gql(
        `{ apiKeys { id name role prefix createdAt lastUsedAt revokedAt active } }`,
      );
      expect(listed.errors).toBeUndefined();
      const text = JSON.stringify(listed);
      for (const key of [secret, ...Object.values(keys)]) {
        expect(text).not.toContain(key.slice(13));
      }
      expect(
        (listed.data as { apiKeys: Array<{ id: string }> }).apiKeys.map((k) => k.id),
      ).toContain(apiKey.id);
    });

    it("records when a key was last used, at most once a minute", async () => {
      const secret = await server.createKey("AGENT", "usage tracking");
      const lastUsed = async () =>
        (
          await server.ok<{ apiKeys: Array<{ prefix: string; lastUsedAt: string | null }> }>(
            `{ apiKeys { prefix lastUsedAt } }`,
          )
        ).apiKeys.find((k) => secret.startsWith(`${k.prefix}_`))!.lastUsedAt;
      expect(await lastUsed()).toBeNull();
      await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret });
      let first: string | null = null;
      for (let i = 0; i < 50 && !first; i += 1) {
        first = await lastUsed();
        if (!first) await new Promise((r) => setTimeout(r, 20));
      }
      expect(first).not.toBeNull();
      expect(Math.abs(Date.parse(first!) - Date.now())).toBeLessThan(60_000);
      await new Promise((r) => setTimeout(r, 1100));
      await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret });
      await new Promise((r) => setTimeout(r, 100));
      expect(await lastUsed()).toBe(first);
    });

    it("refuses a revoked key at once; revoking again changes nothing", async () => {
      const secret = await server.createKey("AI_AGENT", "to revoke");
      expect(
        (await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret })).status,
      ).toBe(200);
      const id = (
        await server.ok<{ apiKeys: Array<{ id: string; prefix: string }> }>(
          `{ apiKeys { id prefix } }`,
        )
      ).apiKeys.find((k) => secret.startsWith(`${k.prefix}_`))!.id;

      const revoked = await server.ok<{ revokeApiKey: { active: boolean; revokedAt: string } }>(
        `mutation($id: ID!) { revokeApiKey(id: $id) { active revokedAt } }`,
        { id },
      );
      expect(revoked.revokeApiKey.active).toBe(false);
      expectUnauthenticated(
        await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret }),
        /revoked/,
      );

      await new Promise((r) => setTimeout(r, 1100));
      const again = await server.ok<{ revokeApiKey: { revokedAt: string } }>(
        `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`,
        { id },
      );
      expect(again.revokeApiKey.revokedAt).toBe(revoked.revokeApiKey.revokedAt);
      expectError(await server.gql(`mutation { revokeApiKey(id: "999999") { id } }`), "NOT_FOUND");
    });

    it.each([
      [{ name: "", role: "ADMIN" }, "name"],
      [{ name: "   ", role: "AGENT" }, "name"],
      [{ name: "x".repeat(256), role: "AGENT" }, "name"],
      [{ name: "ok", role: "OWNER" }, "role"],
    ])("refuses %j naming %s", async (input, field) => {
      const response = await server.gql(
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
        { i: input },
      );
      expectError(response, "BAD_USER_INPUT", field);
    });
  });

  describe("a second instance on the same database", () => {
    let other: TestServer;

    beforeAll(async () => {
      other = new TestServer(server.kind);
      await other.start({ auth: { apiKeyCacheSeconds: 1 } }, { database: server.database });
    });

    afterAll(() => other.stop());

    it("creates no second bootstrap key and accepts keys made by the first", async () => {
      expect(other.app.bootstrapKey).toBeNull();
      const response = await other.gql(`{ viewer { role } }`, undefined, {
        "x-api-key": keys.AGENT,
      });
      expect(response.data).toEqual({ viewer: { role: "AGENT" } });
    });

    it("refuses a key revoked through the first instance within its cache time (1 s here)", async () => {
      const secret = await server.createKey("AGENT", "revoked elsewhere");
      // the second instance verifies (and caches) it
      expect(
        (await other.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret })).status,
      ).toBe(200);
      const id = (
        await server.ok<{ apiKeys: Array<{ id: string; prefix: string }> }>(
          `{ apiKeys { id prefix } }`,
        )
      ).apiKeys.find((k) => secret.startsWith(`${k.prefix}_`))!.id;
      await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id });
      const revokedAt = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - revokedAt < 5000) {
        status = (await other.gql(`{ viewer { role } }`, undefined, { "x-api-key": secret }))
          .status;
        if (status === 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(2500);
    });
  });
});

describeEachDatabaseKind("secrets in logs", (kind) => {
  it("never logs a key, not even in errors, apart from the one bootstrap line", async () => {
    const server = new TestServer(kind);
    await server.start({}, { captureLogs: true });
    try {
      const secret = await server.createKey("AGENT");
      await server.gql(`{ viewer { role } callStatuses { code } }`, undefined, {
        "x-api-key": secret,
      });
      await server.gql(`{ nope }`, undefined, { "x-api-key": secret });
      await server.gql(`{ viewer { role } }`, undefined, {
        "x-api-key": `${secret.slice(0, -1)}x`,
      });
      await server.gql(`{ viewer { role } }`, undefined, { authorization: `Bearer ${secret}x` });
      const logs = server.logs.join("");
      expect(logs.toLowerCase()).toContain("select"); // trace level: every statement was logged
      expect(logs).not.toContain(secret.slice(13));
      const bootstrapLines = server.logs.filter((line) => line.includes(server.adminKey.slice(13)));
      expect(bootstrapLines).toHaveLength(1);
      expect(bootstrapLines[0]).toContain(`X-Api-Key: ${server.adminKey}`);
    } finally {
      await server.stop();
    }
  });
});

const HS_SECRET = "a-shared-secret-of-at-least-32-bytes!";
const encoder = new TextEncoder();

function token(
  claims: Record<string, unknown>,
  options: {
    alg?: string;
    key?: Parameters<SignJWT["sign"]>[0];
    sub?: string | null;
    exp?: string | number | null;
  } = {},
) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS256" }).setIssuedAt();
  if (options.sub !== null) jwt.setSubject(options.sub ?? "user-1");
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? "5m");
  return jwt.sign(options.key ?? encoder.encode(HS_SECRET));
}

function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

describeEachDatabaseKind("JWT", (kind) => {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  describe("not configured", () => {
    const server = new TestServer(kind);
    beforeAll(() => server.start());
    afterAll(() => server.stop());

    it("treats a JWT as an unknown key", async () => {
      const t = await token({ role: "ADMIN" });
      expectUnauthenticated(await server.gql(`{ viewer { role } }`, undefined, bearer(t)));
    });
  });

  describe("HS256", () => {
    const server = new TestServer(kind);
    beforeAll(() =>
      server.start({
        auth: {
          apiKeyCacheSeconds: 5,
          jwt: {
            secret: HS_SECRET,
            roleClaim: "https://example.com/role",
            audience: "statuses",
            maxAgeSeconds: 3600,
            accountClaim: "account",
          },
        },
      }),
    );
    afterAll(() => server.stop());
    const claims = (role: unknown) => ({ "https://example.com/role": role, aud: "statuses" });

    it("accepts a valid token: its claim gives the role, its subject (namespaced) the actor", async () => {
      const t = await token(claims("AGENT"), { sub: "agent-42" });
      const response = await server.gql(
        `{ viewer { role actorId keyPrefix } callStatuses { code } }`,
        undefined,
        bearer(t),
      );
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({
        viewer: { role: "AGENT", actorId: "jwt:agent-42", keyPrefix: null },
        callStatuses: [{ code: "qualified" }, { code: "disqualified" }],
      });
      const lower = await token(claims("ai_agent"));
      expect((await server.gql(`{ viewer { role } }`, undefined, bearer(lower))).data).toEqual({
        viewer: { role: "AI_AGENT" },
      });
    });

    it("refuses a token sent together with an X-Api-Key", async () => {
      const t = await token(claims("AGENT"));
      expectUnauthenticated(
        await server.gql(`{ viewer { role } }`, undefined, {
          "x-api-key": server.adminKey,
          ...bearer(t),
        }),
        /one credential/,
      );
    });

    it("still accepts API keys", async () => {
      expect((await server.gql(`{ viewer { role } }`)).data).toEqual({ viewer: { role: "ADMIN" } });
    });

    it.each([
      ["longer than the actor columns hold after `jwt:`", "s".repeat(252)],
      ["with a line break", "user\nadmin"],
      ["with a NUL", "user\u0000"],
      ["with a bidirectional override", "user\u202Eevil"],
      ["with a lone surrogate", "user\uD800"],
    ])("refuses a token whose subject is %s with 401", async (_what, sub) => {
      const t = await token(claims("ADMIN"), { sub });
      expectUnauthenticated(await server.gql(`{ viewer { actorId } }`, undefined, bearer(t)));
    });

    it("accepts the longest subject that fits, and writes with it (the audit actor)", async () => {
      const sub = `${"ж".repeat(250)}s`;
      const t = await token(claims("ADMIN"), { sub });
      const created = await server.gql<{
        createCallStatus: { history: Array<{ actorId: string }> };
      }>(
        `mutation { createCallStatus(input: { title: "Long subject" }) { history { actorId } } }`,
        undefined,
        bearer(t),
      );
      expect(created.errors).toBeUndefined();
      expect(created.data!.createCallStatus.history[0].actorId).toBe(`jwt:${sub}`);
    });

    // The platform operator's role acts across accounts: a token carrying it is refused unless
    // the operator turned JWT_ALLOW_PLATFORM_ROLE on (test/accounts/accounts.test.ts does).
    it.each(["PLATFORM", "platform"])(
      "refuses a token whose role is %s with 401 while JWT_ALLOW_PLATFORM_ROLE is off",
      async (role) => {
        const t = await token(claims(role));
        const response = await server.gql(
          `{ viewer { role } accounts { id } }`,
          undefined,
          bearer(t),
        );
        expectUnauthenticated(response, /PLATFORM.*JWT_ALLOW_PLATFORM_ROLE/);
      },
    );

    it("applies the role's permissions to a token", async () => {
      const t = await token(claims("SYSTEM"));
      expectError(
        await server.gql(
          `mutation { createCallStatus(input: { title: "From a token" }) { id } }`,
          undefined,
          bearer(t),
        ),
        "FORBIDDEN",
      );
    });

    it.each([
      [
        "expired",
        () => token(claims("ADMIN"), { exp: Math.floor(Date.now() / 1000) - 60 }),
        /expired/,
      ],
      [
        "not yet valid",
        async () =>
          new SignJWT(claims("ADMIN"))
            .setProtectedHeader({ alg: "HS256" })
            .setIssuedAt()
            .setSubject("u")
            .setExpirationTime("10m")
            .setNotBefore("5m")
            .sign(encoder.encode(HS_SECRET)),
        /not valid yet/,
      ],
      [
        "signed with another secret",
        () => token(claims("ADMIN"), { key: encoder.encode("x".repeat(40)) }),
        /not valid/,
      ],
      [
        "unsigned (alg: none)",
        async () => unsignedToken({ ...claims("ADMIN"), sub: "u", exp: 9999999999 }),
        /not valid/,
      ],
      ["without a subject", () => token(claims("ADMIN"), { sub: null }), /not valid/],
      ["without an expiry", () => token(claims("ADMIN"), { exp: null }), /not valid/],
      [
        "for another audience",
        () => token({ "https://example.com/role": "ADMIN", aud: "billing" }),
        /not valid/,
      ],
      ["with an unknown role", () => token(claims("OWNER")), /claim must be one of/],
      ["without a role", () => token({ aud: "statuses" }), /claim must be one of/],
      [
        "tampered with",
        async () => {
          const t = await token(claims("AGENT"));
          const [header, , signature] = t.split(".");
          const payload = Buffer.from(
            JSON.stringify({ ...claims("ADMIN"), sub: "u", exp: 9999999999 }),
          ).toString("base64url");
          return `${header}.${payload}.${signature}`;
        },
        /not valid/,
      ],
    ])("refuses a token %s", async (_what, make, message) => {
      expectUnauthenticated(
        await server.gql(`{ viewer { role } }`, undefined, bearer(await make())),
        message,
      );
    });
  });

  describe("RS256 and ES256 public keys", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const rsaPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
    const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }).toString();
    const rsServer = new TestServer(kind);
    const esServer = new TestServer(kind);
    beforeAll(async () => {
      await rsServer.start({
        auth: {
          apiKeyCacheSeconds: 5,
          jwt: {
            publicKey: rsaPem,
            roleClaim: "role",
            maxAgeSeconds: 3600,
            accountClaim: "account",
          },
        },
      });
      await esServer.start({
        auth: {
          apiKeyCacheSeconds: 5,
          jwt: {
            publicKey: ecPem,
            roleClaim: "role",
            maxAgeSeconds: 3600,
            accountClaim: "account",
          },
        },
      });
    });
    afterAll(async () => {
      await rsServer.stop();
      await esServer.stop();
    });

    it("accepts tokens signed with the matching private key", async () => {
      const rs = await token({ role: "SYSTEM" }, { alg: "RS256", key: rsa.privateKey });
      expect((await rsServer.gql(`{ viewer { role } }`, undefined, bearer(rs))).data).toEqual({
        viewer: { role: "SYSTEM" },
      });
      const es = await token({ role: "AGENT" }, { alg: "ES256", key: ec.privateKey });
      expect((await esServer.gql(`{ viewer { role } }`, undefined, bearer(es))).data).toEqual({
        viewer: { role: "AGENT" },
      });
    });

    it("refuses another algorithm, including HS256 keyed with the public key (algorithm confusion)", async () => {
      const confused = await token(
        { role: "ADMIN" },
        { alg: "HS256", key: encoder.encode(rsaPem) },
      );
      expectUnauthenticated(await rsServer.gql(`{ viewer { role } }`, undefined, bearer(confused)));
      const es = await token({ role: "ADMIN" }, { alg: "ES256", key: ec.privateKey });
      expectUnauthenticated(await rsServer.gql(`{ viewer { role } }`, undefined, bearer(es)));
      const rs = await token({ role: "ADMIN" }, { alg: "RS256", key: rsa.privateKey });
      expectUnauthenticated(await esServer.gql(`{ viewer { role } }`, undefined, bearer(rs)));
      expectUnauthenticated(
        await rsServer.gql(
          `{ viewer { role } }`,
          undefined,
          bearer(unsignedToken({ role: "ADMIN", sub: "u", exp: 9999999999 })),
        ),
      );
    });
  });
});
