/**
 * The audience rule, in one place: which call statuses a kind of caller is offered, which
 * audience a role always reads as, and the one message for a status it may not choose.
 */
import { registerEnumType } from "type-graphql";
import { AppError, badUserInput } from "../common/errors";
import { assertAllowed, Permission } from "./permissions";
import { Role, type Principal } from "./principal";

/** When a call status is offered to a human agent in the wrap-up form. */
export enum AgentVisibility {
  ALWAYS = "ALWAYS",
  AFTER_CALL_TRANSFER = "AFTER_CALL_TRANSFER",
  NEVER = "NEVER",
}

/** A kind of caller that picks call outcomes. */
export enum Audience {
  AGENT = "AGENT",
  AI_AGENT = "AI_AGENT",
}

registerEnumType(AgentVisibility, {
  name: "AgentVisibility",
  description: "When a call status is offered to a human agent in the wrap-up form.",
  valuesConfig: {
    ALWAYS: { description: "Offered to agents after every call." },
    AFTER_CALL_TRANSFER: {
      description: "Offered to an agent only when the call was transferred to them.",
    },
    NEVER: {
      description:
        "Never offered to agents (set automatically by the dialer, or hidden by an administrator).",
    },
  },
});

registerEnumType(Audience, {
  name: "Audience",
  description: "A kind of caller that picks call outcomes.",
  valuesConfig: {
    AGENT: { description: "Human agents in the wrap-up form (see `agentVisibility`)." },
    AI_AGENT: { description: "AI voice agents (see `showToAiAgents`)." },
  },
});

/** Which audience is choosing an outcome (the `visibleTo` filter and its transfer flag). */
export interface AudienceFilter {
  visibleTo?: Audience | null;
  afterCallTransfer?: boolean | null;
}

/** What the audience rule reads of a call status. */
export type AudienceSettings = { agentVisibility: AgentVisibility; showToAiAgents: boolean };

/** The one definition of "offered to this audience". */
export function isVisibleTo(status: AudienceSettings, audience: AudienceFilter): boolean {
  switch (audience.visibleTo) {
    case Audience.AGENT:
      return (
        status.agentVisibility === AgentVisibility.ALWAYS ||
        (audience.afterCallTransfer === true &&
          status.agentVisibility === AgentVisibility.AFTER_CALL_TRANSFER)
      );
    case Audience.AI_AGENT:
      return status.showToAiAgents;
    default:
      return true;
  }
}

/** The audience a role always reads call statuses as; none for roles that read all of them. */
const ROLE_AUDIENCE: Partial<Record<Role, Audience>> = {
  [Role.AGENT]: Audience.AGENT,
  [Role.AI_AGENT]: Audience.AI_AGENT,
};

/**
 * The audience filter that applies to a principal's read of call statuses: AGENT and AI_AGENT
 * always read as their own audience, whether or not they ask (asking for another one is
 * FORBIDDEN); ADMIN and SYSTEM get what they asked for.
 */
export function scopeAudience(principal: Principal, requested: AudienceFilter): AudienceFilter {
  assertAllowed(principal, Permission.ReadCallStatuses);
  const own = ROLE_AUDIENCE[principal.role];
  if (!own) return requested;
  if (requested.visibleTo && requested.visibleTo !== own) {
    throw new AppError(
      "FORBIDDEN",
      `The ${principal.role} role sees only the call statuses visible to ${own}; leave visibleTo out or set it to ${own}.`,
    );
  }
  return {
    visibleTo: own,
    afterCallTransfer: own === Audience.AGENT ? requested.afterCallTransfer : undefined,
  };
}

/** The answer to a call status code that names no status the caller may know of. */
export function noSuchCallStatus(code: string, field = "callStatusCode"): AppError {
  return badUserInput(field, `${field}: there is no call status with code "${code}"`);
}

/**
 * Throws unless the caller may finish a call with `status` (ADMIN and SYSTEM: any; agents the
 * agent-visible ones, after-transfer ones only with `afterCallTransfer`; AI agents the
 * AI-visible ones). A status hidden from the caller's audience answers exactly like a missing
 * one (`noSuchCallStatus`), so that its existence is not confirmed; an after-transfer status,
 * which agents do see, is FORBIDDEN with the hint to set `afterCallTransfer`.
 */
export function assertMayChoose(
  actor: Principal,
  status: AudienceSettings & { code: string },
  afterCallTransfer: boolean,
  field = "callStatusCode",
): void {
  if (isVisibleTo(status, scopeAudience(actor, { afterCallTransfer }))) return;
  if (!isVisibleTo(status, scopeAudience(actor, { afterCallTransfer: true }))) {
    throw noSuchCallStatus(status.code, field);
  }
  const message = `The call status "${status.code}" is offered to agents only after a call transfer (set afterCallTransfer: true when the call was transferred).`;
  throw new AppError("FORBIDDEN", message, [{ field, message }]);
}
