import { describeEachDatabase, expectError, type TestServer } from "../support/harness";

/**
 * A known data set on top of the 7 seeded statuses (sorts 10…70), chosen so that every filter
 * and combination below has a distinct, hand-checked answer.
 */
const CUSTOM = [
  {
    code: "do_not_call",
    title: "Do not call",
    sort: 15,
    agentVisibility: "ALWAYS",
    showToAiAgents: true,
    leadStatusCode: "disqualified",
  },
  {
    code: "callback_later",
    title: "Callback later",
    sort: 100,
    agentVisibility: "ALWAYS",
    showToAiAgents: true,
    leadStatusCode: "in_progress",
  },
  {
    code: "callback_tomorrow",
    title: "Callback tomorrow",
    sort: 100, // same sort as callback_later: ordered after it by id
    agentVisibility: "ALWAYS",
    showToAiAgents: false,
    leadStatusCode: "in_progress",
  },
  {
    code: "transfer_sale",
    title: "Transferred: sale",
    sort: 110,
    agentVisibility: "AFTER_CALL_TRANSFER",
    showToAiAgents: false,
    leadStatusCode: "qualified",
  },
  {
    code: "perezvonit",
    title: "Перезвонить позже",
    sort: 120,
    agentVisibility: "ALWAYS",
    showToAiAgents: false,
    leadStatusCode: null,
  },
  {
    code: "sure_100",
    title: "100% sure",
    sort: 130,
    agentVisibility: "NEVER",
    showToAiAgents: true,
    leadStatusCode: "qualified",
  },
  {
    code: "yolka",
    title: "ЁЛКА",
    sort: 140,
    agentVisibility: "NEVER",
    showToAiAgents: false,
    leadStatusCode: null,
  },
];

const SYSTEM_CODES = [
  "qualified",
  "disqualified",
  "voicemail",
  "call_terminated",
  "not_accepted_by_operator",
  "post_processing_not_completed",
  "missed_by_system",
];

const ALL_IN_ORDER = [
  "qualified",
  "do_not_call",
  "disqualified",
  "voicemail",
  "call_terminated",
  "not_accepted_by_operator",
  "post_processing_not_completed",
  "missed_by_system",
  "callback_later",
  "callback_tomorrow",
  "transfer_sale",
  "perezvonit",
  "sure_100",
  "yolka",
];

const AGENT_ALWAYS = [
  "qualified",
  "do_not_call",
  "disqualified",
  "callback_later",
  "callback_tomorrow",
  "perezvonit",
];

async function codes(server: TestServer, filter?: Record<string, unknown>): Promise<string[]> {
  const data = await server.ok<{ callStatuses: Array<{ code: string }> }>(
    `query($filter: CallStatusFilter) { callStatuses(filter: $filter) { code } }`,
    { filter },
  );
  return data.callStatuses.map((s) => s.code);
}

describeEachDatabase("call status queries", (server) => {
  beforeAll(async () => {
    for (const input of CUSTOM) {
      await server.ok(
        `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
        {
          input,
        },
      );
    }
  });

  it("lists every status ordered by sort, ties by id", async () => {
    expect(await codes(server)).toEqual(ALL_IN_ORDER);
    expect(await codes(server, {})).toEqual(ALL_IN_ORDER);
  });

  it.each([
    ["AGENT", undefined, AGENT_ALWAYS],
    ["AGENT", false, AGENT_ALWAYS],
    [
      "AGENT",
      true,
      [
        "qualified",
        "do_not_call",
        "disqualified",
        "callback_later",
        "callback_tomorrow",
        "transfer_sale",
        "perezvonit",
      ],
    ],
    [
      "AI_AGENT",
      undefined,
      ["qualified", "do_not_call", "disqualified", "callback_later", "sure_100"],
    ],
    ["AI_AGENT", true, ["qualified", "do_not_call", "disqualified", "callback_later", "sure_100"]],
  ])("visibleTo %s with afterCallTransfer %s", async (visibleTo, afterCallTransfer, expected) => {
    expect(await codes(server, { visibleTo, afterCallTransfer })).toEqual(expected);
  });

  it("filters by type", async () => {
    expect(await codes(server, { type: "SYSTEM" })).toEqual(SYSTEM_CODES);
    expect(await codes(server, { type: "CUSTOM" })).toEqual([
      "do_not_call",
      "callback_later",
      "callback_tomorrow",
      "transfer_sale",
      "perezvonit",
      "sure_100",
      "yolka",
    ]);
  });

  it("filters by linked lead status code", async () => {
    expect(await codes(server, { leadStatusCode: "qualified" })).toEqual([
      "qualified",
      "transfer_sale",
      "sure_100",
    ]);
    expect(await codes(server, { leadStatusCode: "in_progress" })).toEqual([
      "voicemail",
      "call_terminated",
      "not_accepted_by_operator",
      "post_processing_not_completed",
      "missed_by_system",
      "callback_later",
      "callback_tomorrow",
    ]);
    expect(await codes(server, { leadStatusCode: "new" })).toEqual([]);
    expect(await codes(server, { leadStatusCode: "no_such_status" })).toEqual([]);
  });

  it.each([
    ["CALLBACK", ["callback_later", "callback_tomorrow"]],
    ["  callback  ", ["callback_later", "callback_tomorrow"]],
    ["VoiceMail", ["voicemail"]],
    ["terminated", ["call_terminated"]],
    ["by_sys", ["missed_by_system"]], // code only
    ["by the sys", ["missed_by_system"]], // title only
    ["ПЕРЕЗВОН", ["perezvonit"]], // Cyrillic, upper case against a mixed-case title
    ["позже", ["perezvonit"]],
    ["ёлка", ["yolka"]], // Ё/ё folded like any other letter
    ["елка", []], // …but Е is not Ё
    ["%", ["sure_100"]], // literal percent, not a wildcard
    ["0% s", ["sure_100"]],
    ["a_e", []], // literal underscore: would match "later" if it were a wildcard
    ["k_l", ["callback_later"]],
    ["nothing like this", []],
    ["", ALL_IN_ORDER],
    ["   ", ALL_IN_ORDER],
  ])("search %j", async (search, expected) => {
    expect(await codes(server, { search })).toEqual(expected);
  });

  it("searches for underscores literally: only codes or titles containing one", async () => {
    expect(await codes(server, { search: "_" })).toEqual([
      "do_not_call",
      "call_terminated",
      "not_accepted_by_operator",
      "post_processing_not_completed",
      "missed_by_system",
      "callback_later",
      "callback_tomorrow",
      "transfer_sale",
      "sure_100",
    ]);
  });

  it.each([
    [
      { visibleTo: "AGENT", search: "call" },
      ["do_not_call", "callback_later", "callback_tomorrow"],
    ],
    [{ visibleTo: "AI_AGENT", leadStatusCode: "qualified" }, ["qualified", "sure_100"]],
    [
      { visibleTo: "AGENT", afterCallTransfer: true, leadStatusCode: "qualified" },
      ["qualified", "transfer_sale"],
    ],
    [
      { type: "CUSTOM", leadStatusCode: "in_progress", visibleTo: "AGENT" },
      ["callback_later", "callback_tomorrow"],
    ],
    [{ type: "SYSTEM", visibleTo: "AI_AGENT" }, ["qualified", "disqualified"]],
    [{ type: "SYSTEM", search: "call" }, ["call_terminated"]],
    [{ type: "CUSTOM", visibleTo: "AI_AGENT", search: "100" }, ["sure_100"]],
    [{ type: "SYSTEM", leadStatusCode: "qualified", visibleTo: "AGENT", search: "dis" }, []],
  ])("combines filters %j", async (filter, expected) => {
    expect(await codes(server, filter)).toEqual(expected);
  });

  it("returns the lead status of each call status, and null when none is linked", async () => {
    const data = await server.ok<{
      callStatuses: Array<{ code: string; leadStatus: { code: string; category: string } | null }>;
    }>(`{ callStatuses(filter: { type: CUSTOM }) { code leadStatus { code category } } }`);
    expect(data.callStatuses.map((s) => [s.code, s.leadStatus?.code ?? null])).toEqual([
      ["do_not_call", "disqualified"],
      ["callback_later", "in_progress"],
      ["callback_tomorrow", "in_progress"],
      ["transfer_sale", "qualified"],
      ["perezvonit", null],
      ["sure_100", "qualified"],
      ["yolka", null],
    ]);
    expect(data.callStatuses[0].leadStatus?.category).toBe("DISQUALIFIED");
  });

  it("derives showToAgent from agentVisibility", async () => {
    const data = await server.ok<{
      callStatuses: Array<{ code: string; agentVisibility: string; showToAgent: boolean }>;
    }>(`{ callStatuses(filter: { type: CUSTOM }) { code agentVisibility showToAgent } }`);
    for (const status of data.callStatuses) {
      expect(status.showToAgent).toBe(status.agentVisibility !== "NEVER");
    }
    expect(data.callStatuses.find((s) => s.code === "transfer_sale")?.showToAgent).toBe(true);
  });

  describe("callStatus(id | code)", () => {
    it("finds one status by id and by code", async () => {
      const byCode = await server.ok<{ callStatus: { id: string; code: string; title: string } }>(
        `{ callStatus(code: "perezvonit") { id code title } }`,
      );
      expect(byCode.callStatus).toMatchObject({ code: "perezvonit", title: "Перезвонить позже" });
      const byId = await server.ok<{ callStatus: { code: string } }>(
        `query($id: ID) { callStatus(id: $id) { code } }`,
        { id: byCode.callStatus.id },
      );
      expect(byId.callStatus.code).toBe("perezvonit");
    });

    it("returns null for an unknown id or code", async () => {
      expect(await server.ok(`{ callStatus(id: "999999") { id } }`)).toEqual({ callStatus: null });
      expect(await server.ok(`{ callStatus(code: "no_such_status") { id } }`)).toEqual({
        callStatus: null,
      });
      // codes match exactly on every database (MySQL's collation alone would ignore case)
      for (const code of ["VOICEMAIL", "Voicemail", "voicemail "]) {
        expect(
          await server.ok(`query($c: String) { callStatus(code: $c) { id } }`, { c: code }),
        ).toEqual({ callStatus: null });
      }
    });

    it("wants exactly one of id and code", async () => {
      const both = await server.gql(`{ callStatus(id: "1", code: "qualified") { id } }`);
      expectError(both, "BAD_USER_INPUT", "id");
      expectError(both, "BAD_USER_INPUT", "code");
      expect(both.data?.callStatus).toBeNull();
      expectError(await server.gql(`{ callStatus { id } }`), "BAD_USER_INPUT", "code");
    });

    it("refuses a malformed id, naming it", async () => {
      for (const id of ["abc", "-1", "0", "1.5", "99999999999999999"]) {
        const response = await server.gql(`query($id: ID) { callStatus(id: $id) { id } }`, { id });
        expectError(response, "BAD_USER_INPUT", "id");
      }
    });

    it("answers null for a well-formed id beyond any status (ids are 64-bit)", async () => {
      const response = await server.gql<{ callStatus: null }>(
        `query($id: ID) { callStatus(id: $id) { id } }`,
        { id: "99999999999" },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.callStatus).toBeNull();
    });
  });

  describe("LeadStatus.callStatuses", () => {
    it("lists the call statuses linked to each lead status, per audience", async () => {
      const query = `query($visibleTo: Audience, $afterCallTransfer: Boolean) {
        leadStatuses { code callStatuses(visibleTo: $visibleTo, afterCallTransfer: $afterCallTransfer) { code } }
      }`;
      const linked = async (variables: Record<string, unknown>) => {
        const data = await server.ok<{
          leadStatuses: Array<{ code: string; callStatuses: Array<{ code: string }> }>;
        }>(query, variables);
        return Object.fromEntries(
          data.leadStatuses.map((l) => [l.code, l.callStatuses.map((c) => c.code)]),
        );
      };
      expect(await linked({})).toEqual({
        new: [],
        in_progress: [
          "voicemail",
          "call_terminated",
          "not_accepted_by_operator",
          "post_processing_not_completed",
          "missed_by_system",
          "callback_later",
          "callback_tomorrow",
        ],
        qualified: ["qualified", "transfer_sale", "sure_100"],
        disqualified: ["do_not_call", "disqualified"],
      });
      expect(await linked({ visibleTo: "AGENT" })).toEqual({
        new: [],
        in_progress: ["callback_later", "callback_tomorrow"],
        qualified: ["qualified"],
        disqualified: ["do_not_call", "disqualified"],
      });
      expect(await linked({ visibleTo: "AGENT", afterCallTransfer: true })).toEqual({
        new: [],
        in_progress: ["callback_later", "callback_tomorrow"],
        qualified: ["qualified", "transfer_sale"],
        disqualified: ["do_not_call", "disqualified"],
      });
      expect(await linked({ visibleTo: "AI_AGENT" })).toEqual({
        new: [],
        in_progress: ["callback_later"],
        qualified: ["qualified", "sure_100"],
        disqualified: ["do_not_call", "disqualified"],
      });
    });

    it("can ask for two audiences in one request (aliases)", async () => {
      const data = await server.ok<{
        leadStatus: { agent: Array<{ code: string }>; ai: Array<{ code: string }> };
      }>(`{ leadStatus(code: "qualified") {
            agent: callStatuses(visibleTo: AGENT, afterCallTransfer: true) { code }
            ai: callStatuses(visibleTo: AI_AGENT) { code } } }`);
      expect(data.leadStatus.agent.map((s) => s.code)).toEqual(["qualified", "transfer_sale"]);
      expect(data.leadStatus.ai.map((s) => s.code)).toEqual(["qualified", "sure_100"]);
    });
  });

  it("refuses a filter value of the wrong kind before touching the data", async () => {
    const response = await server.gql(
      `query($filter: CallStatusFilter) { callStatuses(filter: $filter) { code } }`,
      { filter: { visibleTo: "EVERYONE" } },
    );
    expectError(response, "BAD_USER_INPUT", "visibleTo");
  });
});
