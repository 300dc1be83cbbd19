/**
 * The permission matrix (README "Access control") and the audience scoping of call statuses, in
 * one place. Services call these; resolvers never check roles themselves.
 */
import { Audience } from "../statuses/status.enums";
import { AppError } from "../common/errors";
import { Role, type Principal } from "./principal";

export enum Permission {
  ManageAccounts = "manage accounts",
  CreateApiKeys = "create API keys",
  ReadLeadStatuses = "read lead statuses",
  ReadCallStatuses = "read call statuses",
  ManageStatuses = "create or change statuses",
  ManageApiKeys = "manage API keys",
  ReadLeadsAndCalls = "read leads and calls",
  CreateLeads = "create leads",
  RecordCalls = "record call results",
  UseOutcomeTool = "use the AI call outcome tool",
  ReadAudit = "read the audit trail",
  PurgeCalls = "delete old calls (retention)",
}

const MATRIX: Record<Permission, readonly Role[]> = {
  // PLATFORM (the platform operator, bound to no account) manages accounts and gives them their
  // first keys; it sees no account's data.
  [Permission.ManageAccounts]: [Role.PLATFORM],
  [Permission.CreateApiKeys]: [Role.PLATFORM, Role.ADMIN],
  [Permission.ReadLeadStatuses]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  // AGENT and AI_AGENT read only their audience's call statuses: see `scopeAudience`.
  [Permission.ReadCallStatuses]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.ManageStatuses]: [Role.ADMIN],
  [Permission.ManageApiKeys]: [Role.ADMIN],
  [Permission.ReadLeadsAndCalls]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.CreateLeads]: [Role.ADMIN, Role.SYSTEM],
  // AGENT and AI_AGENT record only their audience's call statuses: see `scopeAudience`.
  [Permission.RecordCalls]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.UseOutcomeTool]: [Role.ADMIN, Role.AI_AGENT],
  [Permission.ReadAudit]: [Role.ADMIN],
  // Through the operators' `calls:purge` tool only: no GraphQL operation deletes calls.
  [Permission.PurgeCalls]: [Role.ADMIN],
};

export function isAllowed(principal: Principal, permission: Permission): boolean {
  return MATRIX[permission].includes(principal.role);
}

/** FORBIDDEN unless the principal's role has the permission. */
export function assertAllowed(principal: Principal, permission: Permission): void {
  if (!isAllowed(principal, permission)) {
    throw new AppError("FORBIDDEN", `The ${principal.role} role may not ${permission}.`);
  }
}

/** The audience a role always reads call statuses as; none for roles that read all of them. */
const ROLE_AUDIENCE: Partial<Record<Role, Audience>> = {
  [Role.AGENT]: Audience.AGENT,
  [Role.AI_AGENT]: Audience.AI_AGENT,
};

export interface AudienceRequest {
  visibleTo?: Audience | null;
  afterCallTransfer?: boolean | null;
}

/**
 * The audience filter that applies to a principal's read of call statuses: AGENT and AI_AGENT
 * always read as their own audience, whether or not they ask (asking for another one is
 * FORBIDDEN); ADMIN and SYSTEM get what they asked for.
 */
export function scopeAudience(principal: Principal, requested: AudienceRequest): AudienceRequest {
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
