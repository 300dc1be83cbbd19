import type { Principal } from "../access/principal";
import { requestLoader } from "../graphql/batch";
import type { AuditEntityType, AuditEntry } from "./audit-entry.entity";
import type { AuditService } from "./audit.service";

/** Batched reads of the audit trail for `history` fields (see `graphql/batch.ts`). */
export class AuditLoaders {
  constructor(private readonly audit: AuditService) {}

  /** The audit history of a record; one batch per kind of record. */
  historyOf(type: AuditEntityType, id: number, actor: Principal): Promise<AuditEntry[]> {
    return requestLoader<number, AuditEntry[]>(this, `history:${type}`, async (ids) => {
      const byId = await this.audit.historyOf(type, ids, actor);
      return ids.map((entityId) => byId.get(entityId) ?? []);
    }).load(id);
  }
}
