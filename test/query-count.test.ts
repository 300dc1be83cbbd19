import { describeEachDatabase, type TestServer } from "./support/harness";

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

describeEachDatabase("SQL statements per request", (server) => {
  it("stay the same whatever the number of statuses (no N+1)", async () => {
    await createBulk(server, 10, 0);
    const small = {
      list: await statementsFor(server, LIST_WITH_LEAD_STATUS),
      byLead: await statementsFor(server, LEAD_STATUSES_WITH_CALL_STATUSES),
      deep: await statementsFor(server, DEEP),
    };

    await createBulk(server, 200, 10);
    const data = await server.ok<{ callStatuses: unknown[] }>(LIST_WITH_LEAD_STATUS);
    expect(data.callStatuses).toHaveLength(217);
    const large = {
      list: await statementsFor(server, LIST_WITH_LEAD_STATUS),
      byLead: await statementsFor(server, LEAD_STATUSES_WITH_CALL_STATUSES),
      deep: await statementsFor(server, DEEP),
    };

    expect(large).toEqual(small);
    // A list with its lead statuses is one statement; each further level of nesting adds one.
    expect(large.list).toBe(1);
    expect(large.byLead).toBeLessThanOrEqual(3);
    expect(large.deep).toBeLessThanOrEqual(4);
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
