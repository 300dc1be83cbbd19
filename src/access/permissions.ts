/**
 * The permission matrix (docs/API.md, "Roles"), in one place; the audience rule that narrows
 * what AGENT and AI_AGENT see is in `audience.ts`. Services call these; resolvers never check
 * roles themselves.
 */
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
  ReadChanges = "read the change feed",
  ManageWebhooks = "manage webhook endpoints",
}

const MATRIX: Record<Permission, readonly Role[]> = {
  // PLATFORM (the platform operator, bound to no account) manages accounts and gives them their
  // first keys; it sees no account's data.
  [Permission.ManageAccounts]: [Role.PLATFORM],
  [Permission.CreateApiKeys]: [Role.PLATFORM, Role.ADMIN],
  [Permission.ReadLeadStatuses]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  // AGENT and AI_AGENT read only their audience's call statuses: see `scopeAudience` in audience.ts.
  [Permission.ReadCallStatuses]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.ManageStatuses]: [Role.ADMIN],
  [Permission.ManageApiKeys]: [Role.ADMIN],
  [Permission.ReadLeadsAndCalls]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.CreateLeads]: [Role.ADMIN, Role.SYSTEM],
  // AGENT and AI_AGENT record only their audience's call statuses: see `scopeAudience` in audience.ts.
  [Permission.RecordCalls]: [Role.ADMIN, Role.SYSTEM, Role.AGENT, Role.AI_AGENT],
  [Permission.UseOutcomeTool]: [Role.ADMIN, Role.AI_AGENT],
  [Permission.ReadAudit]: [Role.ADMIN],
  // Integrations (a CRM sync, a warehouse loader) catch up with SYSTEM keys.
  [Permission.ReadChanges]: [Role.ADMIN, Role.SYSTEM],
  // Where the account's data is sent, and the secrets that sign it: administrators only.
  [Permission.ManageWebhooks]: [Role.ADMIN],
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
