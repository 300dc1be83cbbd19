import {
  describeEachDatabase,
  describeEachDatabaseKind,
  expectError,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";
import { walkConnection, type Connection } from "../support/connections";

type RoleName = "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT";

interface CallNode {
  id: string;
  createdAt: string;
  status: { code: string };
  lead: { id: string };
}

type CallPage = Connection<CallNode>;

const PAGE_FIELDS = `totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id createdAt status { code } lead { id } } }`;
const CALLS = `query($filter: CallFilter, $first: Int, $after: String) {
  calls(filter: $filter, first: $first, after: $after) { ${PAGE_FIELDS} }
}`;
const LEAD_CALLS = `query($id: ID!, $first: Int, $after: String) {
  lead(id: $id) { calls(first: $first, after: $after) { ${PAGE_FIELDS} } }
}`;

function callsPage(
  server: TestServer,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<{ calls: CallPage }>> {
  return server.gql<{ calls: CallPage }>(CALLS, variables, headers);
}

async function leadCallsPage(
  server: TestServer,
  variables: Record<string, unknown>,
): Promise<GraphQLResponse<{ lead: { calls: CallPage } }>> {
  return server.gql<{ lead: { calls: CallPage } }>(LEAD_CALLS, variables);
}

function walkCalls(server: TestServer, filter: Record<string, unknown> | null, first: number) {
  return walkConnection(async (after) => {
    const response = await callsPage(server, { filter, first, after });
    expect(response.errors).toBeUndefined();
    return response.data!.calls;
  }, first);
}

const descendingIds = (ids: string[]) => [...ids].sort((a, b) => Number(b) - Number(a));
const idsOf = (nodes: CallNode[]) => nodes.map((n) => n.id);

async function createLeads(server: TestServer, count: number, prefix: string): Promise<string[]> {
  const fields = Array.from(
    { length: count },
    (_, i) => `l${i}: createLead(input: { name: "${prefix} ${i}" }) { id }`,
  );
  const data = await server.ok<Record<string, { id: string }>>(`mutation { ${fields.join("\n")} }`);
  return Array.from({ length: count }, (_, i) => data[`l${i}`].id);
}

/** Records the given results in one request, in order; returns the call ids. */
async function recordMany(
  server: TestServer,
  results: Array<{ leadId: string; callStatusCode: string }>,
): Promise<string[]> {
  if (results.length === 0) return [];
  const fields = results.map(
    (r, i) =>
      `c${i}: recordCallResult(input: { leadId: "${r.leadId}", callStatusCode: "${r.callStatusCode}" }) { call { id } }`,
  );
  const data = await server.ok<Record<string, { call: { id: string } }>>(
    `mutation { ${fields.join("\n")} }`,
  );
  return results.map((_, i) => data[`c${i}`].call.id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase("calls: pages and filters", (server) => {
  const TOTAL = 45;
  let leadId: string;
  let otherLeadId: string;
  let callIds: string[] = [];
  const qualifiedIds: string[] = [];
  let otherCallIds: string[] = [];

  beforeAll(async () => {
    [leadId, otherLeadId] = await createLeads(server, 2, "Paged calls");
    const results = Array.from({ length: TOTAL }, (_, i) => ({
      leadId,
      callStatusCode: i % 3 === 0 ? "qualified" : i % 3 === 1 ? "disqualified" : "voicemail",
    }));
    callIds = await recordMany(server, results);
    results.forEach((r, i) => {
      if (r.callStatusCode === "qualified") qualifiedIds.push(callIds[i]);
    });
    otherCallIds = await recordMany(server, [
      { leadId: otherLeadId, callStatusCode: "qualified" },
      { leadId: otherLeadId, callStatusCode: "voicemail" },
    ]);
  });

  it("walks the calls of a lead exactly once, newest first, with a constant totalCount", async () => {
    const result = await walkCalls(server, { leadId }, 10);
    expect(result.totalCount).toBe(TOTAL);
    expect(result.pages).toBe(5);
    expect(idsOf(result.nodes)).toEqual(descendingIds(callIds));
    for (const node of result.nodes) expect(node.lead.id).toBe(leadId);
  });

  it("walks every call exactly once without a filter", async () => {
    const result = await walkCalls(server, null, 10);
    expect(result.totalCount).toBe(TOTAL + 2);
    expect(idsOf(result.nodes)).toEqual(descendingIds([...callIds, ...otherCallIds]));
  });

  it.each([1, 9, 45, 47, 100])("walks the same calls with first: %i", async (first) => {
    const result = await walkCalls(server, null, first);
    expect(idsOf(result.nodes)).toEqual(descendingIds([...callIds, ...otherCallIds]));
  });

  it("walks the calls matching a status and a lead exactly once", async () => {
    const result = await walkCalls(server, { leadId, callStatusCode: "qualified" }, 4);
    expect(result.totalCount).toBe(qualifiedIds.length);
    expect(idsOf(result.nodes)).toEqual(descendingIds(qualifiedIds));
    for (const node of result.nodes) expect(node.status.code).toBe("qualified");

    const byStatus = await walkCalls(server, { callStatusCode: "qualified" }, 4);
    expect(idsOf(byStatus.nodes)).toEqual(descendingIds([...qualifiedIds, otherCallIds[0]]));
    const other = await walkCalls(server, { leadId: otherLeadId }, 1);
    expect(idsOf(other.nodes)).toEqual(descendingIds(otherCallIds));
    expect(other.pages).toBe(2);
  });

  it("answers empty pages for an unknown lead or call status", async () => {
    const empty = {
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    };
    for (const filter of [
      { leadId: "2147483000" },
      { callStatusCode: "no_such_status" },
      { leadId, callStatusCode: "missed_by_system" },
    ]) {
      const response = await callsPage(server, { filter });
      expect(response.errors).toBeUndefined();
      expect(response.data!.calls).toEqual(empty);
    }
  });

  it("walks Lead.calls exactly once, in the same order as calls(filter: {leadId})", async () => {
    const result = await walkConnection(async (after) => {
      const response = await leadCallsPage(server, { id: leadId, first: 10, after });
      expect(response.errors).toBeUndefined();
      return response.data!.lead.calls;
    }, 10);
    expect(result.totalCount).toBe(TOTAL);
    expect(result.pages).toBe(5);
    expect(idsOf(result.nodes)).toEqual(descendingIds(callIds));
  });

  it("returns 20 calls by default, in calls and in Lead.calls", async () => {
    const top = (await callsPage(server, { filter: { leadId } })).data!.calls;
    expect(idsOf(top.edges.map((e) => e.node))).toEqual(descendingIds(callIds).slice(0, 20));
    const nested = (await leadCallsPage(server, { id: leadId })).data!.lead.calls;
    expect(nested).toEqual(top);
  });

  it.each([0, -1, 101])("refuses first: %i naming first", async (first) => {
    expectError(await callsPage(server, { first }), "BAD_USER_INPUT", "first");
    expectError(await leadCallsPage(server, { id: leadId, first }), "BAD_USER_INPUT", "first");
  });

  it("refuses a cursor that is not one of this list naming after", async () => {
    const leadCursor = Buffer.from(`lead:${leadId}`, "utf8").toString("base64url");
    for (const after of ["garbage", "", leadCursor]) {
      expectError(await callsPage(server, { after }), "BAD_USER_INPUT", "after");
      expectError(await leadCallsPage(server, { id: leadId, after }), "BAD_USER_INPUT", "after");
    }
  });

  it("refuses a malformed leadId in the filter naming leadId", async () => {
    for (const id of ["abc", "0", "-2"]) {
      expectError(await callsPage(server, { filter: { leadId: id } }), "BAD_USER_INPUT", "leadId");
    }
  });

  it("filters by the recording time around now", async () => {
    const count = async (filter: Record<string, unknown>) => {
      const response = await callsPage(server, { filter: { leadId, ...filter }, first: 100 });
      expect(response.errors).toBeUndefined();
      expect(response.data!.calls.edges).toHaveLength(response.data!.calls.totalCount);
      return response.data!.calls.totalCount;
    };
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    expect(await count({ from: minuteAgo })).toBe(TOTAL);
    expect(await count({ to: minuteAgo })).toBe(0);
    expect(await count({ from: inAMinute })).toBe(0);
    expect(await count({ to: inAMinute })).toBe(TOTAL);
    expect(await count({ from: minuteAgo, to: inAMinute })).toBe(TOTAL);
    expect(await count({ from: inAMinute, to: minuteAgo })).toBe(0);
    expect(await count({ from: minuteAgo, callStatusCode: "qualified" })).toBe(qualifiedIds.length);
  });

  it("refuses a from/to that is not a date-time naming the field", async () => {
    expectError(
      await callsPage(server, { filter: { from: "yesterday" } }),
      "BAD_USER_INPUT",
      "from",
    );
    expectError(
      await callsPage(server, { filter: { to: "2030-02-31T00:00:00Z" } }),
      "BAD_USER_INPUT",
      "to",
    );
  });

  describe("recording time boundaries", () => {
    let early: CallNode;
    let late: CallNode;
    let boundaryLead: string;

    beforeAll(async () => {
      [boundaryLead] = await createLeads(server, 1, "Boundaries");
      await recordMany(server, [{ leadId: boundaryLead, callStatusCode: "qualified" }]);
      // The next call falls into a later second
      await sleep(1100);
      await recordMany(server, [{ leadId: boundaryLead, callStatusCode: "disqualified" }]);
      const page = (await callsPage(server, { filter: { leadId: boundaryLead } })).data!.calls;
      [late, early] = page.edges.map((e) => e.node);
      expect(Date.parse(late.createdAt)).toBeGreaterThan(Date.parse(early.createdAt));
    });

    const idsFor = async (filter: Record<string, unknown>) =>
      idsOf(
        (
          await callsPage(server, { filter: { leadId: boundaryLead, ...filter } })
        ).data!.calls.edges.map((e) => e.node),
      );

    it("includes calls recorded exactly at `from` and excludes those exactly at `to`", async () => {
      expect(await idsFor({ from: late.createdAt })).toEqual([late.id]);
      expect(await idsFor({ to: late.createdAt })).toEqual([early.id]);
      expect(await idsFor({ from: early.createdAt, to: late.createdAt })).toEqual([early.id]);
      expect(await idsFor({ from: early.createdAt })).toEqual([late.id, early.id]);
    });

    // Recorded times are whole seconds: a bound with milliseconds must compare with that value,
    // not be cut to its second first.
    const plusHalf = (iso: string) => new Date(Date.parse(iso) + 500).toISOString();

    it("includes a call recorded before a `to` with milliseconds", async () => {
      // `late` was recorded at late.createdAt, half a second before `to`
      expect(await idsFor({ to: plusHalf(late.createdAt) })).toEqual([late.id, early.id]);
    });

    it("excludes a call recorded before a `from` with milliseconds", async () => {
      // `early` was recorded at early.createdAt, half a second before `from`
      expect(await idsFor({ from: plusHalf(early.createdAt) })).toEqual([late.id]);
    });
  });
});

describeEachDatabase("calls: every role reads leads and calls", (server) => {
  const keys = {} as Record<RoleName, string>;
  let leadId: string;

  beforeAll(async () => {
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const) {
      keys[role] = await server.createKey(role);
    }
    await server.ok(
      `mutation { createCallStatus(input: { code: "hidden", title: "Hidden", agentVisibility: NEVER, showToAiAgents: false }) { id } }`,
    );
    [leadId] = await createLeads(server, 1, "Readable");
    for (const [role, callStatusCode] of [
      ["SYSTEM", "voicemail"],
      ["ADMIN", "hidden"],
      ["AGENT", "qualified"],
      ["AI_AGENT", "disqualified"],
    ] as const) {
      await server.ok(
        `mutation($i: RecordCallResultInput!) { recordCallResult(input: $i) { call { id } } }`,
        { i: { leadId, callStatusCode } },
        { "x-api-key": keys[role] },
      );
    }
  });

  const HISTORY = ["disqualified", "qualified", "hidden", "voicemail"];
  /** The statuses each role may see in full: `hidden` and `voicemail` are for neither agent. */
  const SHOWN: Record<RoleName, Array<string | null>> = {
    ADMIN: HISTORY,
    SYSTEM: HISTORY,
    AGENT: ["disqualified", "qualified", null, null],
    AI_AGENT: ["disqualified", "qualified", null, null],
  };

  it.each(["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const)(
    "%s reads the lead, its calls and every call's outcome, hidden statuses only by name",
    async (role) => {
      const response = await server.gql<{
        lead: {
          id: string;
          status: { code: string };
          calls: {
            totalCount: number;
            edges: Array<{
              node: {
                outcome: { code: string; title: string };
                status: { code: string } | null;
                recordedByRole: string;
              };
            }>;
          };
        };
        leads: { totalCount: number; edges: Array<{ node: { id: string } }> };
        calls: {
          totalCount: number;
          edges: Array<{
            node: {
              outcome: { code: string };
              status: { code: string } | null;
              lead: { id: string };
            };
          }>;
        };
      }>(
        `query($id: ID!) {
          lead(id: $id) {
            id status { code }
            calls { totalCount edges { node { outcome { code title } status { code } recordedByRole } } }
          }
          leads(filter: { search: "Readable" }) { totalCount edges { node { id } } }
          calls(filter: { leadId: $id }) { totalCount edges { node { outcome { code } status { code } lead { id } } } }
        }`,
        { id: leadId },
        { "x-api-key": keys[role] },
      );
      expect(response.errors).toBeUndefined();
      const data = response.data!;
      expect(data.lead.id).toBe(leadId);
      expect(data.lead.status.code).toBe("disqualified");
      expect(data.lead.calls.totalCount).toBe(4);
      expect(data.lead.calls.edges.map((e) => e.node.outcome.code)).toEqual(HISTORY);
      expect(data.lead.calls.edges.map((e) => e.node.status?.code ?? null)).toEqual(SHOWN[role]);
      expect(data.lead.calls.edges.map((e) => e.node.recordedByRole)).toEqual([
        "AI_AGENT",
        "AGENT",
        "ADMIN",
        "SYSTEM",
      ]);
      expect(data.lead.calls.edges[3].node.outcome.title).toBe("Voicemail");
      expect(data.leads.edges.map((e) => e.node.id)).toEqual([leadId]);
      expect(data.calls.totalCount).toBe(4);
      expect(data.calls.edges.map((e) => e.node.outcome.code)).toEqual(HISTORY);
      expect(data.calls.edges.map((e) => e.node.status?.code ?? null)).toEqual(SHOWN[role]);
      for (const edge of data.calls.edges) expect(edge.node.lead.id).toBe(leadId);
    },
  );
});

describeEachDatabaseKind("calls: SQL statements per request", (kind) => {
  const server = new TestServer(kind);
  // A long refresh interval: no background revision check of the status lists falls inside a
  // measured request (as in test/statuses/query-count.test.ts).
  beforeAll(() =>
    server.start({ statusCache: { enabled: true, refreshMs: 60_000, maxAccounts: 1000 } }),
  );
  afterAll(() => server.stop());

  const QUERY = `{
    leads(first: 50) {
      edges { node {
        id
        status { code }
        calls(first: 3) { totalCount edges { node { id status { code } lead { id } } } }
      } }
    }
  }`;

  interface Data {
    leads: {
      edges: Array<{
        node: {
          id: string;
          status: { code: string };
          calls: {
            totalCount: number;
            edges: Array<{ node: { id: string; status: { code: string }; lead: { id: string } } }>;
          };
        };
      }>;
    };
  }

  /** Expected per lead: its call ids (oldest first) and their status codes. */
  const expected = new Map<string, Array<{ id: string; code: string }>>();
  const codes = ["qualified", "voicemail", "disqualified", "no_link"];

  async function addLeads(count: number, offset: number) {
    const leadIds = await createLeads(server, count, "Batched");
    const results = leadIds.flatMap((leadId, i) =>
      Array.from({ length: 2 + ((offset + i) % 4) }, (_, j) => ({
        leadId,
        callStatusCode: codes[(offset + i + j) % codes.length],
      })),
    );
    const ids = await recordMany(server, results);
    results.forEach((r, i) => {
      const list = expected.get(r.leadId) ?? [];
      list.push({ id: ids[i], code: r.callStatusCode });
      expected.set(r.leadId, list);
    });
  }

  async function statements(): Promise<{ count: number; data: Data }> {
    await server.ok(QUERY); // warm-up: the API key is cached afterwards
    server.resetQueries();
    const data = await server.ok<Data>(QUERY);
    return { count: server.queries.length, data };
  }

  function checkData(data: Data, leadCount: number) {
    expect(data.leads.edges).toHaveLength(leadCount);
    expect(data.leads.edges.map((e) => e.node.id)).toEqual(descendingIds([...expected.keys()]));
    for (const { node } of data.leads.edges) {
      const calls = expected.get(node.id)!;
      expect(node.calls.totalCount).toBe(calls.length);
      const newest = [...calls].reverse().slice(0, 3);
      expect(node.calls.edges.map((e) => e.node.id)).toEqual(newest.map((c) => c.id));
      expect(node.calls.edges.map((e) => e.node.status.code)).toEqual(newest.map((c) => c.code));
      for (const edge of node.calls.edges) expect(edge.node.lead.id).toBe(node.id);
    }
  }

  beforeAll(async () => {
    await server.ok(
      `mutation { createCallStatus(input: { code: "no_link", title: "No link" }) { id } }`,
    );
  });

  it("stay the same for 5 and for 50 leads (no N+1), with the right nested data", async () => {
    await addLeads(5, 0);
    const small = await statements();
    checkData(small.data, 5);

    await addLeads(45, 5);
    const large = await statements();
    checkData(large.data, 50);

    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(10);
  });
});
