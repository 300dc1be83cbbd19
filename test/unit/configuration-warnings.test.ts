/** Lints of the call status settings (src/ai/configuration-warnings.ts). */
import {
  configurationWarnings,
  WarningKind,
  type LintStatus,
} from "../../src/ai/configuration-warnings";
import { AgentVisibility, Audience } from "../../src/access/audience";
import { LeadStatusCategory } from "../../src/statuses/status.enums";

function status(code: string, overrides: Partial<LintStatus> = {}): LintStatus {
  return {
    code,
    title: code,
    description: `What ${code} means`,
    planningTimeRequired: false,
    agentVisibility: AgentVisibility.ALWAYS,
    showToAiAgents: true,
    leadStatus: null,
    ...overrides,
  };
}

const kinds = (statuses: LintStatus[]) => configurationWarnings(statuses).map((w) => w.kind);

describe("configurationWarnings", () => {
  it("finds nothing in sound settings", () => {
    expect(
      configurationWarnings([
        status("qualified", { leadStatus: { code: "q", category: LeadStatusCategory.QUALIFIED } }),
        status("callback", {
          planningTimeRequired: true,
          leadStatus: { code: "in_work", category: LeadStatusCategory.IN_PROGRESS },
        }),
      ]),
    ).toEqual([]);
  });

  describe("AI_STATUS_WITHOUT_DESCRIPTION", () => {
    it.each([
      ["none", null],
      ["an empty one", ""],
      ["white space", "  \n"],
    ])("names an AI-visible status with %s as description", (_what, description) => {
      const warnings = configurationWarnings([status("ok"), status("bare", { description })]);
      expect(warnings).toEqual([
        {
          kind: WarningKind.AI_STATUS_WITHOUT_DESCRIPTION,
          message: '"bare" (bare) is open to AI agents but has no description to choose it by.',
          callStatusCodes: ["bare"],
          audience: Audience.AI_AGENT,
        },
      ]);
    });

    it("ignores a status hidden from AI agents", () => {
      const hidden = status("bare", { description: null, showToAiAgents: false });
      expect(kinds([status("ok"), hidden])).toEqual([]);
    });
  });

  describe("PLANNING_WITH_FINAL_LEAD_STATUS", () => {
    it.each([LeadStatusCategory.QUALIFIED, LeadStatusCategory.DISQUALIFIED])(
      "names a planning status moving the lead to %s",
      (category) => {
        const planning = status("callback", {
          title: "Перезвонить",
          planningTimeRequired: true,
          leadStatus: { code: "won", category },
        });
        expect(configurationWarnings([status("ok"), planning])).toEqual([
          {
            kind: WarningKind.PLANNING_WITH_FINAL_LEAD_STATUS,
            message: `"Перезвонить" (callback) asks for the next call time but moves the lead to "won" (${category}), where no further call is expected.`,
            callStatusCodes: ["callback"],
            audience: null,
          },
        ]);
      },
    );

    it("names it whatever its visibility", () => {
      const planning = status("callback", {
        planningTimeRequired: true,
        agentVisibility: AgentVisibility.NEVER,
        showToAiAgents: false,
        leadStatus: { code: "lost", category: LeadStatusCategory.DISQUALIFIED },
      });
      expect(kinds([status("ok"), planning])).toEqual([
        WarningKind.PLANNING_WITH_FINAL_LEAD_STATUS,
      ]);
    });

    it("ignores planning without a lead status or to IN_PROGRESS, and a final status without planning", () => {
      expect(
        kinds([
          status("a1", { planningTimeRequired: true }),
          status("b1", {
            planningTimeRequired: true,
            leadStatus: { code: "w", category: LeadStatusCategory.IN_PROGRESS },
          }),
          status("c1", { leadStatus: { code: "x", category: LeadStatusCategory.QUALIFIED } }),
        ]),
      ).toEqual([]);
    });
  });

  describe("DUPLICATE_VISIBLE_TITLE", () => {
    it("names statuses offered to one audience under one title, ignoring case, spaces and normalisation", () => {
      const warnings = configurationWarnings([
        status("a1", { title: "Café", showToAiAgents: false }),
        status("a2", { title: " CAFE\u0301 ", showToAiAgents: false }),
        status("ai", { title: "AI only", agentVisibility: AgentVisibility.NEVER }),
      ]);
      expect(warnings).toEqual([
        {
          kind: WarningKind.DUPLICATE_VISIBLE_TITLE,
          message:
            "a1, a2 are offered to agents under the same title; they cannot tell them apart.",
          callStatusCodes: ["a1", "a2"],
          audience: Audience.AGENT,
        },
      ]);
    });

    it("names a twin per audience, counting transfer-only statuses for agents", () => {
      const warnings = configurationWarnings([
        status("x1", { title: "Same" }),
        status("x2", { title: "same", agentVisibility: AgentVisibility.AFTER_CALL_TRANSFER }),
      ]);
      expect(warnings.map((w) => [w.kind, w.audience, w.callStatusCodes])).toEqual([
        [WarningKind.DUPLICATE_VISIBLE_TITLE, Audience.AGENT, ["x1", "x2"]],
        [WarningKind.DUPLICATE_VISIBLE_TITLE, Audience.AI_AGENT, ["x1", "x2"]],
      ]);
    });

    it("ignores a twin hidden from the audience, and different titles", () => {
      expect(
        kinds([
          status("x1", { title: "Same", showToAiAgents: false }),
          status("x2", { title: "Same", agentVisibility: AgentVisibility.NEVER }),
          status("y1", { title: "Other" }),
        ]),
      ).toEqual([]);
    });

    it("does not fold accents: é and e are other titles", () => {
      expect(kinds([status("x1", { title: "Café" }), status("x2", { title: "Cafe" })])).toEqual([]);
    });
  });

  describe("EMPTY_AUDIENCE", () => {
    it("names both audiences when there is no status at all", () => {
      expect(configurationWarnings([])).toEqual([
        {
          kind: WarningKind.EMPTY_AUDIENCE,
          message: "No call status is open to agents: they cannot record any outcome.",
          callStatusCodes: [],
          audience: Audience.AGENT,
        },
        {
          kind: WarningKind.EMPTY_AUDIENCE,
          message: "No call status is open to AI agents: they cannot record any outcome.",
          callStatusCodes: [],
          audience: Audience.AI_AGENT,
        },
      ]);
    });

    it("names the AI agents when every status is hidden from them", () => {
      const warnings = configurationWarnings([status("a1", { showToAiAgents: false })]);
      expect(warnings.map((w) => [w.kind, w.audience])).toEqual([
        [WarningKind.EMPTY_AUDIENCE, Audience.AI_AGENT],
      ]);
    });

    it("counts a transfer-only status as open to agents, a NEVER one not", () => {
      const aiOnly = status("ai", { agentVisibility: AgentVisibility.NEVER });
      expect(kinds([aiOnly])).toEqual([WarningKind.EMPTY_AUDIENCE]);
      expect(configurationWarnings([aiOnly])[0].audience).toBe(Audience.AGENT);
      const transfer = status("t1", { agentVisibility: AgentVisibility.AFTER_CALL_TRANSFER });
      expect(kinds([aiOnly, transfer])).toEqual([]);
    });
  });

  it("lists per-status warnings in status order, then the audiences' ones", () => {
    const warnings = configurationWarnings([
      status("p1", {
        description: null,
        planningTimeRequired: true,
        leadStatus: { code: "q", category: LeadStatusCategory.QUALIFIED },
        agentVisibility: AgentVisibility.NEVER,
      }),
      status("p2", { description: " ", agentVisibility: AgentVisibility.NEVER }),
    ]);
    expect(warnings.map((w) => [w.kind, w.callStatusCodes])).toEqual([
      [WarningKind.AI_STATUS_WITHOUT_DESCRIPTION, ["p1"]],
      [WarningKind.PLANNING_WITH_FINAL_LEAD_STATUS, ["p1"]],
      [WarningKind.AI_STATUS_WITHOUT_DESCRIPTION, ["p2"]],
      [WarningKind.EMPTY_AUDIENCE, []],
    ]);
  });
});
