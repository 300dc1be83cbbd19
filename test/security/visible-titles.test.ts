/**
 * Titles and names must show something: a call or lead status title (create and update), an
 * account name (create and update) and an API key name made only of white space, invisible
 * characters (U+200B, U+2060, U+FEFF, the Hangul filler …) or lone combining marks is
 * BAD_USER_INPUT naming the field, and nothing is written. An agent choosing an outcome from a
 * list, or an administrator reading the audit trail, could not tell such entries apart.
 */
import {
  describeEachDatabase,
  expectError,
  type GraphQLResponse,
  type TestServer,
} from "../support/harness";

const INVISIBLE: Array<[string, string]> = [
  ["255 zero-width spaces", "\u200B".repeat(255)],
  ["a word joiner", "\u2060"],
  ["a zero-width no-break space between spaces", " \uFEFF\u200B "],
  ["the Hangul filler", "\u3164\u3164"],
  ["only combining marks", "\u0301\u0308"],
  ["the Braille blank", "\u2800"],
  ["a soft hyphen and a zero-width joiner", "\u00AD\u200D"],
];

const VISIBLE: Array<[string, string]> = [
  ["a word with zero-width characters inside", "Call\u200Bback"],
  ["an emoji", "☎️"],
  ["a letter with a combining mark", "e\u0301"],
  ["Hangul", "한국"],
];

interface Target {
  what: string;
  field: string;
  /** Sends the operation with `text` for the field. */
  send: (server: TestServer, text: string) => Promise<GraphQLResponse>;
  /** What a write would change (a row count, a version, a name): a refusal leaves it as it is. */
  state: (server: TestServer) => Promise<unknown>;
}

describeEachDatabase("titles and names need a visible character", (server) => {
  let platform: Record<string, string> = {};
  let callStatusId = "";
  let leadStatusId = "";
  let accountId = "";
  let counter = 0;
  const unique = (text: string) => `${text} ${(counter += 1)}`;

  beforeAll(async () => {
    platform = { "x-api-key": await server.createPlatformKey() };
    callStatusId = (
      await server.ok<{ createCallStatus: { id: string } }>(
        `mutation { createCallStatus(input: { title: "Visible call status" }) { id } }`,
      )
    ).createCallStatus.id;
    leadStatusId = (
      await server.ok<{ createLeadStatus: { id: string } }>(
        `mutation { createLeadStatus(input: { title: "Visible lead status", category: IN_PROGRESS }) { id } }`,
      )
    ).createLeadStatus.id;
    accountId = (
      await server.ok<{ createAccount: { id: string } }>(
        `mutation { createAccount(input: { name: "Visible account" }) { id } }`,
        undefined,
        platform,
      )
    ).createAccount.id;
  });

  /** How many rows `query` lists (at `key`). */
  const countOf =
    (query: string, key: string, headers?: Record<string, string>) => async (s: TestServer) =>
      (await s.ok<Record<string, unknown[]>>(query, undefined, headers))[key].length;

  const versionOf = async (s: TestServer, kind: "callStatus" | "leadStatus", id: string) =>
    (
      await s.ok<Record<string, { version: number }>>(
        `query($id: ID!) { ${kind}(id: $id) { version } }`,
        { id },
      )
    )[kind].version;

  const targets: Target[] = [
    {
      what: "createCallStatus's title",
      field: "title",
      send: (s, title) =>
        s.gql(
          `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
          {
            input: { title },
          },
        ),
      state: countOf(`{ callStatuses { id } }`, "callStatuses"),
    },
    {
      what: "updateCallStatus's title",
      field: "title",
      send: (s, title) =>
        s.gql(
          `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
          { id: callStatusId, input: { title } },
        ),
      state: (s) => versionOf(s, "callStatus", callStatusId),
    },
    {
      what: "createLeadStatus's title",
      field: "title",
      send: (s, title) =>
        s.gql(
          `mutation($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { id } }`,
          {
            input: { title, category: "IN_PROGRESS" },
          },
        ),
      state: countOf(`{ leadStatuses { id } }`, "leadStatuses"),
    },
    {
      what: "updateLeadStatus's title",
      field: "title",
      send: (s, title) =>
        s.gql(
          `mutation($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { id } }`,
          { id: leadStatusId, input: { title } },
        ),
      state: (s) => versionOf(s, "leadStatus", leadStatusId),
    },
    {
      what: "createAccount's name",
      field: "name",
      send: (s, name) =>
        s.gql(
          `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
          { input: { name } },
          platform,
        ),
      // `platform` is known only once the tests run.
      state: (s) => countOf(`{ accounts { id } }`, "accounts", platform)(s),
    },
    {
      what: "updateAccount's name",
      field: "name",
      send: (s, name) =>
        s.gql(
          `mutation($id: ID!, $input: UpdateAccountInput!) { updateAccount(id: $id, input: $input) { id } }`,
          { id: accountId, input: { name } },
          platform,
        ),
      // Accounts have no version: the name itself must stay.
      state: async (s) =>
        (
          await s.ok<{ accounts: Array<{ id: string; name: string }> }>(
            `{ accounts { id name } }`,
            undefined,
            platform,
          )
        ).accounts.find((a) => a.id === accountId)?.name,
    },
    {
      what: "createApiKey's name",
      field: "name",
      send: (s, name) =>
        s.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, {
          input: { name, role: "AGENT" },
        }),
      state: countOf(`{ apiKeys { id } }`, "apiKeys"),
    },
  ];

  describe.each(targets.map((target) => [target.what, target] as const))("%s", (_what, target) => {
    it.each(INVISIBLE)(
      "refuses %s as BAD_USER_INPUT naming the field, writing nothing",
      async (_how, text) => {
        const before = await target.state(server);
        const response = await target.send(server, text);
        expect(response.status).toBe(200);
        const error = expectError(response, "BAD_USER_INPUT", target.field);
        expect(error.extensions?.fields).toEqual([
          {
            field: target.field,
            message: `${target.field} must contain a visible character (not only spaces, invisible characters or combining marks)`,
          },
        ]);
        expect(await target.state(server)).toEqual(before);
      },
    );

    it.each(VISIBLE)("takes %s", async (_how, text) => {
      const response = await target.send(server, unique(text));
      expect(response.errors).toBeUndefined();
    });
  });
});
