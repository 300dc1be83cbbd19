/**
 * A filter is either absent or means something: an empty or blank value is BAD_USER_INPUT naming
 * the field, never a filter quietly dropped (a CRM looking a lead up by an empty external id must
 * not get an arbitrary lead). The settings pages' status search is the exception, documented in
 * the schema: an emptied search box lists every status.
 */
import { describeEachDatabase, expectError } from "../support/harness";

const LEADS = `query($filter: LeadFilter) { leads(filter: $filter) { edges { node { id } } } }`;
const CALLS = `query($filter: CallFilter) { calls(filter: $filter) { edges { node { id } } } }`;
const AUDIT = `query($filter: AuditLogFilter) { auditLog(filter: $filter) { edges { node { id } } } }`;
const CALL_STATUSES = `query($filter: CallStatusFilter) { callStatuses(filter: $filter) { code } }`;

describeEachDatabase("blank filter values", (server) => {
  beforeAll(async () => {
    await server.ok(
      `mutation { createLead(input: { name: "Blank filter lead", externalId: "crm-1" }) { id } }`,
    );
  });

  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ["leads", LEADS, { externalId: "" }, "externalId"],
    ["leads", LEADS, { externalId: "   " }, "externalId"],
    ["leads", LEADS, { phone: "" }, "phone"],
    ["leads", LEADS, { search: " " }, "search"],
    ["leads", LEADS, { statusCode: "" }, "statusCode"],
    ["calls", CALLS, { callStatusCode: "" }, "callStatusCode"],
    ["calls", CALLS, { callStatusCode: " \t" }, "callStatusCode"],
    ["auditLog", AUDIT, { actorId: "" }, "actorId"],
  ];

  for (const [list, query, filter, field] of cases) {
    it(`${list}(filter: ${JSON.stringify(filter)}) is BAD_USER_INPUT naming ${field}`, async () => {
      expectError(await server.gql(query, { filter }), "BAD_USER_INPUT", field);
    });
  }

  it("still finds what a real value names", async () => {
    const found = await server.ok<{ leads: { edges: unknown[] } }>(LEADS, {
      filter: { externalId: "crm-1" },
    });
    expect(found.leads.edges).toHaveLength(1);
  });

  it("lists every call status for an emptied search box", async () => {
    const all = await server.ok<{ callStatuses: unknown[] }>(CALL_STATUSES, { filter: {} });
    const blank = await server.ok<{ callStatuses: unknown[] }>(CALL_STATUSES, {
      filter: { search: "" },
    });
    expect(blank.callStatuses).toEqual(all.callStatuses);
  });
});
