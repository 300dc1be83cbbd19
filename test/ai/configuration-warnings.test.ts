/**
 * The `configurationWarnings` lints over HTTP, on every database: each kind found in the settings
 * an administrator makes, and gone when they are fixed (the rules themselves: test/unit/).
 */
import { describeEachDatabase, expectError } from "../support/harness";
import {
  FORMATS,
  WARNINGS,
  schemaOf,
  compileChecked,
  helpers,
  expectArgumentsError,
} from "./ai-tool.fixtures";

describeEachDatabase("configurationWarnings", (server) => {
  const h = helpers(server);

  const ofKind = async (kind: string) => (await h.warnings()).filter((w) => w.kind === kind);

  beforeAll(async () => {
    await h.createKeys();
  });

  it("finds nothing in the seeded settings", async () => {
    expect(await h.warnings()).toEqual([]);
  });

  it.each(["SYSTEM", "AGENT", "AI_AGENT"] as const)(
    "refuses the %s role as FORBIDDEN",
    async (role) => {
      const response = await h.as(role, WARNINGS);
      expectError(response, "FORBIDDEN");
      expect(response.data ?? null).toBeNull();
    },
  );

  it("refuses a request without a credential", async () => {
    expectError(await server.gql(WARNINGS, undefined, { "x-api-key": "" }), "UNAUTHENTICATED");
  });

  describe("AI_STATUS_WITHOUT_DESCRIPTION", () => {
    beforeAll(async () => {
      await h.createCallStatus({
        code: "lint_ai_bare",
        title: "AI bare",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_ai_blank",
        title: "AI blank",
        description: "   ",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_agent_bare",
        title: "Agent bare",
        agentVisibility: "ALWAYS",
        showToAiAgents: false,
      });
    });

    it("names each AI-visible status without a (non-blank) description, and only those", async () => {
      const warnings = await ofKind("AI_STATUS_WITHOUT_DESCRIPTION");
      expect(warnings.map((w) => w.callStatusCodes)).toEqual([["lint_ai_bare"], ["lint_ai_blank"]]);
      for (const warning of warnings) {
        expect(warning.audience).toBe("AI_AGENT");
        expect(warning.message).toContain(warning.callStatusCodes[0]);
      }
    });

    it("goes away when a description is given or the status is hidden from AI agents", async () => {
      await h.updateCallStatus("lint_ai_bare", { description: "Now described" });
      await h.updateCallStatus("lint_ai_blank", { showToAiAgents: false });
      expect(await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).toEqual([]);
    });

    it("comes back when a seeded AI status loses its description", async () => {
      const original = (
        await server.ok<{ callStatus: { description: string } }>(
          `{ callStatus(code: "qualified") { description } }`,
        )
      ).callStatus.description;
      await h.updateCallStatus("qualified", { description: null });
      try {
        expect(
          (await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).map((w) => w.callStatusCodes),
        ).toEqual([["qualified"]]);
      } finally {
        await h.updateCallStatus("qualified", { description: original });
      }
      expect(await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).toEqual([]);
    });
  });

  describe("PLANNING_WITH_FINAL_LEAD_STATUS", () => {
    beforeAll(async () => {
      await server.ok(
        `mutation($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { id } }`,
        { input: { code: "lint_waiting", title: "Waiting", category: "IN_PROGRESS" } },
      );
      for (const [code, leadStatusCode] of [
        ["lint_plan_qualified", "qualified"],
        ["lint_plan_disqualified", "disqualified"],
        ["lint_plan_progress", "in_progress"],
        ["lint_plan_unlinked", null],
        ["lint_plan_custom", "lint_waiting"],
      ] as const) {
        await h.createCallStatus({
          code,
          title: code,
          description: "Planning lint",
          planningTimeRequired: true,
          leadStatusCode,
          agentVisibility: "NEVER",
          showToAiAgents: false,
        });
      }
      // Linked to a final lead status, but no planning: fine.
      await h.createCallStatus({
        code: "lint_final_no_plan",
        title: "Final without planning",
        leadStatusCode: "qualified",
        agentVisibility: "NEVER",
      });
    });

    it("names the planning statuses linked to a lead status outside IN_PROGRESS, whatever their visibility", async () => {
      const warnings = await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS");
      expect(warnings.map((w) => w.callStatusCodes)).toEqual([
        ["lint_plan_qualified"],
        ["lint_plan_disqualified"],
      ]);
      for (const warning of warnings) expect(warning.message.length).toBeGreaterThan(0);
    });

    it("follows a custom lead status's category", async () => {
      await h.updateLeadStatus("lint_waiting", { category: "QUALIFIED" });
      expect(
        (await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).map((w) => w.callStatusCodes),
      ).toEqual([["lint_plan_qualified"], ["lint_plan_disqualified"], ["lint_plan_custom"]]);
      await h.updateLeadStatus("lint_waiting", { category: "IN_PROGRESS" });
      expect(
        (await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).map((w) => w.callStatusCodes),
      ).toEqual([["lint_plan_qualified"], ["lint_plan_disqualified"]]);
    });

    it("goes away when the link or the planning rule is fixed", async () => {
      await h.updateCallStatus("lint_plan_qualified", { leadStatusCode: "in_progress" });
      await h.updateCallStatus("lint_plan_disqualified", { planningTimeRequired: false });
      expect(await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).toEqual([]);
    });
  });

  describe("DUPLICATE_VISIBLE_TITLE", () => {
    beforeAll(async () => {
      // Same title as the seeded "Qualified", other case, AI-visible only.
      await h.createCallStatus({
        code: "lint_dup_ai",
        title: "qualified",
        description: "Duplicate for AI agents",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      // Cyrillic titles differing by case, both agent-visible (one after a transfer only).
      await h.createCallStatus({
        code: "lint_dup_agent_a",
        title: "Перезвонить",
        agentVisibility: "ALWAYS",
      });
      await h.createCallStatus({
        code: "lint_dup_agent_b",
        title: "ПЕРЕЗВОНИТЬ",
        agentVisibility: "AFTER_CALL_TRANSFER",
      });
      // Same title, but offered to different audiences, or to nobody: no warning.
      await h.createCallStatus({
        code: "lint_same_ai",
        title: "Split title",
        description: "AI side",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({ code: "lint_same_agent", title: "Split title" });
      await h.createCallStatus({
        code: "lint_hidden_a",
        title: "Hidden twin",
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_hidden_b",
        title: "Hidden twin",
        agentVisibility: "NEVER",
      });
    });

    it("names two statuses offered to one audience under one title, case-insensitively", async () => {
      const warnings = await ofKind("DUPLICATE_VISIBLE_TITLE");
      expect(
        warnings.map((w) => ({ audience: w.audience, codes: [...w.callStatusCodes].sort() })),
      ).toEqual(
        expect.arrayContaining([
          { audience: "AI_AGENT", codes: ["lint_dup_ai", "qualified"] },
          { audience: "AGENT", codes: ["lint_dup_agent_a", "lint_dup_agent_b"] },
        ]),
      );
      expect(warnings).toHaveLength(2);
      const text = JSON.stringify(warnings);
      for (const code of ["lint_same_ai", "lint_same_agent", "lint_hidden_a", "lint_hidden_b"]) {
        expect(text).not.toContain(code);
      }
    });

    it("goes away when the titles differ", async () => {
      await h.updateCallStatus("lint_dup_ai", { title: "Qualified by AI" });
      await h.updateCallStatus("lint_dup_agent_b", { title: "Перезвонить после перевода" });
      expect(await ofKind("DUPLICATE_VISIBLE_TITLE")).toEqual([]);
    });

    it("comes back when a status becomes visible to the audience of its twin", async () => {
      await h.updateCallStatus("lint_same_agent", { showToAiAgents: true });
      try {
        const warnings = await ofKind("DUPLICATE_VISIBLE_TITLE");
        expect(warnings.map((w) => [w.audience, [...w.callStatusCodes].sort()])).toEqual([
          ["AI_AGENT", ["lint_same_agent", "lint_same_ai"].sort()],
        ]);
      } finally {
        await h.updateCallStatus("lint_same_agent", { showToAiAgents: false });
      }
      expect(await ofKind("DUPLICATE_VISIBLE_TITLE")).toEqual([]);
    });
  });

  describe("EMPTY_AUDIENCE", () => {
    async function agentVisible(): Promise<Array<{ code: string; agentVisibility: string }>> {
      return (
        await server.ok<{ callStatuses: Array<{ code: string; agentVisibility: string }> }>(
          `{ callStatuses(filter: { visibleTo: AGENT, afterCallTransfer: true }) { code agentVisibility } }`,
        )
      ).callStatuses;
    }
    async function aiVisible(): Promise<string[]> {
      return (
        await server.ok<{ callStatuses: Array<{ code: string }> }>(
          `{ callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`,
        )
      ).callStatuses.map((s) => s.code);
    }

    it("finds none while each audience has a status", async () => {
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
    });

    it("names the AI agents when no status is open to them, and the tool then allows nothing", async () => {
      const codes = await aiVisible();
      expect(codes.length).toBeGreaterThan(0);
      const before = await h.revision();
      for (const code of codes) await h.updateCallStatus(code, { showToAiAgents: false });
      try {
        const warnings = await ofKind("EMPTY_AUDIENCE");
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ audience: "AI_AGENT", callStatusCodes: [] });
        expect(warnings[0].message.length).toBeGreaterThan(0);

        for (const format of FORMATS) {
          const tool = await h.tool(format);
          expect(tool.allowedCodes).toEqual([]);
          const validate = compileChecked(schemaOf(format, tool.definition));
          expect(validate({ callStatusCode: "qualified" })).toBe(false);
          expect(validate({ callStatusCode: "" })).toBe(false);
        }
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({ leadId: lead.id, arguments: { callStatusCode: "qualified" } }),
          "arguments.callStatusCode",
          { allowedCodes: [], revision: await h.revision(), staleRevision: false },
        );
      } finally {
        for (const code of codes) await h.updateCallStatus(code, { showToAiAgents: true });
      }
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
      expect(await h.revision()).toBe(before);
    });

    it("names the agents when no status is open to them", async () => {
      const visible = await agentVisible();
      expect(visible.length).toBeGreaterThan(0);
      for (const s of visible) await h.updateCallStatus(s.code, { agentVisibility: "NEVER" });
      try {
        const warnings = await ofKind("EMPTY_AUDIENCE");
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ audience: "AGENT", callStatusCodes: [] });
        const preview = await h.tool("JSON_SCHEMA", { audience: "AGENT" }, "ADMIN");
        expect(preview.allowedCodes).toEqual([]);
        compileChecked(preview.definition);
      } finally {
        for (const s of visible) {
          await h.updateCallStatus(s.code, { agentVisibility: s.agentVisibility });
        }
      }
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
    });
  });

  it("finds nothing once every problem is fixed", async () => {
    expect(await h.warnings()).toEqual([]);
  });
});
