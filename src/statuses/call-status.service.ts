import type { DataSource } from "typeorm";
import { StatusType } from "./status.enums";
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
import type { LeadStatusService } from "./lead-status.service";
import { ChangeType } from "../changes/change.entity";
import type { StatusCatalogs } from "./status-catalog";
import { revisionFor } from "./revision";
import { CallStatus } from "./call-status.entity";
import {
  AgentVisibility,
  isVisibleTo,
  noSuchCallStatus,
  scopeAudience,
  type AudienceFilter,
} from "../access/audience";
import { callStatusEventData } from "./status-events";
import type { LeadStatus } from "./lead-status.entity";

export interface CallStatusFilterParams extends AudienceFilter {
  search?: string | null;
  type?: StatusType | null;
  leadStatusCode?: string | null;
}

/** A call status's own fields, all optional both when it is created and when it is changed. */
export interface CallStatusFieldParams {
  description?: string | null;
  commentRequired?: boolean;
  planningTimeRequired?: boolean;
  leadStatusCode?: string | null;
  agentVisibility?: AgentVisibility;
  showToAiAgents?: boolean;
}

export type CreateCallStatusParams = NewStatusParams & CallStatusFieldParams;

export type UpdateCallStatusParams = StatusChangeParams & CallStatusFieldParams;

/** Trimmed description; blank means none. */
function normalizeDescription(description: string | null | undefined): string | null | undefined {
  if (description === undefined || description === null) return description;
  const trimmed = description.trim();
  return trimmed === "" ? null : trimmed;
}

/** Every rule about call statuses. */
export class CallStatusService {
  private readonly table: StatusTable<CallStatus>;

  constructor(
    dataSource: DataSource,
    private readonly leadStatuses: LeadStatusService,
    private readonly catalog: StatusCatalogs,
  ) {
    this.table = {
      dataSource,
      target: CallStatus,
      label: "call status",
      entityType: AuditEntityType.CALL_STATUS,
      catalog,
      changeTypes: {
        created: ChangeType.CALL_STATUS_CREATED,
        updated: ChangeType.CALL_STATUS_UPDATED,
      },
      event: { key: "callStatus", data: callStatusEventData },
      relations: { leadStatus: true },
    };
  }

  /**
   * The revision of the status settings as the caller sees them (`revisionFor`): its own lists'
   * revision, from the same in-memory lists the status queries answer from.
   */
  async statusesRevision(actor: Principal): Promise<string> {
    const audience = scopeAudience(actor, {});
    return revisionFor(await this.catalog.current(), audience);
  }

  /**
   * Call statuses matching `filter`, ordered by sort, then id, each with its lead status
   * attached (from the in-memory lists: no SQL while they are current).
   */
  async list(filter: CallStatusFilterParams, actor: Principal): Promise<CallStatus[]> {
    const audience = scopeAudience(actor, filter);
    const { callStatuses } = await this.catalog.current();
    const term = normalizeSearchTerm(filter.search);
    return callStatuses.filter(
      (s) =>
        matchesSearch(s, term) &&
        isVisibleTo(s, audience) &&
        (!filter.type || s.type === filter.type) &&
        (!filter.leadStatusCode || s.leadStatus?.code === filter.leadStatusCode),
    );
  }

  /**
   * The call status with exactly one of `id` / `code`, or null — also when it exists but is not
   * offered to the caller's audience (agents see AFTER_CALL_TRANSFER ones here too).
   */
  async findOne(
    args: { id?: string | number | null; code?: string | null },
    actor: Principal,
  ): Promise<CallStatus | null> {
    // Before any lookup: a caller of no account (PLATFORM) must get FORBIDDEN, not reach the
    // account-scoped lists (which throw outside an account).
    assertAllowed(actor, Permission.ReadCallStatuses);
    const where = idOrCodeCondition(args);
    if (!where) return null;
    const snapshot = await this.catalog.current();
    const found =
      "id" in where
        ? snapshot.callStatusById.get(where.id)
        : snapshot.callStatusByCode.get(where.code);
    return found ? this.shownTo(found, actor) : null;
  }

  /**
   * `status` with all its settings, or null when it is not offered to the caller's audience
   * (agents see AFTER_CALL_TRANSFER ones too): the one rule for showing one status to a caller,
   * by lookup or in the history of calls. Such a caller still learns a recorded call's outcome
   * by its code and title (`Call.outcome`), never the settings of a status hidden from it.
   */
  shownTo(status: CallStatus, actor: Principal): CallStatus | null {
    return isVisibleTo(status, scopeAudience(actor, { afterCallTransfer: true })) ? status : null;
  }

  /** The call status with `code` from the in-memory lists, whatever its visibility; or null. */
  async byCode(code: string): Promise<CallStatus | null> {
    return (await this.catalog.current()).callStatusByCode.get(code) ?? null;
  }

  /**
   * The call status with `code`, whatever its visibility; BAD_USER_INPUT naming `field` when
   * there is none. Read from the database, not the in-memory lists: a call may be recorded with
   * a status created a moment ago through another instance.
   */
  async byCodeFromDatabase(code: string, field: string): Promise<CallStatus> {
    const found = await findByCode(this.table.dataSource, CallStatus, code);
    if (!found) throw noSuchCallStatus(code, field);
    return found;
  }

  /** Call statuses by id, whatever their visibility — for the history of recorded calls. */
  async findByIds(ids: readonly number[]): Promise<CallStatus[]> {
    if (ids.length === 0) return [];
    const { callStatusById } = await this.catalog.current();
    return ids.flatMap((id) => callStatusById.get(id) ?? []);
  }

  /**
   * The lead statuses by id, as the lists in memory hold them (read before a transaction: on
   * SQLite, loading the lists waits for the write gate that a transaction holds).
   */
  async leadStatusesById(): Promise<ReadonlyMap<number, LeadStatus>> {
    return (await this.catalog.current()).leadStatusById;
  }

  /** The audience filter a caller's read applies (see `scopeAudience`). */
  audienceFor(actor: Principal, requested: AudienceFilter): AudienceFilter {
    return scopeAudience(actor, requested);
  }

  /**
   * The call statuses linked to each of `leadStatusIds` and offered to `audience`, in list order
   * — for batching `LeadStatus.callStatuses`. `audience` must come from `audienceFor`.
   */
  async listByLeadStatusIds(
    leadStatusIds: readonly number[],
    audience: AudienceFilter = {},
  ): Promise<Map<number, CallStatus[]>> {
    const { callStatusesByLeadStatusId } = await this.catalog.current();
    return new Map(
      leadStatusIds.map((id) => [
        id,
        (callStatusesByLeadStatusId.get(id) ?? []).filter((s) => isVisibleTo(s, audience)),
      ]),
    );
  }

  async create(input: CreateCallStatusParams, actor: Principal): Promise<CallStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    const leadStatusId =
      input.leadStatusCode === undefined || input.leadStatusCode === null
        ? null
        : await this.leadStatuses.idForCode(input.leadStatusCode, "leadStatusCode");
    return insertStatus(this.table, actor, input, {
      description: normalizeDescription(input.description) ?? null,
      commentRequired: input.commentRequired ?? false,
      planningTimeRequired: input.planningTimeRequired ?? false,
      leadStatusId,
      agentVisibility: input.agentVisibility ?? AgentVisibility.ALWAYS,
      showToAiAgents: input.showToAiAgents ?? false,
    });
  }

  async update(
    rawId: string | number,
    input: UpdateCallStatusParams,
    actor: Principal,
  ): Promise<CallStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    return updateStatus(this.table, actor, rawId, input, async () => ({
      description: normalizeDescription(input.description),
      commentRequired: input.commentRequired,
      planningTimeRequired: input.planningTimeRequired,
      leadStatusId:
        input.leadStatusCode === undefined
          ? undefined
          : input.leadStatusCode === null
            ? null
            : await this.leadStatuses.idForCode(input.leadStatusCode, "leadStatusCode"),
      agentVisibility: input.agentVisibility,
      showToAiAgents: input.showToAiAgents,
    }));
  }

  /**
   * Puts every call status in the order of `codes` (see `reorderStatuses`); answers the list in
   * its new order.
   */
  async reorder(
    codes: readonly string[],
    expectedRevision: string | null | undefined,
    actor: Principal,
  ): Promise<CallStatus[]> {
    assertAllowed(actor, Permission.ManageStatuses);
    await reorderStatuses(
      this.table,
      AuditEntityType.CALL_STATUS_LIST,
      actor,
      codes,
      expectedRevision,
    );
    return this.list({}, actor);
  }
}
