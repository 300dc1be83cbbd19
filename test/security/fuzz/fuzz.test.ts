/**
 * Fuzzing over HTTP, on every database: a few thousand random and mutated requests — valid
 * operations of the schema with hostile variables, mutated and truncated documents, random
 * tokens, and raw HTTP requests with broken bodies, content types, methods and credentials.
 *
 * Whatever comes in: never a 5xx, never INTERNAL_SERVER_ERROR, never an error without a known
 * `extensions.code`, never a stack trace, SQL text or driver message, and the process keeps
 * serving with its seeded statuses intact.
 *
 * Reproducible: every property runs with a fixed seed; a failure prints fast-check's shrunk
 * counterexample, the seed and the path to replay it. To explore further: FUZZ_SEED=<n> (another
 * seed), FUZZ_SCALE=<n> (n times as many requests), FUZZ_REPORT=1 (print responses by status).
 *
 * The server bugs it found are fixed, each kept below as a plain test of its minimal reproduction.
 */
import fc from "fast-check";
import { graphqlDefaults } from "../../../src/config";
import { describeEachDatabaseKind, TestServer } from "../../support/harness";
import {
  RUNS,
  PROPERTY_TIMEOUT_MS,
  JWT_SECRET,
  LEAK,
  leakFree,
  SYSTEM_CALL_CODES,
  SYSTEM_LEAD_STATUSES,
} from "./settings";
import { deep, serialize, type Mode } from "./values";
import { type Operation, operations } from "./operations";
import { credential, type Secrets, signJwts } from "./credentials";
import { documentRequests } from "./documents";
import { rawRequests } from "./raw-requests";
import {
  type FuzzContext,
  parsedLogs,
  sendAndCheck,
  graphqlRequest,
  type OperationRequest,
  operationSent,
  rawSent,
  assertProperty,
} from "./send-and-check";

describeEachDatabaseKind("fuzzing over HTTP", (kind) => {
  const server = new TestServer(kind);
  const context: FuzzContext = {
    server,
    secrets: { keys: {}, jwts: {} } as Secrets,
    sent: 0,
    outcomes: {},
  };
  let ops: Operation[] = [];
  const opsOf = {} as Record<Mode, Operation[]>;

  beforeAll(async () => {
    // The real limits (the harness relaxes aliases and tokens for fixtures), JWTs accepted, and
    // errors logged so that a masked failure shows up too.
    await server.start(
      {
        graphql: graphqlDefaults("test"),
        auth: {
          apiKeyCacheSeconds: 5,
          jwt: {
            secret: JWT_SECRET,
            roleClaim: "role",
            maxAgeSeconds: 3600,
            accountClaim: "account",
          },
        },
        logLevel: "warn",
      },
      { captureLogs: true },
    );
    const keys = context.secrets.keys;
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const)
      keys[role] = await server.createKey(role, `fuzz ${role}`);
    keys.REVOKED = await server.createKey("ADMIN", "fuzz revoked");
    await server.createKey("AGENT", "fuzz victim");
    keys.WRONG_SECRET = `${keys.ADMIN.slice(0, -4)}${keys.ADMIN.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const { apiKeys } = await server.ok<{ apiKeys: Array<{ id: string; name: string }> }>(
      `{ apiKeys { id name } }`,
    );
    const idOf = (name: string) => apiKeys.find((k) => k.name === name)!.id;
    const revoked = idOf("fuzz revoked");
    await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revoked });
    const victim = idOf("fuzz victim");
    const keep = new Set(apiKeys.map((k) => k.id).filter((k) => k !== victim && k !== revoked));
    for (const mode of ["valid", "typed", "hostile"] as const)
      opsOf[mode] = operations({ keep, victim, revoked }, mode);
    ops = opsOf.hostile;
    context.secrets.jwts = await signJwts();
    for (let i = 0; i < 3; i += 1) {
      await server.ok(`mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`, {
        input: { name: `Fuzz lead ${i}`, phone: "+1 555 0100" },
      });
    }
  });
  afterAll(() => server.stop());

  // The bugs this fuzzing found, each with its minimal reproduction and the answer it now gets.
  it.each([
    // Apollo's automatic persisted queries are off: one code, not Apollo's code-less errors.
    [
      "a persisted query of an unsupported version",
      { query: "{ viewer { role } }", extensions: { persistedQuery: { version: 2 } } },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    [
      "a persisted query without a version",
      { query: "{ viewer { role } }", extensions: { persistedQuery: {} } },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    [
      "a persisted query whose hash does not match the query",
      {
        query: "{ viewer { role } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } },
      },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    // graphql-js 16 would refuse it only at execution, with an error without a code.
    [
      // Valid, but subscriptions are served over WebSocket, not a plain POST.
      "a subscription",
      { query: "subscription { leadStatusesChanged { revision } }" },
      "GRAPHQL_VALIDATION_FAILED",
    ],
    // The AI tool's error message used to JSON.stringify() the given value whatever it was.
    [
      "AI tool arguments with a deeply nested callStatusCode",
      {
        query: `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) {
          call { id } } }`,
        variables: { input: { leadId: "1", arguments: { callStatusCode: deep("array", 5_000) } } },
      },
      "BAD_USER_INPUT",
    ],
    // graphql-scalars' DateTime JSON.stringify()s a value it refuses (a RangeError's text leaked).
    [
      "a deeply nested DateTime",
      {
        query: "query($filter: CallFilter) { calls(filter: $filter) { totalCount } }",
        variables: { filter: { to: deep("array", 5_000) } },
      },
      "BAD_USER_INPUT",
    ],
  ])("answers %s with a client error", async (_what, body, code) => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": server.adminKey },
      body: serialize(body),
    });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(text).not.toMatch(LEAK);
    const { errors } = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions?.code).toBe(code);
  });

  // On MariaDB the insert used to fail (INTERNAL_SERVER_ERROR); SQLite stored year 0000.
  it("refuses a nextCallAt after 9999-12-31 in UTC, by GraphQL and by the AI tool", async () => {
    await server.ok(
      `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
      { input: { code: "far_future", title: "Far future", showToAiAgents: true } },
    );
    const nextCallAt = "9999-12-31T23:00:00-05:00";
    const direct = await server.gql(
      `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) {
        call { nextCallAt } } }`,
      { input: { leadId: "1", callStatusCode: "far_future", nextCallAt } },
    );
    expect(direct.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(direct.errors?.[0].message).toMatch(/9999-12-31T23:59:59Z/);
    const viaTool = await server.gql(
      `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) {
        call { id } } }`,
      { input: { leadId: "1", arguments: { callStatusCode: "far_future", nextCallAt } } },
    );
    expect(viaTool.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(viaTool.errors)).toContain("arguments.nextCallAt");
  });

  it(
    "survives operations of the schema with random and hostile variables",
    async () => {
      const request: fc.Arbitrary<OperationRequest> = fc
        .record({
          op: fc.oneof(
            ...ops.flatMap((op, i) =>
              (["valid", "typed", "hostile"] as const).map((mode) => ({
                weight: op.weight ?? 1,
                arbitrary: fc.record({
                  operation: fc.constant(op.name),
                  mode: fc.constant(mode),
                  document: fc.constant(op.document),
                  variables: opsOf[mode][i].variables,
                }),
              })),
            ),
          ),
          credential,
          transport: fc.oneof(
            { weight: 9, arbitrary: fc.constant("POST" as const) },
            { weight: 1, arbitrary: fc.constant("GET" as const) },
          ),
        })
        .map(({ op, credential, transport }) => ({ ...op, credential, transport }))
        .filter((r) => leakFree(serialize(r.variables)));
      await assertProperty(request, RUNS.operations, (r) =>
        sendAndCheck(context, operationSent(context, r)),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "survives mutated, truncated, spliced and random documents",
    async () => {
      const requests = documentRequests(ops).filter(
        (r) => !LEAK.test(r.document) && leakFree(serialize(r.variables ?? null)),
      );
      await assertProperty(requests, RUNS.documents, (r) =>
        sendAndCheck(context, graphqlRequest(context, r)),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "survives raw HTTP requests: broken bodies, content types, methods, paths and parameters",
    async () => {
      const requests = rawRequests(ops).filter((r) => !LEAK.test(JSON.stringify(r)));
      await assertProperty(requests, RUNS.http, (r) => sendAndCheck(context, rawSent(context, r)));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("still serves normally afterwards, with the seeded statuses intact and nothing logged as an error", async () => {
    expect(context.sent).toBeGreaterThanOrEqual(RUNS.operations + RUNS.documents + RUNS.http);

    const health = await fetch(`${new URL(server.url).origin}/healthz`);
    expect(health.status).toBe(200);

    const data = await server.ok<{
      callStatus: { code: string; type: string };
      system: Array<{ code: string; type: string }>;
      leadStatuses: Array<{ code: string; type: string; category: string }>;
      viewer: { role: string };
    }>(`{
      callStatus(code: "qualified") { code type }
      system: callStatuses(filter: { type: SYSTEM }) { code type }
      leadStatuses(filter: { type: SYSTEM }) { code type category }
      viewer { role }
    }`);
    expect(data.callStatus).toEqual({ code: "qualified", type: "SYSTEM" });
    expect(data.system.map((s) => s.code).sort()).toEqual([...SYSTEM_CALL_CODES].sort());
    expect(Object.fromEntries(data.leadStatuses.map((s) => [s.code, s.category]))).toEqual(
      SYSTEM_LEAD_STATUSES,
    );
    expect(data.viewer.role).toBe("ADMIN");

    for (const role of ["AGENT", "AI_AGENT", "SYSTEM"] as const) {
      const viewer = await server.ok<{ viewer: { role: string } }>(
        `{ viewer { role } }`,
        {},
        {
          "x-api-key": context.secrets.keys[role],
        },
      );
      expect(viewer.viewer.role).toBe(role);
    }

    // Nothing was logged as an unexpected error.
    const unexpected = parsedLogs(server).filter((line) => (line.level ?? 0) >= 50);
    expect(unexpected).toEqual([]);
    if (process.env.FUZZ_REPORT) {
      console.log(
        `${kind}: ${context.sent} requests; outcomes: ${JSON.stringify(context.outcomes, null, 1)}`,
      );
    }
  });
});
