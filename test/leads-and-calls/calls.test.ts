import { describeEachDatabase, expectError, type GraphQLResponse } from "../support/harness";

type RoleName = "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT";

interface LeadData {
  id: string;
  externalId: string | null;
  name: string | null;
  status: { code: string };
  version: number;
}

interface CallData {
  id: string;
  comment: string | null;
  afterCallTransfer: boolean;
  nextCallAt: string | null;
  leadStatusChanged: boolean;
  recordedByRole: string;
  recordedBy: string;
  createdAt: string;
  status: { code: string; title: string };
  lead: { id: string };
}

interface CallResultData {
  call: CallData;
  lead: LeadData;
  leadStatusChanged: boolean;
}

const LEAD_FIELDS = `id externalId name status { code } version`;
const CALL_FIELDS = `id comment afterCallTransfer nextCallAt leadStatusChanged recordedByRole
  recordedBy createdAt status { code title } lead { id }`;

const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { ${LEAD_FIELDS} } }`;
const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { leadStatusChanged lead { ${LEAD_FIELDS} } call { ${CALL_FIELDS} } }
}`;
const LEAD = `query($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`;
const CALLS_OF_LEAD = `query($leadId: ID!) {
  calls(filter: { leadId: $leadId }, first: 100) { totalCount edges { node { ${CALL_FIELDS} } } }
}`;

const inOneDay = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();
const anHourAgo = () => new Date(Date.now() - 3600 * 1000).toISOString();

describeEachDatabase("recordCallResult", (server) => {
  const keys = {} as Record<RoleName, string>;
  const headersOf = (role: RoleName) => ({ "x-api-key": keys[role] });
  let leadCounter = 0;

  async function createLead(input: Record<string, unknown> = {}): Promise<LeadData> {
    leadCounter += 1;
    const data = await server.ok<{ createLead: LeadData }>(CREATE_LEAD, {
      input: { name: `Call test lead ${leadCounter}`, ...input },
    });
    return data.createLead;
  }

  function recordAs(
    role: RoleName,
    input: Record<string, unknown>,
  ): Promise<GraphQLResponse<{ recordCallResult: CallResultData }>> {
    return server.gql<{ recordCallResult: CallResultData }>(RECORD, { input }, headersOf(role));
  }

  async function recordOk(role: RoleName, input: Record<string, unknown>) {
    const response = await recordAs(role, input);
    expect(response.errors).toBeUndefined();
    return response.data!.recordCallResult;
  }

  async function leadOf(id: string): Promise<LeadData> {
    return (await server.ok<{ lead: LeadData }>(LEAD, { id })).lead;
  }

  it("answers with exactly what a later read returns (call and lead)", async () => {
    const lead = await createLead();
    const nextCallAt = new Date(Date.now() + 3 * 24 * 3600 * 1000 + 789).toISOString();
    for (const [code, extra] of [
      ["qualified", { comment: "  Wants a demo  " }],
      ["voicemail", { nextCallAt, afterCallTransfer: true }],
    ] as const) {
      const result = await recordOk("SYSTEM", { leadId: lead.id, callStatusCode: code, ...extra });
      expect(result.lead).toEqual(await leadOf(lead.id));
      const stored = (await callsOf(lead.id)).calls.find((c) => c.id === result.call.id);
      expect(result.call).toEqual(stored);
    }
  });

  async function callsOf(leadId: string): Promise<{ totalCount: number; calls: CallData[] }> {
    const data = await server.ok<{
      calls: { totalCount: number; edges: Array<{ node: CallData }> };
    }>(CALLS_OF_LEAD, { leadId });
    return { totalCount: data.calls.totalCount, calls: data.calls.edges.map((e) => e.node) };
  }

  /** Asserts that the lead has no calls and is still in `statusCode`. */
  async function expectUntouched(lead: LeadData, statusCode = lead.status.code) {
    expect((await callsOf(lead.id)).totalCount).toBe(0);
    const now = await leadOf(lead.id);
    expect(now.status.code).toBe(statusCode);
    expect(now.version).toBe(lead.version);
  }

  async function createCallStatus(input: Record<string, unknown>): Promise<{ id: string }> {
    const data = await server.ok<{ createCallStatus: { id: string } }>(
      `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
      { input },
    );
    return data.createCallStatus;
  }

  beforeAll(async () => {
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const) {
      keys[role] = await server.createKey(role);
    }
    for (const input of [
      { code: "no_link", title: "No link", agentVisibility: "ALWAYS", showToAiAgents: true },
      {
        code: "needs_comment",
        title: "Needs comment",
        commentRequired: true,
        leadStatusCode: "in_progress",
        showToAiAgents: true,
      },
      {
        code: "needs_time",
        title: "Call back",
        planningTimeRequired: true,
        leadStatusCode: "in_progress",
        showToAiAgents: true,
      },
      {
        code: "transfer_only",
        title: "Transfer only",
        agentVisibility: "AFTER_CALL_TRANSFER",
        showToAiAgents: false,
        leadStatusCode: "qualified",
      },
      { code: "ai_only", title: "AI only", agentVisibility: "NEVER", showToAiAgents: true },
      { code: "hidden", title: "Hidden", agentVisibility: "NEVER", showToAiAgents: false },
    ]) {
      await createCallStatus(input);
    }
  });

  describe("storing the call and moving the lead", () => {
    it("stores every field and moves the lead to the linked status", async () => {
      const lead = await createLead();
      expect(lead.status.code).toBe("new");
      const viewer = await server.ok<{ viewer: { actorId: string } }>(
        `{ viewer { actorId } }`,
        undefined,
        headersOf("AGENT"),
      );
      const nextCallAt = new Date(Date.now() + 2 * 24 * 3600 * 1000);
      nextCallAt.setUTCMilliseconds(0);
      const before = Date.now();
      const result = await recordOk("AGENT", {
        leadId: lead.id,
        callStatusCode: "qualified",
        comment: "Wants a demo",
        nextCallAt: nextCallAt.toISOString(),
      });
      expect(result.leadStatusChanged).toBe(true);
      expect(result.lead.id).toBe(lead.id);
      expect(result.lead.status.code).toBe("qualified");
      expect(result.call).toMatchObject({
        comment: "Wants a demo",
        afterCallTransfer: false,
        nextCallAt: nextCallAt.toISOString(),
        leadStatusChanged: true,
        recordedByRole: "AGENT",
        recordedBy: viewer.viewer.actorId,
        status: { code: "qualified", title: "Qualified" },
        lead: { id: lead.id },
      });
      expect(viewer.viewer.actorId).toMatch(/^key:\d+$/);
      const createdAt = Date.parse(result.call.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(createdAt).toBeLessThanOrEqual(Date.now());

      expect((await leadOf(lead.id)).status.code).toBe("qualified");
      const stored = await callsOf(lead.id);
      expect(stored.totalCount).toBe(1);
      expect(stored.calls[0]).toEqual(result.call);
    });

    it("reports leadStatusChanged only when the status really changed", async () => {
      const lead = await createLead();
      const first = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "disqualified" });
      expect(first.leadStatusChanged).toBe(true);
      expect(first.call.leadStatusChanged).toBe(true);
      const second = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "disqualified" });
      expect(second.leadStatusChanged).toBe(false);
      expect(second.call.leadStatusChanged).toBe(false);
      expect(second.lead.status.code).toBe("disqualified");
      expect((await callsOf(lead.id)).totalCount).toBe(2);
    });

    it("leaves the lead status as it is when the call status links none", async () => {
      const lead = await createLead({ statusCode: "in_progress" });
      const result = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "no_link" });
      expect(result.leadStatusChanged).toBe(false);
      expect(result.call.leadStatusChanged).toBe(false);
      expect(result.lead.status.code).toBe("in_progress");
      expect((await leadOf(lead.id)).status.code).toBe("in_progress");
      expect((await callsOf(lead.id)).totalCount).toBe(1);

      // Also after the lead has moved: a call without link keeps "qualified"
      await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "qualified" });
      const after = await recordOk("AI_AGENT", { leadId: lead.id, callStatusCode: "no_link" });
      expect(after.leadStatusChanged).toBe(false);
      expect(after.lead.status.code).toBe("qualified");
    });

    it("follows a link set after creation, and stops following it once unlinked", async () => {
      const status = await createCallStatus({ code: "relinked", title: "Relinked" });
      const update = `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`;
      await server.ok(update, { id: status.id, input: { leadStatusCode: "disqualified" } });
      const lead = await createLead();
      expect(
        (await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "relinked" })).lead.status.code,
      ).toBe("disqualified");
      await server.ok(update, { id: status.id, input: { leadStatusCode: null } });
      await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "qualified" });
      const last = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "relinked" });
      expect(last.leadStatusChanged).toBe(false);
      expect(last.lead.status.code).toBe("qualified");
    });

    it("keeps a call readable after its status is renamed, showing the new title", async () => {
      const status = await createCallStatus({ code: "to_rename", title: "Before rename" });
      const lead = await createLead();
      const recorded = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "to_rename" });
      expect(recorded.call.status.title).toBe("Before rename");
      await server.ok(
        `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
        { id: status.id, input: { title: "После переименования" } },
      );
      const { calls } = await callsOf(lead.id);
      expect(calls).toHaveLength(1);
      expect(calls[0].id).toBe(recorded.call.id);
      expect(calls[0].status).toEqual({ code: "to_rename", title: "После переименования" });
    });
  });

  describe("rules", () => {
    it.each([
      ["missing", undefined],
      ["null", null],
      ["empty", ""],
      ["blank", "   \n\t "],
    ])("refuses a %s comment when the status requires one, writing nothing", async (_, comment) => {
      const lead = await createLead();
      const response = await recordAs("ADMIN", {
        leadId: lead.id,
        callStatusCode: "needs_comment",
        ...(comment === undefined ? {} : { comment }),
      });
      expectError(response, "BAD_USER_INPUT", "comment");
      await expectUntouched(lead, "new");
    });

    it("accepts a required comment when given", async () => {
      const lead = await createLead();
      const result = await recordOk("AGENT", {
        leadId: lead.id,
        callStatusCode: "needs_comment",
        comment: "Asked to call back in spring",
      });
      expect(result.call.comment).toBe("Asked to call back in spring");
      expect(result.lead.status.code).toBe("in_progress");
    });

    it("refuses a comment longer than 2000 characters naming comment", async () => {
      const lead = await createLead();
      const response = await recordAs("ADMIN", {
        leadId: lead.id,
        callStatusCode: "qualified",
        comment: "x".repeat(2001),
      });
      expectError(response, "BAD_USER_INPUT", "comment");
      await expectUntouched(lead, "new");
    });

    it("requires nextCallAt when the status requires planning, writing nothing", async () => {
      const lead = await createLead();
      for (const nextCallAt of [undefined, null]) {
        const response = await recordAs("ADMIN", {
          leadId: lead.id,
          callStatusCode: "needs_time",
          ...(nextCallAt === undefined ? {} : { nextCallAt }),
        });
        expectError(response, "BAD_USER_INPUT", "nextCallAt");
      }
      await expectUntouched(lead, "new");
      const ok = await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "needs_time",
        nextCallAt: inOneDay(),
      });
      expect(ok.call.nextCallAt).not.toBeNull();
      expect(ok.lead.status.code).toBe("in_progress");
    });

    it.each([
      ["needs_time", "a status requiring planning"],
      ["qualified", "a status not requiring planning"],
    ])("refuses a nextCallAt in the past with %s (%s)", async (callStatusCode) => {
      const lead = await createLead();
      for (const nextCallAt of [anHourAgo(), "2001-01-01T00:00:00Z"]) {
        const response = await recordAs("ADMIN", {
          leadId: lead.id,
          callStatusCode,
          nextCallAt,
        });
        expectError(response, "BAD_USER_INPUT", "nextCallAt");
      }
      await expectUntouched(lead, "new");
    });

    it("refuses a nextCallAt that is not a date-time naming nextCallAt", async () => {
      const lead = await createLead();
      for (const nextCallAt of ["tomorrow", "2030-13-45T99:00:00Z", 12345]) {
        const response = await recordAs("ADMIN", {
          leadId: lead.id,
          callStatusCode: "qualified",
          nextCallAt,
        });
        expectError(response, "BAD_USER_INPUT", "nextCallAt");
      }
      await expectUntouched(lead, "new");
    });

    it("stores nextCallAt in whole seconds, in UTC, and reads it back the same", async () => {
      const lead = await createLead();
      const sent = new Date(Date.now() + 24 * 3600 * 1000);
      sent.setUTCMilliseconds(789);
      const expected = new Date(Math.floor(sent.getTime() / 1000) * 1000).toISOString();
      const result = await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "needs_time",
        nextCallAt: sent.toISOString(),
      });
      expect(result.call.nextCallAt).toBe(expected);
      expect((await callsOf(lead.id)).calls[0].nextCallAt).toBe(expected);

      // An offset is understood and the time comes back in UTC
      const withOffset = await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "no_link",
        nextCallAt: "2099-06-01T12:30:15+03:00",
      });
      expect(withOffset.call.nextCallAt).toBe("2099-06-01T09:30:15.000Z");
      const stored = (await callsOf(lead.id)).calls.find((c) => c.id === withOffset.call.id);
      expect(stored?.nextCallAt).toBe("2099-06-01T09:30:15.000Z");
    });

    it("stores no nextCallAt when none is given", async () => {
      const lead = await createLead();
      const result = await recordOk("ADMIN", { leadId: lead.id, callStatusCode: "qualified" });
      expect(result.call.nextCallAt).toBeNull();
      expect(result.call.comment).toBeNull();
    });

    // Codes are exact: another case or a trailing space is another (unknown) code, on every database.
    it.each(["no_such_status", "", "QUALIFIED", "Qualified", "qualified "])(
      "refuses the unknown call status %j naming callStatusCode, writing nothing",
      async (callStatusCode) => {
        const lead = await createLead();
        const response = await recordAs("ADMIN", { leadId: lead.id, callStatusCode });
        expectError(response, "BAD_USER_INPUT", "callStatusCode");
        await expectUntouched(lead, "new");
      },
    );

    it("answers NOT_FOUND for an unknown lead", async () => {
      const response = await recordAs("ADMIN", {
        leadId: "2147483000",
        callStatusCode: "qualified",
      });
      expectError(response, "NOT_FOUND");
      expect(response.data).toBeNull();
    });

    // Ids are 64-bit, read exactly up to 2^53 − 1: beyond is no id.
    it.each(["abc", "0", "-1", "1.5", "", "9007199254740992", "99999999999999999", "1e3"])(
      "refuses the malformed leadId %j naming leadId",
      async (leadId) => {
        const response = await recordAs("ADMIN", { leadId, callStatusCode: "qualified" });
        expectError(response, "BAD_USER_INPUT", "leadId");
      },
    );

    it("refuses missing required fields", async () => {
      const lead = await createLead();
      expectError(await recordAs("ADMIN", { leadId: lead.id }), "BAD_USER_INPUT", "callStatusCode");
      expectError(
        await recordAs("ADMIN", { callStatusCode: "qualified" }),
        "BAD_USER_INPUT",
        "leadId",
      );
      await expectUntouched(lead, "new");
    });

    it("refuses an unauthenticated caller", async () => {
      const lead = await createLead();
      const response = await server.gql(
        RECORD,
        { input: { leadId: lead.id, callStatusCode: "qualified" } },
        { "x-api-key": "" },
      );
      expect(response.status).toBe(401);
      expectError(response, "UNAUTHENTICATED");
      await expectUntouched(lead, "new");
    });
  });

  describe("who may use which call status", () => {
    /** Expects FORBIDDEN naming exactly callStatusCode (a status the caller sees, but not now), and nothing written. */
    async function expectForbidden(
      role: RoleName,
      callStatusCode: string,
      extra: Record<string, unknown> = {},
    ) {
      const lead = await createLead();
      const response = await recordAs(role, { leadId: lead.id, callStatusCode, ...extra });
      const error = expectError(response, "FORBIDDEN", "callStatusCode");
      expect(error.extensions?.fields?.map((f) => f.field)).toEqual(["callStatusCode"]);
      expect(error.message).toContain(callStatusCode);
      await expectUntouched(lead, "new");
    }

    /**
     * Expects exactly the answer a code that names no status gets (the same code, message and
     * fields, but for the code itself), and nothing written: a caller learns nothing of a status
     * hidden from its audience, not even that it exists.
     */
    async function expectLikeMissing(
      role: RoleName,
      callStatusCode: string,
      extra: Record<string, unknown> = {},
    ) {
      const lead = await createLead();
      const hidden = expectError(
        await recordAs(role, { leadId: lead.id, callStatusCode, ...extra }),
        "BAD_USER_INPUT",
        "callStatusCode",
      );
      const missing = expectError(
        await recordAs(role, {
          leadId: lead.id,
          callStatusCode: "no_such_status_at_all",
          ...extra,
        }),
        "BAD_USER_INPUT",
        "callStatusCode",
      );
      const withoutCode = (error: typeof hidden, code: string) =>
        JSON.parse(
          JSON.stringify({ message: error.message, fields: error.extensions?.fields }).replaceAll(
            code,
            "<code>",
          ),
        ) as unknown;
      expect(withoutCode(hidden, callStatusCode)).toEqual(
        withoutCode(missing, "no_such_status_at_all"),
      );
      await expectUntouched(lead, "new");
    }

    async function expectAllowed(
      role: RoleName,
      callStatusCode: string,
      extra: Record<string, unknown> = {},
    ) {
      const lead = await createLead();
      const result = await recordOk(role, { leadId: lead.id, callStatusCode, ...extra });
      expect(result.call.status.code).toBe(callStatusCode);
      expect(result.call.recordedByRole).toBe(role);
      expect((await callsOf(lead.id)).totalCount).toBe(1);
      return result;
    }

    it.each(["qualified", "disqualified", "no_link"])(
      "AGENT may use the agent-visible status %s",
      async (code) => {
        await expectAllowed("AGENT", code);
        await expectAllowed("AGENT", code, { afterCallTransfer: true });
      },
    );

    it.each(["voicemail", "missed_by_system", "hidden", "ai_only"])(
      "AGENT may not use the hidden status %s, with or without a transfer: answered as a missing one",
      async (code) => {
        await expectLikeMissing("AGENT", code);
        await expectLikeMissing("AGENT", code, { afterCallTransfer: true });
      },
    );

    it("AGENT may use an AFTER_CALL_TRANSFER status only after a transfer", async () => {
      await expectForbidden("AGENT", "transfer_only");
      await expectForbidden("AGENT", "transfer_only", { afterCallTransfer: false });
      await expectForbidden("AGENT", "transfer_only", { afterCallTransfer: null });
      const result = await expectAllowed("AGENT", "transfer_only", { afterCallTransfer: true });
      expect(result.call.afterCallTransfer).toBe(true);
      expect(result.lead.status.code).toBe("qualified");
      expect(result.leadStatusChanged).toBe(true);
    });

    it.each(["qualified", "disqualified", "ai_only", "no_link"])(
      "AI_AGENT may use the AI-visible status %s",
      async (code) => {
        await expectAllowed("AI_AGENT", code);
      },
    );

    it.each(["voicemail", "hidden", "transfer_only"])(
      "AI_AGENT may not use the status %s, even claiming a transfer: answered as a missing one",
      async (code) => {
        await expectLikeMissing("AI_AGENT", code);
        await expectLikeMissing("AI_AGENT", code, { afterCallTransfer: true });
      },
    );

    it.each(["SYSTEM", "ADMIN"] as const)("%s may use any status", async (role) => {
      for (const code of ["voicemail", "missed_by_system", "hidden", "transfer_only", "ai_only"]) {
        await expectAllowed(role, code);
      }
      const voicemail = await expectAllowed(role, "voicemail");
      expect(voicemail.leadStatusChanged).toBe(true);
      expect(voicemail.lead.status.code).toBe("in_progress");
    });

    it("checks visibility as it is now: a status hidden later is refused to agents", async () => {
      const status = await createCallStatus({ code: "soon_hidden", title: "Soon hidden" });
      await expectAllowed("AGENT", "soon_hidden");
      await server.ok(
        `mutation($id: ID!) { updateCallStatus(id: $id, input: { agentVisibility: NEVER }) { id } }`,
        { id: status.id },
      );
      await expectLikeMissing("AGENT", "soon_hidden");
      await expectAllowed("SYSTEM", "soon_hidden");
    });
  });

  describe("idempotency", () => {
    it("replays the same request with the same key: the original result, nothing written", async () => {
      const lead = await createLead();
      const input = {
        leadId: lead.id,
        callStatusCode: "qualified",
        comment: "First try",
        idempotencyKey: "6f1c8e0a-retry-1",
      };
      const first = await recordOk("AGENT", input);
      expect(first.leadStatusChanged).toBe(true);
      const versionAfterFirst = (await leadOf(lead.id)).version;

      const again = await recordOk("AGENT", input);
      expect(again.call).toEqual(first.call);
      expect(again.leadStatusChanged).toBe(true);
      expect(again.lead.status.code).toBe("qualified");

      const stored = await callsOf(lead.id);
      expect(stored.totalCount).toBe(1);
      expect(stored.calls.map((c) => c.id)).toEqual([first.call.id]);
      expect((await leadOf(lead.id)).version).toBe(versionAfterFirst);
    });

    it("does not move the lead again on a replay after later calls", async () => {
      const lead = await createLead();
      const input = { leadId: lead.id, callStatusCode: "qualified", idempotencyKey: "move-once" };
      const first = await recordOk("SYSTEM", input);
      await recordOk("SYSTEM", { leadId: lead.id, callStatusCode: "disqualified" });
      const replay = await recordOk("SYSTEM", input);
      expect(replay.call.id).toBe(first.call.id);
      expect((await leadOf(lead.id)).status.code).toBe("disqualified");
      expect((await callsOf(lead.id)).totalCount).toBe(2);
    });

    it.each([
      ["another call status", { callStatusCode: "disqualified" }],
      ["another comment", { comment: "Second try" }],
      ["no comment", { comment: null }],
      ["a transfer", { afterCallTransfer: true }],
      ["a next call time", { nextCallAt: "2099-01-01T00:00:00Z" }],
    ])("refuses the same key with %s as CONFLICT naming idempotencyKey", async (_what, change) => {
      const lead = await createLead();
      const key = `conflict-${Math.random()}`;
      const input = {
        leadId: lead.id,
        callStatusCode: "qualified",
        comment: "First try",
        idempotencyKey: key,
      };
      const first = await recordOk("AGENT", input);
      const response = await recordAs("AGENT", { ...input, ...change });
      expectError(response, "CONFLICT", "idempotencyKey");
      const stored = await callsOf(lead.id);
      expect(stored.totalCount).toBe(1);
      expect(stored.calls[0]).toEqual(first.call);
      expect((await leadOf(lead.id)).status.code).toBe("qualified");
    });

    it("refuses the same key for another lead as CONFLICT, writing nothing", async () => {
      const lead = await createLead();
      const other = await createLead();
      await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "no_link",
        idempotencyKey: "one-lead-only",
      });
      const response = await recordAs("ADMIN", {
        leadId: other.id,
        callStatusCode: "no_link",
        idempotencyKey: "one-lead-only",
      });
      expectError(response, "CONFLICT", "idempotencyKey");
      await expectUntouched(other, "new");
    });

    it("keeps the keys of different callers apart", async () => {
      const lead = await createLead();
      const input = { leadId: lead.id, callStatusCode: "no_link", idempotencyKey: "shared-key" };
      const byAgent = await recordOk("AGENT", input);
      const secondAgentKey = await server.createKey("AGENT", "second agent");
      const bySecondAgent = await server.gql<{ recordCallResult: CallResultData }>(
        RECORD,
        { input },
        { "x-api-key": secondAgentKey },
      );
      expect(bySecondAgent.errors).toBeUndefined();
      const bySystem = await recordOk("SYSTEM", input);
      const ids = [byAgent.call.id, bySecondAgent.data!.recordCallResult.call.id, bySystem.call.id];
      expect(new Set(ids).size).toBe(3);
      expect((await callsOf(lead.id)).totalCount).toBe(3);

      // Other input from another caller under the same key is no conflict either
      const otherInput = await recordOk("AI_AGENT", { ...input, callStatusCode: "qualified" });
      expect(otherInput.lead.status.code).toBe("qualified");
      expect((await callsOf(lead.id)).totalCount).toBe(4);
      // …while each caller's own replay still returns its original call
      expect((await recordOk("AGENT", input)).call.id).toBe(byAgent.call.id);
      expect((await callsOf(lead.id)).totalCount).toBe(4);
    });

    it("does not spend a key on a refused request", async () => {
      const lead = await createLead();
      const key = "fix-and-retry";
      expectError(
        await recordAs("ADMIN", {
          leadId: lead.id,
          callStatusCode: "needs_comment",
          idempotencyKey: key,
        }),
        "BAD_USER_INPUT",
        "comment",
      );
      const fixed = await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "needs_comment",
        comment: "Now with a comment",
        idempotencyKey: key,
      });
      expect(fixed.call.comment).toBe("Now with a comment");
      expect((await callsOf(lead.id)).totalCount).toBe(1);
    });

    it("accepts a key of 255 characters and refuses a longer or empty one", async () => {
      const lead = await createLead();
      const ok = await recordOk("ADMIN", {
        leadId: lead.id,
        callStatusCode: "no_link",
        idempotencyKey: "k".repeat(255),
      });
      expect(ok.call.id).toBeDefined();
      for (const idempotencyKey of ["k".repeat(256), "ключ".repeat(64), ""]) {
        const response = await recordAs("ADMIN", {
          leadId: lead.id,
          callStatusCode: "no_link",
          idempotencyKey,
        });
        expectError(response, "BAD_USER_INPUT", "idempotencyKey");
      }
      expect((await callsOf(lead.id)).totalCount).toBe(1);
    });

    it("records one call for concurrent identical requests with one key", async () => {
      const lead = await createLead();
      const input = {
        leadId: lead.id,
        callStatusCode: "qualified",
        comment: "Double click",
        idempotencyKey: "concurrent-key",
      };
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => recordAs("AGENT", input)),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      const ids = new Set(responses.map((r) => r.data!.recordCallResult.call.id));
      expect(ids.size).toBe(1);
      for (const response of responses) {
        expect(response.data!.recordCallResult.leadStatusChanged).toBe(true);
        expect(response.data!.recordCallResult.lead.status.code).toBe("qualified");
      }
      const stored = await callsOf(lead.id);
      expect(stored.totalCount).toBe(1);
      expect(stored.calls[0].id).toBe([...ids][0]);
    });
  });

  describe("concurrency", () => {
    it("loses no call and ends in the status of the last committed linked call", async () => {
      const lead = await createLead();
      const codes = ["qualified", "disqualified", "no_link"];
      const links: Record<string, string | null> = {
        qualified: "qualified",
        disqualified: "disqualified",
        no_link: null,
      };
      const roles: RoleName[] = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"];
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          recordAs(roles[i % roles.length], {
            leadId: lead.id,
            callStatusCode: codes[i % codes.length],
            comment: `parallel ${i}`,
          }),
        ),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      const returnedIds = responses.map((r) => r.data!.recordCallResult.call.id);
      expect(new Set(returnedIds).size).toBe(20);

      const stored = await callsOf(lead.id);
      expect(stored.totalCount).toBe(20);
      expect(stored.calls.map((c) => c.id).sort()).toEqual([...returnedIds].sort());
      expect(stored.calls.map((c) => c.comment).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `parallel ${i}`).sort(),
      );

      // Replaying the calls in commit (id) order gives the final status and every flag
      const inOrder = [...stored.calls].sort((a, b) => Number(a.id) - Number(b.id));
      let current = "new";
      for (const call of inOrder) {
        const link = links[call.status.code];
        expect(call.leadStatusChanged).toBe(link !== null && link !== current);
        if (link !== null) current = link;
      }
      const lastLinked = inOrder.filter((c) => links[c.status.code] !== null).at(-1)!;
      expect(current).toBe(links[lastLinked.status.code]);
      expect((await leadOf(lead.id)).status.code).toBe(current);
    });

    it("keeps parallel results on different leads apart", async () => {
      const leads = await Promise.all(Array.from({ length: 5 }, () => createLead()));
      const responses = await Promise.all(
        leads.flatMap((lead, i) =>
          Array.from({ length: 4 }, () =>
            recordAs("SYSTEM", {
              leadId: lead.id,
              callStatusCode: i % 2 === 0 ? "qualified" : "disqualified",
            }),
          ),
        ),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      for (const [i, lead] of leads.entries()) {
        const stored = await callsOf(lead.id);
        expect(stored.totalCount).toBe(4);
        expect(stored.calls.filter((c) => c.leadStatusChanged)).toHaveLength(1);
        expect((await leadOf(lead.id)).status.code).toBe(
          i % 2 === 0 ? "qualified" : "disqualified",
        );
      }
    });
  });
});
