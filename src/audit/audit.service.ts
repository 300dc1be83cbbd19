import { In, type DataSource } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { filterText } from "../common/filters";
import { parseId } from "../common/ids";
import type { Page, PageParams } from "../common/pagination";
import { currentTimestamp, sqlDateTime } from "../common/time";
import { byIdDescending, fetchPage } from "../db/pages";
import type { Transaction } from "../db/transaction";
import {
  AuditEntry,
  type AuditAction,
  type AuditEntityType,
  type FieldChange,
} from "./audit-entry.entity";
import {
  acrossAccountsRepository,
  currentAccountIdOrNull,
  scoped,
  type ScopedRepository,
} from "../db/account-scope";

export const AUDIT_CURSOR = "audit";

export interface AuditFilterParams {
  entityType?: AuditEntityType | null;
  entityId?: string | number | null;
  actorId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** JSON-friendly value for the trail: dates as ISO strings. */
function plain(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}

/**
 * Writes an audit entry with `tx`, i.e. inside the caller's transaction: the change and its
 * entry are committed together or not at all.
 */
export async function writeAudit(
  tx: Transaction,
  entry: {
    actor: Principal | null;
    action: AuditAction;
    entityType: AuditEntityType;
    entityId: number;
    changes: FieldChange[];
  },
): Promise<void> {
  const row: Omit<AuditEntry, "id"> = {
    // The account the change happens in; none for the platform's own changes (PLATFORM keys).
    accountId: currentAccountIdOrNull(),
    at: currentTimestamp(),
    actorId: entry.actor?.actorId ?? "system",
    actorRole: entry.actor?.role ?? null,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    changes: entry.changes.map((c) => ({
      field: c.field,
      before: plain(c.before),
      after: plain(c.after),
    })),
    requestId: entry.actor?.requestId ?? null,
  };
  await acrossAccountsRepository(
    tx,
    AuditEntry,
    "the account is set above from the scope, or none for the platform's own changes",
  ).insert(row as QueryDeepPartialEntity<AuditEntry>);
}

/** Reading the audit trail (ADMIN). Entries are never updated or deleted. */
export class AuditService {
  private readonly entries: ScopedRepository<AuditEntry>;

  constructor(dataSource: DataSource) {
    this.entries = scoped(dataSource, AuditEntry);
  }

  async list(
    filter: AuditFilterParams,
    page: PageParams,
    actor: Principal,
  ): Promise<Page<AuditEntry>> {
    assertAllowed(actor, Permission.ReadAudit);
    const query = this.entries.queryBuilder("entry");
    if (filter.entityType) query.andWhere("entry.entity_type = :type", { type: filter.entityType });
    if (filter.entityId !== undefined && filter.entityId !== null) {
      query.andWhere("entry.entity_id = :entityId", {
        entityId: parseId(filter.entityId, "entityId"),
      });
    }
    const actorId = filterText(filter.actorId, "actorId");
    if (actorId !== null) query.andWhere("entry.actor_id = :actorId", { actorId });
    if (filter.from) query.andWhere("entry.at >= :from", { from: sqlDateTime(filter.from) });
    if (filter.to) query.andWhere("entry.at < :to", { to: sqlDateTime(filter.to) });
    return fetchPage(query, byIdDescending("entry", AUDIT_CURSOR), page);
  }

  /** The history of each record, oldest first — for batching `history` fields. */
  async historyOf(
    entityType: AuditEntityType,
    ids: readonly number[],
    actor: Principal,
  ): Promise<Map<number, AuditEntry[]>> {
    assertAllowed(actor, Permission.ReadAudit);
    const byId = new Map<number, AuditEntry[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byId;
    const rows = await this.entries.find({
      where: { entityType, entityId: In([...ids]) },
      order: { id: "ASC" },
    });
    for (const row of rows) byId.get(row.entityId)?.push(row);
    return byId;
  }
}
