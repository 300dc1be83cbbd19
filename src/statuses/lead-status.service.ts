import type { DataSource } from "typeorm";
import { LeadStatusCategory, StatusType } from "./status.enums";
import { matchesSearch, normalizeSearchTerm } from "../common/search";
import {
  findByCode,
  idOrCodeCondition,
  insertStatus,
  reorderStatuses,
  updateStatus,
  type NewStatusParams,
  type StatusChangeParams,
  type StatusTable,
} from "./status-persistence";
import { AuditEntityType } from "../audit/audit-entry.entity";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { badUserInput } from "../common/errors";
import { ChangeType } from "../changes/change.entity";
import type { StatusCatalogs } from "./status-catalog";
import { LeadStatus } from "./lead-status.entity";
import { leadStatusEventData } from "./status-events";

export interface LeadStatusFilterParams {
  search?: string | null;
  category?: LeadStatusCategory | null;
  type?: StatusType | null;
}

export interface CreateLeadStatusParams extends NewStatusParams {
  category: LeadStatusCategory;
  color?: string;
}

export interface UpdateLeadStatusParams extends StatusChangeParams {
  color?: string;
  category?: LeadStatusCategory;
}

export const DEFAULT_LEAD_STATUS_COLOR = "#9E9E9E";

/** Every rule about lead statuses. */
export class LeadStatusService {
  private readonly table: StatusTable<LeadStatus>;

  constructor(
    dataSource: DataSource,
    private readonly catalog: StatusCatalogs,
  ) {
    this.table = {
      dataSource,
      target: LeadStatus,
      label: "lead status",
      entityType: AuditEntityType.LEAD_STATUS,
      catalog,
      changeTypes: {
        created: ChangeType.LEAD_STATUS_CREATED,
        updated: ChangeType.LEAD_STATUS_UPDATED,
      },
      event: { key: "leadStatus", data: leadStatusEventData },
    };
  }

  /** Lead statuses matching `filter`, ordered by sort, then id (from the in-memory lists). */
  async list(filter: LeadStatusFilterParams, actor: Principal): Promise<LeadStatus[]> {
    assertAllowed(actor, Permission.ReadLeadStatuses);
    const { leadStatuses } = await this.catalog.current();
    const term = normalizeSearchTerm(filter.search);
    return leadStatuses.filter(
      (s) =>
        matchesSearch(s, term) &&
        (!filter.category || s.category === filter.category) &&
        (!filter.type || s.type === filter.type),
    );
  }

  /** The lead status with exactly one of `id` / `code`, or null. */
  async findOne(
    args: { id?: string | number | null; code?: string | null },
    actor: Principal,
  ): Promise<LeadStatus | null> {
    assertAllowed(actor, Permission.ReadLeadStatuses);
    const where = idOrCodeCondition(args);
    if (!where) return null;
    const snapshot = await this.catalog.current();
    return (
      ("id" in where
        ? snapshot.leadStatusById.get(where.id)
        : snapshot.leadStatusByCode.get(where.code)) ?? null
    );
  }

  /** Lead statuses by id, for batching relation fields. */
  async findByIds(ids: readonly number[]): Promise<LeadStatus[]> {
    if (ids.length === 0) return [];
    const { leadStatusById } = await this.catalog.current();
    return ids.flatMap((id) => leadStatusById.get(id) ?? []);
  }

  /**
   * The lead status with `code`; BAD_USER_INPUT naming `field` when there is none. Read from
   * the database, not the in-memory lists: a write may name a lead status created a moment ago
   * through another instance.
   */
  async byCodeFromDatabase(code: string, field: string): Promise<LeadStatus> {
    const found = await findByCode(this.table.dataSource, LeadStatus, code);
    if (!found) throw badUserInput(field, `${field}: there is no lead status with code "${code}"`);
    return found;
  }

  /** The id of the lead status with `code` (see `byCodeFromDatabase`). */
  async idForCode(code: string, field: string): Promise<number> {
    return (await this.byCodeFromDatabase(code, field)).id;
  }

  async create(input: CreateLeadStatusParams, actor: Principal): Promise<LeadStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    return insertStatus(this.table, actor, input, {
      category: input.category,
      color: (input.color ?? DEFAULT_LEAD_STATUS_COLOR).toUpperCase(),
    });
  }

  async update(
    rawId: string | number,
    input: UpdateLeadStatusParams,
    actor: Principal,
  ): Promise<LeadStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    return updateStatus(this.table, actor, rawId, input, (current) => {
      if (
        input.category !== undefined &&
        input.category !== current.category &&
        current.type === StatusType.SYSTEM
      ) {
        throw badUserInput(
          "category",
          `category of the system lead status "${current.code}" cannot change`,
        );
      }
      return { color: input.color?.toUpperCase(), category: input.category };
    });
  }

  /**
   * Puts every lead status in the order of `codes` (see `reorderStatuses`); answers the list in
   * its new order.
   */
  async reorder(
    codes: readonly string[],
    expectedRevision: string | null | undefined,
    actor: Principal,
  ): Promise<LeadStatus[]> {
    assertAllowed(actor, Permission.ManageStatuses);
    await reorderStatuses(
      this.table,
      AuditEntityType.LEAD_STATUS_LIST,
      actor,
      codes,
      expectedRevision,
    );
    return this.list({}, actor);
  }
}
