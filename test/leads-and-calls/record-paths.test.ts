/**
 * The two ways of recording a call result — `recordCallResult` (forms, dialers) and
 * `recordAiCallResult` (an AI agent's tool call) — apply one set of rules to what they share:
 * the idempotency key and the comment are accepted and refused alike, so neither path lets
 * through what the other refuses.
 */
import { describeEachDatabase, expectError, type GraphQLResponse } from "../support/harness";

const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`;
const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id comment } }
}`;
const RECORD_AI = `mutation($input: RecordAiCallResultInput!) {
  recordAiCallResult(input: $input) { call { id comment } }
}`;
const CALLS_OF_LEAD = `query($leadId: ID!) { calls(filter: { leadId: $leadId }) { totalCount } }`;

type Recorded = { call: { id: string; comment: string | null } };

describeEachDatabase("recording through either path", (server) => {
  let counter = 0;

  async function newLead(): Promise<string> {
    counter += 1;
    const data = await server.ok<{ createLead: { id: string } }>(CREATE_LEAD, {
      input: { name: `Paths lead ${counter}` },
    });
    return data.createLead.id;
  }

  /** Records `qualified` (open to AI agents) with this comment and key, through `path`. */
  function record(
    path: "graphql" | "ai",
    leadId: string,
    comment: string | undefined,
    idempotencyKey: string | undefined,
  ): Promise<GraphQLResponse<Record<string, Recorded>>> {
    if (path === "graphql") {
      return server.gql(RECORD, {
        input: { leadId, callStatusCode: "qualified", comment, idempotencyKey },
      });
    }
    return server.gql(RECORD_AI, {
      input: {
        leadId,
        arguments: { callStatusCode: "qualified", ...(comment === undefined ? {} : { comment }) },
        idempotencyKey,
      },
    });
  }

  async function callsOf(leadId: string): Promise<number> {
    const data = await server.ok<{ calls: { totalCount: number } }>(CALLS_OF_LEAD, { leadId });
    return data.calls.totalCount;
  }

  const badKeys: Array<[string, string]> = [
    ["longer than 255 characters", "k".repeat(256)],
    ["empty", ""],
    ["blank", "   "],
    ["of white space only", " \t\u00A0 "],
    ["with a control character", "retry\u0007-1"],
    ["with a line break", "retry\n1"],
    ["with a bidirectional override", "\u202Eretry-1"],
  ];

  for (const path of ["graphql", "ai"] as const) {
    for (const [what, key] of badKeys) {
      it(`${path}: refuses an idempotency key ${what}, naming it, writing nothing`, async () => {
        const leadId = await newLead();
        const response = await record(path, leadId, "Fine", key);
        expectError(response, "BAD_USER_INPUT", "idempotencyKey");
        expect(await callsOf(leadId)).toBe(0);
      });
    }

    it(`${path}: accepts a key of 255 characters, and replays it`, async () => {
      const leadId = await newLead();
      const key = `${path}-${"k".repeat(250)}`.slice(0, 255);
      const first = await record(path, leadId, "Fine", key);
      expect(first.errors).toBeUndefined();
      const again = await record(path, leadId, "Fine", key);
      expect(again.errors).toBeUndefined();
      expect(Object.values(again.data!)[0].call.id).toBe(Object.values(first.data!)[0].call.id);
      expect(await callsOf(leadId)).toBe(1);
    });

    it(`${path}: measures the comment as stored, trimmed (2000 characters and spaces around)`, async () => {
      const leadId = await newLead();
      const comment = `  \n${"ж".repeat(2000)}\t  `;
      const response = await record(path, leadId, comment, undefined);
      expect(response.errors).toBeUndefined();
      expect(Object.values(response.data!)[0].call.comment).toBe("ж".repeat(2000));
    });

    it(`${path}: refuses a comment with a control character, writing nothing`, async () => {
      const leadId = await newLead();
      const response = await record(path, leadId, "Called\u001B[2J back", undefined);
      expectError(response, "BAD_USER_INPUT", path === "graphql" ? "comment" : "arguments.comment");
      expect(await callsOf(leadId)).toBe(0);
    });

    it(`${path}: refuses a comment of 2001 characters, writing nothing`, async () => {
      const leadId = await newLead();
      const response = await record(path, leadId, `${"x".repeat(2001)}`, undefined);
      expectError(response, "BAD_USER_INPUT", path === "graphql" ? "comment" : "arguments.comment");
      expect(await callsOf(leadId)).toBe(0);
    });
  }

  it("ai: refuses a comment with a lone surrogate inside arguments sent as JSON text", async () => {
    const leadId = await newLead();
    // The escape stays text until the service parses the arguments: no GraphQL check sees it.
    const args = '{"callStatusCode":"qualified","comment":"Called \\ud800 back"}';
    const response = await server.gql(RECORD_AI, { input: { leadId, arguments: args } });
    expectError(response, "BAD_USER_INPUT", "arguments.comment");
    expect(await callsOf(leadId)).toBe(0);
  });
});
