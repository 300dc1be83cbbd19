/** The audience rule (src/access/audience.ts) as every feature applies it, without an app. */
import {
  AgentVisibility,
  Audience,
  assertMayChoose,
  isVisibleTo,
  scopeAudience,
} from "../../src/access/audience";
import { Role, type Principal } from "../../src/access/principal";

const caller = (role: Role): Principal => ({
  role,
  actorId: `key:${role}`,
  via: "api_key",
  accountId: role === Role.PLATFORM ? null : 1,
  accountCode: role === Role.PLATFORM ? null : "acme",
});

const status = (agentVisibility: AgentVisibility, showToAiAgents: boolean) => ({
  code: `s_${agentVisibility.toLowerCase()}_${showToAiAgents}`,
  agentVisibility,
  showToAiAgents,
});

describe("isVisibleTo", () => {
  it("offers agents ALWAYS, and AFTER_CALL_TRANSFER only after a transfer", () => {
    const agent = { visibleTo: Audience.AGENT };
    expect(isVisibleTo(status(AgentVisibility.ALWAYS, false), agent)).toBe(true);
    expect(isVisibleTo(status(AgentVisibility.AFTER_CALL_TRANSFER, false), agent)).toBe(false);
    expect(
      isVisibleTo(status(AgentVisibility.AFTER_CALL_TRANSFER, false), {
        ...agent,
        afterCallTransfer: true,
      }),
    ).toBe(true);
    expect(
      isVisibleTo(status(AgentVisibility.NEVER, true), { ...agent, afterCallTransfer: true }),
    ).toBe(false);
  });

  it("offers AI agents what shows to AI agents, whatever the agent visibility", () => {
    const ai = { visibleTo: Audience.AI_AGENT };
    expect(isVisibleTo(status(AgentVisibility.NEVER, true), ai)).toBe(true);
    expect(isVisibleTo(status(AgentVisibility.ALWAYS, false), ai)).toBe(false);
  });

  it("offers everything when no audience is named", () => {
    expect(isVisibleTo(status(AgentVisibility.NEVER, false), {})).toBe(true);
  });
});

describe("scopeAudience", () => {
  it("makes AGENT and AI_AGENT read as their own audience, asked or not", () => {
    expect(scopeAudience(caller(Role.AGENT), { afterCallTransfer: true })).toEqual({
      visibleTo: Audience.AGENT,
      afterCallTransfer: true,
    });
    expect(scopeAudience(caller(Role.AI_AGENT), { afterCallTransfer: true })).toEqual({
      visibleTo: Audience.AI_AGENT,
      afterCallTransfer: undefined,
    });
  });

  it("refuses another audience to AGENT and AI_AGENT with FORBIDDEN", () => {
    expect(() => scopeAudience(caller(Role.AGENT), { visibleTo: Audience.AI_AGENT })).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    expect(() => scopeAudience(caller(Role.AI_AGENT), { visibleTo: Audience.AGENT })).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
  });

  it("gives ADMIN and SYSTEM what they ask for, and PLATFORM nothing", () => {
    const asked = { visibleTo: Audience.AI_AGENT, afterCallTransfer: null };
    expect(scopeAudience(caller(Role.ADMIN), asked)).toBe(asked);
    expect(scopeAudience(caller(Role.SYSTEM), {})).toEqual({});
    expect(() => scopeAudience(caller(Role.PLATFORM), {})).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
  });
});

describe("assertMayChoose", () => {
  it("lets ADMIN and SYSTEM finish a call with any status", () => {
    for (const role of [Role.ADMIN, Role.SYSTEM]) {
      expect(() =>
        assertMayChoose(caller(role), status(AgentVisibility.NEVER, false), false),
      ).not.toThrow();
    }
  });

  it("tells an agent that an after-transfer status needs afterCallTransfer", () => {
    const hidden = status(AgentVisibility.AFTER_CALL_TRANSFER, false);
    expect(() => assertMayChoose(caller(Role.AGENT), hidden, false)).toThrow(
      expect.objectContaining({
        code: "FORBIDDEN",
        fields: [expect.objectContaining({ field: "callStatusCode" })],
        message: expect.stringContaining("afterCallTransfer: true"),
      }),
    );
    expect(() => assertMayChoose(caller(Role.AGENT), hidden, true)).not.toThrow();
  });

  it("answers a status hidden from the caller exactly as a missing one, on the field it names", () => {
    const hidden = status(AgentVisibility.ALWAYS, false);
    expect(() => assertMayChoose(caller(Role.AI_AGENT), hidden, false, "code")).toThrow(
      expect.objectContaining({
        code: "BAD_USER_INPUT",
        fields: [
          { field: "code", message: 'code: there is no call status with code "s_always_false"' },
        ],
        message: 'code: there is no call status with code "s_always_false"',
      }),
    );
    expect(() =>
      assertMayChoose(caller(Role.AGENT), status(AgentVisibility.NEVER, true), true),
    ).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT" }));
  });
});
