/**
 * `history` of either status kind: its entries in the audit trail. Here, not in the audit
 * feature, because statuses write the audit trail (the audit feature sits below them).
 */
import { FieldResolver, Resolver, Root } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { AuditEntityType, AuditEntry } from "../audit/audit-entry.entity";
import { AuditLoaders } from "../audit/audit.loaders";
import { Reusable } from "../graphql/response-cache";
import { CallStatus } from "./call-status.entity";
import { LeadStatus } from "./lead-status.entity";

const HISTORY_DESCRIPTION = "Every change of this status, oldest first (ADMIN).";

@Resolver(() => CallStatus)
export class CallStatusHistoryResolver {
  constructor(private readonly audit: AuditLoaders) {}

  @Reusable(false)
  @FieldResolver(() => [AuditEntry], { description: HISTORY_DESCRIPTION })
  history(@Root() status: CallStatus, @Caller() actor: Principal): Promise<AuditEntry[]> {
    return this.audit.historyOf(AuditEntityType.CALL_STATUS, status.id, actor);
  }
}

@Resolver(() => LeadStatus)
export class LeadStatusHistoryResolver {
  constructor(private readonly audit: AuditLoaders) {}

  @Reusable(false)
  @FieldResolver(() => [AuditEntry], { description: HISTORY_DESCRIPTION })
  history(@Root() status: LeadStatus, @Caller() actor: Principal): Promise<AuditEntry[]> {
    return this.audit.historyOf(AuditEntityType.LEAD_STATUS, status.id, actor);
  }
}
