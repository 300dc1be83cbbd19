import { describeEachDatabaseKind, TestServer } from "../support/harness";

const LIST_WITH_LEAD_STATUS = `{ callStatuses { code leadStatus { code title } } }`;
const LEAD_STATUSES_WITH_CALL_STATUSES = `{
  leadStatuses { code callStatuses { code leadStatus { code } } }
}`;
const DEEP = `{
  callStatuses(filter: { search: "bulk" }) {
    code
    leadStatus { code agent: callStatuses(visibleTo: AGENT) { code leadStatus { code } } ai: callStatuses(visibleTo: AI_AGENT) { code } }
  }
}`;

/** SQL statements one request sends (excluding nothing: every statement counts). */
async function statementsFor(server: TestServer, query: string): Promise<number> {
  server.resetQueries();
  await server.ok(query);
  return server.queries.length;
}

async function createBulk(server: TestServer, count: number, offset: number): Promise<void> {
  const leadCodes = ["new", "in_progress", "qualified", "disqualified", null];
  const visibilities = ["ALWAYS", "AFTER_CALL_TRANSFER", "NEVER"];
  for (let start = 0; start < count; start += 50) {
    const fields = Array.from({ length: Math.min(50, count - start) }, (_, i) => {
      const n = offset + start + i;
      const lead = leadCodes[n % leadCodes.length];
      return `s${n}: createCallStatus(input: { title: "Bulk ${n}", leadStatusCode: ${
        lead ? `"${lead}"` : "null"
      }, agentVisibility: ${visibilities[n % 3]}, showToAiAgents: ${n % 2 === 0} }) { id }`;
    });
    await server.ok(`mutation { ${fields.join("\n")} }`);
  }
}

const QUERIES = {
  list: LIST_WITH_LEAD_STATUS,
  byLead: LEAD_STATUSES_WITH_CALL_STATUSES,
  deep: DEEP,
};

/** A change to the settings, which makes the next read load the status lists anew. */
let toggle = 0;
async function touchSettings(server: TestServer): Promise<void> {
  toggle += 1;
  await server.ok(`mutation { updateLeadStatus(id: "1", input: { sort: ${toggle} }) { id } }`);
}

/** Statements of each query right after a change (cold) and when asked again (warm). */
async function coldAndWarm(server: TestServer) {
  const cold: Record<string, number> = {};
  const warm: Record<string, number> = {};
  for (const [name, query] of Object.entries(QUERIES)) {
    await touchSettings(server);
    cold[name] = await statementsFor(server, query);
    warm[name] = await statementsFor(server, query);
  }
  return { cold, warm };
}

describeEachDatabaseKind("SQL statements per request", (kind) => {
  const server = new TestServer(kind);
  // A long refresh interval: no background revision check falls inside a measured request.
  beforeAll(() =>
    server.start({
      statusCache: { enabled: true, refreshMs: 60_000, maxAccounts: 1000 },
      // The verified key is remembered for the whole file: on a slow machine its expiry
      // (5 s by default here) fell inside a counted request and added its look-up.
      auth: { apiKeyCacheSeconds: 60 },
    }),
  );
  afterAll(() => server.stop());

  it("cost the same few statements on a cold cache whatever the number of statuses, none when warm", async () => {
    await createBulk(server, 10, 0);
    const small = await coldAndWarm(server);

    await createBulk(server, 200, 10);
    const data = await server.ok<{ callStatuses: unknown[] }>(LIST_WITH_LEAD_STATUS);
    expect(data.callStatuses).toHaveLength(217);
    const large = await coldAndWarm(server);

    expect(large).toEqual(small);
    // Cold: the revision, then both lists, whatever the nesting; warm: from memory.
    expect(large).toEqual({
      cold: { list: 3, byLead: 3, deep: 3 },
      warm: { list: 0, byLead: 0, deep: 0 },
    });
  });

  it("return the right nested data while batching", async () => {
    const data = await server.ok<{
      leadStatuses: Array<{
        code: string;
        callStatuses: Array<{ code: string; leadStatus: { code: string } }>;
      }>;
    }>(LEAD_STATUSES_WITH_CALL_STATUSES);
    for (const lead of data.leadStatuses) {
      for (const call of lead.callStatuses) expect(call.leadStatus.code).toBe(lead.code);
    }
    const qualified = data.leadStatuses.find((l) => l.code === "qualified")!;
    // Bulk n is linked to "qualified" when n % 5 === 2: 42 of the 210, plus the seeded one
    expect(qualified.callStatuses).toHaveLength(43);
  });
});

describeEachDatabaseKind("SQL statements per request without the status cache", (kind) => {
  const server = new TestServer(kind);
  beforeAll(() =>
    server.start({
      statusCache: { enabled: false, refreshMs: 1000, maxAccounts: 1000 },
      // The verified key is remembered for the whole file: on a slow machine its expiry
      // (5 s by default here) fell inside a counted request and added its look-up.
      auth: { apiKeyCacheSeconds: 60 },
    }),
  );
  afterAll(() => server.stop());

  it("read the lists once per request, whatever the nesting and the number of statuses", async () => {
    await createBulk(server, 10, 0);
    const small = await coldAndWarm(server);
    await createBulk(server, 200, 10);
    const large = await coldAndWarm(server);
    expect(large).toEqual(small);
    expect(large).toEqual({
      cold: { list: 3, byLead: 3, deep: 3 },
      warm: { list: 3, byLead: 3, deep: 3 },
    });
  });
});

describeEachDatabaseKind("SQL statements per request once the cached lists expire", (kind) => {
  const server = new TestServer(kind);
  beforeAll(() =>
    server.start({
      statusCache: { enabled: true, refreshMs: 50, maxAccounts: 1000 },
      // The verified key is remembered for the whole file: on a slow machine its expiry
      // (5 s by default here) fell inside a counted request and added its look-up.
      auth: { apiKeyCacheSeconds: 60 },
    }),
  );
  afterAll(() => server.stop());

  it("serve a stored answer after one revision check when the lists are unchanged", async () => {
    const logged = new TestServer(kind);
    await logged.start(
      { statusCache: { enabled: true, refreshMs: 50, maxAccounts: 1000 }, logLevel: "info" },
      { captureLogs: true },
    );
    try {
      const query = `query Idle { callStatuses { code } }`;
      await logged.ok(query);
      await logged.ok(query);
      // An account asked now and then: its lists are no longer confirmed when it asks again.
      await new Promise((resolve) => setTimeout(resolve, 150));
      logged.resetQueries();
      const before = logged.logs.length;
      await logged.ok(query);
      const sql = logged.queries;
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/status_revision/);
      const lines = logged.logs
        .slice(before)
        .join("")
        .split("\n")
        .filter((line) => line.includes('"msg":"request"'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ operation: "Idle", cache: "hit" });
    } finally {
      await logged.stop();
    }
  });

  it("check the revision with one statement, and reload nothing when it is unchanged", async () => {
    await server.ok(LIST_WITH_LEAD_STATUS);
    // Idle for longer than the interval: the next request must confirm the lists first.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await statementsFor(server, LIST_WITH_LEAD_STATUS)).toBe(1);
    expect(server.queries[0]).toMatch(/status_revision/);
  });
});

describeEachDatabaseKind("authentication cost", (kind) => {
  const server = new TestServer(kind);
  beforeAll(() => server.start({ auth: { apiKeyCacheSeconds: 5 } }));
  afterAll(() => server.stop());

  it("looks a well-formed but unknown API key up once per request", async () => {
    const unknown = `csk_0badc0de_${"A".repeat(43)}`;
    for (const query of ["{ callStatuses { code } }", "{ viewer { role } }"]) {
      server.resetQueries();
      const response = await server.gql(query, undefined, { "x-api-key": unknown });
      expect(response.status).toBe(401);
      const lookups = server.queries.filter((sql) => /\bapi_keys\b/.test(sql));
      expect(lookups).toHaveLength(1);
    }
  });
});
