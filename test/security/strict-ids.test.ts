/**
 * Ids are canonical decimal numbers (`1`, `42`, never `01`, ` 1` or `1\n`) at every place one
 * comes in: a look-up, an update, a filter, a recording, a revocation. Anything else is
 * BAD_USER_INPUT naming the field, and nothing is written — one id has one spelling, so two
 * spellings can never name one record (nor slip past a check made on the text).
 */
import {
  describeEachDatabase,
  expectError,
  type GraphQLResponse,
  type TestServer,
} from "../support/harness";

/** Other spellings of an id that a lenient number parser would read as that id. */
const OTHER_SPELLINGS: Array<[string, (id: string) => string]> = [
  ["with a leading zero", (id) => `0${id}`],
  ["with a space before it", (id) => ` ${id}`],
  ["with a space after it", (id) => `${id} `],
  ["with a line break after it", (id) => `${id}\n`],
  ["with a tab before it", (id) => `\t${id}`],
  ["with a no-break space before it", (id) => `\u00A0${id}`],
  ["with a plus sign", (id) => `+${id}`],
  ["as a fraction", (id) => `${id}.0`],
];

interface Entry {
  /** What the id is given to, as the test's title says it. */
  what: string;
  field: string;
  /** Sends the operation with `id`; answers with the response. */
  send: (server: TestServer, id: string) => Promise<GraphQLResponse>;
  /** The canonical id to spell otherwise (made by the entry's setup). */
  id: () => string;
  /** Fails the test when the refused operation wrote anything. */
  untouched?: (server: TestServer) => Promise<void>;
}

describeEachDatabase("strict ids", (server) => {
  let leadId = "";
  let callStatusId = "";
  let leadStatusId = "";
  let revocableKeyId = "";
  let revocableKey = "";
  let accountId = "";
  let platform: Record<string, string> = {};

  const callsOfLead = async () =>
    (
      await server.ok<{ calls: { totalCount: number } }>(
        `query($leadId: ID!) { calls(filter: { leadId: $leadId }) { totalCount } }`,
        { leadId },
      )
    ).calls.totalCount;

  beforeAll(async () => {
    leadId = (
      await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Strict ids" }) { id } }`,
      )
    ).createLead.id;
    callStatusId = (
      await server.ok<{ createCallStatus: { id: string } }>(
        `mutation { createCallStatus(input: { title: "Strict ids call status", showToAiAgents: true }) { id } }`,
      )
    ).createCallStatus.id;
    leadStatusId = (
      await server.ok<{ createLeadStatus: { id: string } }>(
        `mutation { createLeadStatus(input: { title: "Strict ids lead status", category: IN_PROGRESS }) { id } }`,
      )
    ).createLeadStatus.id;
    const created = await server.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      `mutation { createApiKey(input: { name: "to keep", role: AGENT }) { secret apiKey { id } } }`,
    );
    revocableKey = created.createApiKey.secret;
    revocableKeyId = created.createApiKey.apiKey.id;
    platform = { "x-api-key": await server.createPlatformKey() };
    accountId = (
      await server.ok<{ createAccount: { id: string } }>(
        `mutation { createAccount(input: { name: "Strict ids account" }) { id } }`,
        undefined,
        platform,
      )
    ).createAccount.id;
  });

  const entries: Entry[] = [
    {
      what: "lead(id:)",
      field: "id",
      id: () => leadId,
      send: (s, id) => s.gql(`query($id: ID!) { lead(id: $id) { id } }`, { id }),
    },
    {
      what: "callStatus(id:)",
      field: "id",
      id: () => callStatusId,
      send: (s, id) => s.gql(`query($id: ID!) { callStatus(id: $id) { id } }`, { id }),
    },
    {
      what: "leadStatus(id:)",
      field: "id",
      id: () => leadStatusId,
      send: (s, id) => s.gql(`query($id: ID!) { leadStatus(id: $id) { id } }`, { id }),
    },
    {
      what: "updateCallStatus(id:)",
      field: "id",
      id: () => callStatusId,
      send: (s, id) =>
        s.gql(
          `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Renamed" }) { id } }`,
          { id },
        ),
      untouched: async (s) => {
        const data = await s.ok<{ callStatus: { title: string; version: number } }>(
          `query($id: ID!) { callStatus(id: $id) { title version } }`,
          { id: callStatusId },
        );
        expect(data.callStatus).toEqual({ title: "Strict ids call status", version: 1 });
      },
    },
    {
      what: "updateLeadStatus(id:)",
      field: "id",
      id: () => leadStatusId,
      send: (s, id) =>
        s.gql(
          `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "Renamed" }) { id } }`,
          { id },
        ),
      untouched: async (s) => {
        const data = await s.ok<{ leadStatus: { title: string; version: number } }>(
          `query($id: ID!) { leadStatus(id: $id) { title version } }`,
          { id: leadStatusId },
        );
        expect(data.leadStatus).toEqual({ title: "Strict ids lead status", version: 1 });
      },
    },
    {
      what: "recordCallResult's leadId",
      field: "leadId",
      id: () => leadId,
      send: (s, id) =>
        s.gql(
          `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
          {
            input: {
              leadId: id,
              callStatusCode: "qualified",
              idempotencyKey: `strict-${encodeURIComponent(id)}`,
            },
          },
        ),
      untouched: async () => expect(await callsOfLead()).toBe(0),
    },
    {
      what: "recordAiCallResult's leadId",
      field: "leadId",
      id: () => leadId,
      send: (s, id) =>
        s.gql(
          `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) { call { id } } }`,
          {
            input: {
              leadId: id,
              arguments: { callStatusCode: "qualified" },
              idempotencyKey: `strict-ai-${encodeURIComponent(id)}`,
            },
          },
        ),
      untouched: async () => expect(await callsOfLead()).toBe(0),
    },
    {
      what: "the calls filter's leadId",
      field: "leadId",
      id: () => leadId,
      send: (s, id) =>
        s.gql(`query($id: ID!) { calls(filter: { leadId: $id }) { totalCount } }`, { id }),
    },
    {
      what: "the audit log filter's entityId",
      field: "entityId",
      id: () => callStatusId,
      send: (s, id) =>
        s.gql(
          `query($id: ID!) { auditLog(filter: { entityType: CALL_STATUS, entityId: $id }) { totalCount } }`,
          { id },
        ),
    },
    {
      what: "revokeApiKey(id:)",
      field: "id",
      id: () => revocableKeyId,
      send: (s, id) => s.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id }),
      untouched: async (s) => {
        const still = await s.gql(`{ viewer { role } }`, undefined, { "x-api-key": revocableKey });
        expect(still.data).toEqual({ viewer: { role: "AGENT" } });
      },
    },
    {
      what: "updateAccount(id:)",
      field: "id",
      id: () => accountId,
      send: (s, id) =>
        s.gql(
          `mutation($id: ID!) { updateAccount(id: $id, input: { name: "Renamed" }) { id } }`,
          { id },
          platform,
        ),
      untouched: async (s) => {
        const data = await s.ok<{ accounts: Array<{ id: string; name: string }> }>(
          `{ accounts { id name } }`,
          undefined,
          platform,
        );
        expect(data.accounts.find((a) => a.id === accountId)?.name).toBe("Strict ids account");
      },
    },
  ];

  describe.each(entries.map((entry) => [entry.what, entry] as const))("%s", (_what, entry) => {
    it.each(OTHER_SPELLINGS)(
      "refuses the id %s as BAD_USER_INPUT naming the field, writing nothing",
      async (_how, spell) => {
        const response = await entry.send(server, spell(entry.id()));
        expect(response.status).toBe(200);
        const error = expectError(response, "BAD_USER_INPUT", entry.field);
        expect(error.message).toMatch(new RegExp(`^${entry.field} must be an id`));
        if (entry.untouched) await entry.untouched(server);
      },
    );
  });

  it("reads the canonical spelling of each id", async () => {
    const data = await server.ok<{ lead: { id: string } | null; callStatus: { id: string } }>(
      `query($lead: ID!, $status: ID!) { lead(id: $lead) { id } callStatus(id: $status) { id } }`,
      { lead: leadId, status: callStatusId },
    );
    expect(data).toEqual({ lead: { id: leadId }, callStatus: { id: callStatusId } });
  });
});
