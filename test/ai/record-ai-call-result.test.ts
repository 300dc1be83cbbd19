/**
 * `recordAiCallResult` over HTTP (issue 7), on every database: the tool's arguments as an object or
 * JSON text, the call service's rules, stale revisions, idempotency and roles.
 */
import { describeEachDatabase, expectError } from "../support/harness";
import {
  RECORD_AI,
  RECORD,
  anHourAgo,
  helpers,
  expectArgumentsError,
  AI_CALLBACK,
  AI_NOTE,
  AGENT_ONLY,
  TRANSFER_ONLY,
  HIDDEN,
  AI_CODES,
  FUTURE,
  VALID_ARGUMENTS,
  INVALID_ARGUMENTS,
} from "./ai-tool.fixtures";

describeEachDatabase("recordAiCallResult", (server) => {
  const h = helpers(server);
  let aiActorId: string;

  beforeAll(async () => {
    await h.createKeys();
    for (const input of [AI_CALLBACK, AI_NOTE, AGENT_ONLY, TRANSFER_ONLY, HIDDEN]) {
      await h.createCallStatus(input);
    }
    // Statuses this block hides or changes on the way (restored by each test).
    await h.createCallStatus({
      code: "ai_temp",
      title: "Temporary AI outcome",
      description: "Used while the settings change",
      showToAiAgents: true,
      agentVisibility: "NEVER",
      leadStatusCode: "qualified",
    });
    const viewer = await h.as<{ viewer: { actorId: string } }>(
      "AI_AGENT",
      `{ viewer { actorId } }`,
    );
    aiActorId = viewer.data!.viewer.actorId;
  });

  const allowed = [...AI_CODES, "ai_temp"];

  it("records arguments given as an object, moving the lead, as the AI agent", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: { callStatusCode: "qualified", comment: "  Wants the offer  " },
      revision: await h.revision(),
    });
    expect(result.leadStatusChanged).toBe(true);
    expect(result.lead).toMatchObject({ id: lead.id, status: { code: "qualified" } });
    expect(result.call).toMatchObject({
      comment: "Wants the offer",
      nextCallAt: null,
      afterCallTransfer: false,
      recordedByRole: "AI_AGENT",
      recordedBy: aiActorId,
      status: { code: "qualified" },
    });
    expect((await h.leadOf(lead.id)).status.code).toBe("qualified");
    expect(await h.callsOf(lead.id)).toEqual([
      { id: result.call.id, status: { code: "qualified" } },
    ]);
  });

  it("records arguments given as JSON text (as OpenAI returns them)", async () => {
    const lead = await h.createLead();
    const nextCallAt = new Date(Date.now() + 3 * 24 * 3600 * 1000 + 123);
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: JSON.stringify({
        callStatusCode: "ai_callback",
        nextCallAt: nextCallAt.toISOString(),
        comment: "Call on Thursday",
      }),
    });
    expect(result.call.status.code).toBe("ai_callback");
    expect(result.call.comment).toBe("Call on Thursday");
    expect(new Date(result.call.nextCallAt!).getTime()).toBe(
      Math.floor(nextCallAt.getTime() / 1000) * 1000,
    );
    expect(result.lead.status.code).toBe("in_progress");
    expect((await h.leadOf(lead.id)).status.code).toBe("in_progress");
  });

  it("records a JSON text with surrounding white space and a next call time with an offset", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: `\n  {"callStatusCode": "ai_callback", "nextCallAt": "${FUTURE}"}  \n`,
    });
    expect(new Date(result.call.nextCallAt!).toISOString()).toBe("2099-05-01T08:00:00.000Z");
  });

  it("lets ADMIN record through the AI tool too", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk(
      { leadId: lead.id, arguments: { callStatusCode: "disqualified" } },
      "ADMIN",
    );
    expect(result.call.recordedByRole).toBe("ADMIN");
    expect(result.lead.status.code).toBe("disqualified");
  });

  it.each(VALID_ARGUMENTS)("records %s", async (_what, args) => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({ leadId: lead.id, arguments: args() });
    expect(result.call.status.code).toBe((args() as { callStatusCode: string }).callStatusCode);
    expect(await h.callsOf(lead.id)).toHaveLength(1);
  });

  it.each(INVALID_ARGUMENTS)(
    "refuses %s as BAD_USER_INPUT naming the argument, listing the allowed codes",
    async (_what, args, field) => {
      const lead = await h.createLead();
      const revision = await h.revision();
      for (const form of [args(), JSON.stringify(args())]) {
        for (const given of [revision, null]) {
          const response = await h.recordAi({ leadId: lead.id, arguments: form, revision: given });
          const error = expectArgumentsError(response, field, {
            allowedCodes: allowed,
            revision,
            staleRevision: false,
          });
          expect(error.message).toContain("qualified");
        }
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
      expect((await h.leadOf(lead.id)).version).toBe(lead.version);
    },
  );

  it("refuses JSON text that does not parse as BAD_USER_INPUT naming arguments", async () => {
    const lead = await h.createLead();
    const revision = await h.revision();
    for (const text of ['{"callStatusCode": "qualified"', "callStatusCode=qualified", ""]) {
      const response = await h.recordAi({ leadId: lead.id, arguments: text });
      expectArgumentsError(response, "arguments", {
        allowedCodes: allowed,
        revision,
        staleRevision: false,
      });
    }
    expect(await h.callsOf(lead.id)).toEqual([]);
  });

  it("refuses arguments that are not an object, as text or as a value", async () => {
    const lead = await h.createLead();
    for (const value of ["null", "42", '"qualified"', 42, "qualified", true]) {
      const response = await h.recordAi({ leadId: lead.id, arguments: value });
      expectError(response, "BAD_USER_INPUT", "arguments");
    }
    expect(await h.callsOf(lead.id)).toEqual([]);
  });

  describe("the rules of the call service", () => {
    it("refuses a next call time in the past, naming arguments.nextCallAt", async () => {
      const lead = await h.createLead();
      const revision = await h.revision();
      for (const code of ["ai_callback", "qualified"]) {
        const response = await h.recordAi({
          leadId: lead.id,
          arguments: { callStatusCode: code, nextCallAt: anHourAgo() },
        });
        expectArgumentsError(response, "arguments.nextCallAt", {
          allowedCodes: allowed,
          revision,
          staleRevision: false,
        });
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
    });

    it.each([
      ["a leap second", "2099-06-30T23:59:60Z"],
      ["an hour-only offset", "2099-05-01T10:00:00+02"],
    ])(
      "answers a next call time with %s with BAD_USER_INPUT or records it, never an internal error",
      async (_what, nextCallAt) => {
        const lead = await h.createLead();
        const response = await h.recordAi({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_callback", nextCallAt },
        });
        if (response.errors) {
          expectError(response, "BAD_USER_INPUT", "arguments.nextCallAt");
          expect(await h.callsOf(lead.id)).toEqual([]);
        } else {
          const stored = response.data!.recordAiCallResult.call.nextCallAt;
          expect(Number.isNaN(new Date(stored!).getTime())).toBe(false);
        }
      },
    );

    it("answers an unknown lead with NOT_FOUND and a malformed lead id with BAD_USER_INPUT", async () => {
      expectError(
        await h.recordAi({ leadId: "999999", arguments: { callStatusCode: "qualified" } }),
        "NOT_FOUND",
      );
      expectError(
        await h.recordAi({ leadId: "lead-1", arguments: { callStatusCode: "qualified" } }),
        "BAD_USER_INPUT",
        "leadId",
      );
    });
  });

  describe("stale revisions", () => {
    it("records with an old revision while the arguments still fit", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { title: "Temporary AI outcome, renamed" });
      try {
        const current = await h.revision();
        expect(current).not.toBe(old);
        const lead = await h.createLead();
        const result = await h.recordAiOk({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_temp" },
          revision: old,
        });
        expect(result.call.status.code).toBe("ai_temp");
        expect(result.lead.status.code).toBe("qualified");
      } finally {
        await h.updateCallStatus("ai_temp", { title: "Temporary AI outcome" });
      }
    });

    it("refuses a code hidden meanwhile, with the current codes and revision, staleRevision true", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { showToAiAgents: false });
      try {
        const current = await h.revision();
        expect(current).not.toBe(old);
        const lead = await h.createLead();
        for (const args of [{ callStatusCode: "ai_temp" }, '{"callStatusCode":"ai_temp"}']) {
          const response = await h.recordAi({ leadId: lead.id, arguments: args, revision: old });
          const error = expectArgumentsError(response, "arguments.callStatusCode", {
            allowedCodes: AI_CODES,
            revision: current,
            staleRevision: true,
          });
          expect(error.extensions?.allowedCodes).not.toContain("ai_temp");
        }
        // With the current revision, the same refusal is not stale.
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "ai_temp" },
            revision: current,
          }),
          "arguments.callStatusCode",
          { allowedCodes: AI_CODES, revision: current, staleRevision: false },
        );
        expect(await h.callsOf(lead.id)).toEqual([]);
      } finally {
        await h.updateCallStatus("ai_temp", { showToAiAgents: true });
      }
    });

    it("refuses arguments missing a comment that became required meanwhile", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { commentRequired: true });
      try {
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "ai_temp" },
            revision: old,
          }),
          "arguments.comment",
          { allowedCodes: allowed, revision: await h.revision(), staleRevision: true },
        );
        // …and records them once the comment is there, old revision or not.
        const result = await h.recordAiOk({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_temp", comment: "Now with a comment" },
          revision: old,
        });
        expect(result.call.comment).toBe("Now with a comment");
      } finally {
        await h.updateCallStatus("ai_temp", { commentRequired: false });
      }
    });

    it("refuses arguments missing a next call time that became required meanwhile", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { planningTimeRequired: true });
      try {
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: '{"callStatusCode":"ai_temp"}',
            revision: old,
          }),
          "arguments.nextCallAt",
          { allowedCodes: allowed, revision: await h.revision(), staleRevision: true },
        );
      } finally {
        await h.updateCallStatus("ai_temp", { planningTimeRequired: false });
      }
    });

    it("says nothing of staleness for a revision the tool never had, when the arguments fit", async () => {
      const lead = await h.createLead();
      const result = await h.recordAiOk({
        leadId: lead.id,
        arguments: { callStatusCode: "qualified" },
        revision: "not-a-real-revision",
      });
      expect(result.call.status.code).toBe("qualified");
    });
  });

  describe("idempotency", () => {
    it("replays the same arguments under the same key, as object or as text", async () => {
      const lead = await h.createLead();
      const args = { callStatusCode: "ai_note", comment: "Просил перезвонить" };
      const input = { leadId: lead.id, idempotencyKey: "ai-retry-1" };
      const first = await h.recordAiOk({ ...input, arguments: args });
      const again = await h.recordAiOk({ ...input, arguments: args });
      const asText = await h.recordAiOk({ ...input, arguments: JSON.stringify(args) });
      expect(again.call).toEqual(first.call);
      expect(asText.call).toEqual(first.call);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
      expect((await h.leadOf(lead.id)).version).toBe(first.lead.version);
    });

    it("refuses the same key with other arguments as CONFLICT, writing nothing", async () => {
      const lead = await h.createLead();
      const input = { leadId: lead.id, idempotencyKey: "ai-conflict" };
      const first = await h.recordAiOk({ ...input, arguments: { callStatusCode: "qualified" } });
      for (const args of [
        { callStatusCode: "disqualified" },
        { callStatusCode: "qualified", comment: "other" },
      ]) {
        expectError(await h.recordAi({ ...input, arguments: args }), "CONFLICT", "idempotencyKey");
      }
      expect(await h.callsOf(lead.id)).toEqual([
        { id: first.call.id, status: { code: "qualified" } },
      ]);
      expect((await h.leadOf(lead.id)).status.code).toBe("qualified");
    });

    it("does not spend a key on refused arguments", async () => {
      const lead = await h.createLead();
      const input = { leadId: lead.id, idempotencyKey: "ai-fix-and-retry" };
      expectError(
        await h.recordAi({ ...input, arguments: { callStatusCode: "ai_note" } }),
        "BAD_USER_INPUT",
        "arguments.comment",
      );
      const fixed = await h.recordAiOk({
        ...input,
        arguments: { callStatusCode: "ai_note", comment: "Fixed" },
      });
      expect(fixed.call.comment).toBe("Fixed");
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("validates the key like recordCallResult", async () => {
      const lead = await h.createLead();
      for (const idempotencyKey of ["", "k".repeat(256)]) {
        expectError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "qualified" },
            idempotencyKey,
          }),
          "BAD_USER_INPUT",
          "idempotencyKey",
        );
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
    });

    it("records once for concurrent identical requests with one key", async () => {
      const lead = await h.createLead();
      const input = {
        leadId: lead.id,
        arguments: '{"callStatusCode":"qualified","comment":"double click"}',
        idempotencyKey: "ai-concurrent",
      };
      const responses = await Promise.all(Array.from({ length: 6 }, () => h.recordAi(input)));
      for (const response of responses) expect(response.errors).toBeUndefined();
      const ids = new Set(responses.map((r) => r.data!.recordAiCallResult.call.id));
      expect(ids.size).toBe(1);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("shares the caller's keys with recordCallResult (one service)", async () => {
      const lead = await h.createLead();
      const first = await h.recordAiOk({
        leadId: lead.id,
        arguments: { callStatusCode: "qualified" },
        idempotencyKey: "ai-shared-key",
      });
      const viaPlain = await h.as<{ recordCallResult: { call: { id: string } } }>(
        "AI_AGENT",
        RECORD,
        {
          input: { leadId: lead.id, callStatusCode: "qualified", idempotencyKey: "ai-shared-key" },
        },
      );
      expect(viaPlain.errors).toBeUndefined();
      expect(viaPlain.data!.recordCallResult.call.id).toBe(first.call.id);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("replays a retry after the tool changed meanwhile, instead of refusing it", async () => {
      // An orchestrator retries after a lost response; the settings changed in between. The call
      // was recorded: the retry must return it, not ask the model for another outcome.
      const lead = await h.createLead();
      const input = {
        leadId: lead.id,
        arguments: { callStatusCode: "ai_temp" },
        idempotencyKey: "ai-retry-after-change",
      };
      const first = await h.recordAiOk(input);
      await h.updateCallStatus("ai_temp", { showToAiAgents: false });
      try {
        const retry = await h.recordAi(input);
        expect(retry.errors).toBeUndefined();
        expect(retry.data?.recordAiCallResult.call.id).toBe(first.call.id);
        expect(await h.callsOf(lead.id)).toHaveLength(1);
      } finally {
        await h.updateCallStatus("ai_temp", { showToAiAgents: true });
      }
    });
  });

  describe("roles", () => {
    it.each(["SYSTEM", "AGENT"] as const)("refuses the %s role as FORBIDDEN", async (role) => {
      const lead = await h.createLead();
      for (const args of [{ callStatusCode: "qualified" }, '{"callStatusCode":"qualified"}']) {
        const response = await h.recordAi({ leadId: lead.id, arguments: args }, role);
        expectError(response, "FORBIDDEN");
        expect(response.data ?? null).toBeNull();
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
      expect((await h.leadOf(lead.id)).status.code).toBe("new");
    });

    it("refuses a request without a credential", async () => {
      const lead = await h.createLead();
      const response = await server.gql(
        RECORD_AI,
        { input: { leadId: lead.id, arguments: { callStatusCode: "qualified" } } },
        { "x-api-key": "" },
      );
      expectError(response, "UNAUTHENTICATED");
      expect(await h.callsOf(lead.id)).toEqual([]);
    });
  });
});

describeEachDatabase(
  "recordAiCallResult with an idempotency key and odd argument types",
  (server) => {
    it("answers BAD_USER_INPUT (never a 500) for arguments of the wrong types", async () => {
      const lead = await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Odd types" }) { id } }`,
      );
      for (const args of [
        { callStatusCode: "qualified", comment: 5 },
        { callStatusCode: "qualified", nextCallAt: 12345 },
        { callStatusCode: 7 },
        ["qualified"],
        null,
      ]) {
        const response = await server.gql(
          `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) { call { id } } }`,
          { input: { leadId: lead.createLead.id, arguments: args, idempotencyKey: "odd-types" } },
        );
        expectError(response, "BAD_USER_INPUT");
      }
    });
  },
);
