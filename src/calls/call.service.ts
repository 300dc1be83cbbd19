import { createHash } from "node:crypto";
import { In, type DataSource, type EntityManager } from "typeorm";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { CallStatus } from "../statuses/call-status.entity";
import { assertMayChoose } from "../access/audience";
import { parseId } from "../common/ids";
import { findByCode } from "../statuses/status-persistence";
import {
  COUNT_LIMIT,
  encodeCursor,
  resolvePage,
  toPage,
  type Page,
  type PageParams,
} from "../common/pagination";
import { currentTimestamp, isWithinStorableRange, sqlDateTime } from "../common/time";
import { fetchPage, type ListOrder } from "../db/pages";
import { runTransaction } from "../db/writes";
import { badUserInput, conflict, notFound } from "../common/errors";
import { uniqueViolationColumn } from "../db/errors";
import { Lead } from "../leads/lead.entity";
import { Call } from "./call.entity";
import { unreadableTextProblem } from "../common/text";
import {
  ACCOUNT,
  currentAccountId,
  queryInAccount,
  scoped,
  type ScopedRepository,
} from "../db/account-scope";
import { writeAudit } from "../audit/audit.service";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";

export interface RecordCallResultParams {
  leadId: string | number;
  callStatusCode: string;
  comment?: string | null;
  afterCallTransfer?: boolean | null;
  nextCallAt?: Date | null;
  idempotencyKey?: string | null;
}

export interface CallFilterParams {
  leadId?: string | number | null;
  callStatusCode?: string | null;
  /** Recorded at or after. */
  from?: Date | null;
  /** Recorded before. */
  to?: Date | null;
}

export interface CallResultData {
  call: Call;
  lead: Lead;
  leadStatusChanged: boolean;
}

export const CALL_CURSOR = "call";

/**
 * Every list of calls is newest first by recording time, then id: each filter has an index in
 * that order (`IDX_calls_created_at`, `IDX_calls_lead`, `IDX_calls_call_status`, all starting
 * with the account), so a page costs the page, also with a time range. A cursor holds both.
 */
const CALL_ORDER: ListOrder<Call> = {
  kind: CALL_CURSOR,
  columns: [
    {
      column: "call.created_at",
      key: (call) => Math.floor(call.createdAt.getTime() / 1000),
      param: (seconds) => sqlDateTime(new Date(seconds * 1000)),
    },
    { column: "call.id", key: (call) => call.id },
  ],
};

function callCursor(call: Call): string {
  return encodeCursor(CALL_CURSOR, ...CALL_ORDER.columns.map((column) => column.key(call)));
}
export const COMMENT_MAX_LENGTH = 2000;
/** How many calls one retention batch (one transaction) deletes unless told otherwise. */
export const DEFAULT_PURGE_BATCH = 5000;
/** The most calls one retention batch (one transaction) deletes. */
export const MAX_PURGE_BATCH = 100_000;

function ceilToSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

interface NormalizedRequest {
  leadId: number;
  comment: string | null;
  afterCallTransfer: boolean;
  nextCallAt: Date | null;
  idempotencyHash: string | null;
  requestHash: string;
}

/** The request as it is stored and compared for idempotency. */
function normalizeRequest(input: RecordCallResultParams, actor: Principal): NormalizedRequest {
  const leadId = parseId(input.leadId, "leadId");
  if (input.nextCallAt && Number.isNaN(input.nextCallAt.getTime())) {
    throw badUserInput("nextCallAt", "nextCallAt is not a valid date-time");
  }
  const unreadable = input.comment ? unreadableTextProblem(input.comment.trim(), true) : undefined;
  if (unreadable) throw badUserInput("comment", `comment ${unreadable}`);
  const comment = input.comment?.trim() ? input.comment.trim() : null;
  const afterCallTransfer = input.afterCallTransfer === true;
  // Stored in whole seconds, like every timestamp here (MySQL would round, MariaDB truncate).
  const nextCallAt = input.nextCallAt
    ? new Date(Math.floor(input.nextCallAt.getTime() / 1000) * 1000)
    : null;
  const key = input.idempotencyKey ?? null;
  return {
    leadId,
    comment,
    afterCallTransfer,
    nextCallAt,
    idempotencyHash: key === null ? null : sha256(`${actor.actorId}\u0000${key}`),
    requestHash: sha256(
      JSON.stringify([
        leadId,
        input.callStatusCode,
        comment,
        afterCallTransfer,
        nextCallAt?.toISOString() ?? null,
      ]),
    ),
  };
}

/** Every rule about recording call results and reading the calls of leads. */
export class CallService {
  private readonly calls: ScopedRepository<Call>;

  constructor(private readonly dataSource: DataSource) {
    this.calls = scoped(dataSource, Call);
  }

  /**
   * Records the result of a call in one transaction: stores the call and, when its call status
   * links a lead status, moves the lead there. The lead row is locked for the transaction, so
   * results recorded in parallel for one lead apply one after the other: no call is lost and the
   * lead ends in the status of the last committed call with a link.
   *
   * With an `idempotencyKey`, a repeat of the same request by the same caller returns the
   * original result and writes nothing; the same key with other input is CONFLICT.
   */
  async record(input: RecordCallResultParams, actor: Principal): Promise<CallResultData> {
    assertAllowed(actor, Permission.RecordCalls);
    const request = normalizeRequest(input, actor);
    const { leadId, comment, afterCallTransfer, nextCallAt, idempotencyHash, requestHash } =
      request;

    const replay = await this.findReplay(request);
    if (replay) return replay;

    const status = await findByCode(this.dataSource, CallStatus, input.callStatusCode);
    if (!status) {
      throw badUserInput(
        "callStatusCode",
        `callStatusCode: there is no call status with code "${input.callStatusCode}"`,
      );
    }
    assertMayChoose(actor, status, afterCallTransfer);
    if (status.commentRequired && comment === null) {
      throw badUserInput("comment", `comment is required for the call status "${status.code}"`);
    }
    if (nextCallAt !== null && nextCallAt.getTime() <= Date.now()) {
      throw badUserInput("nextCallAt", "nextCallAt must be in the future");
    }
    if (nextCallAt !== null && !isWithinStorableRange(nextCallAt)) {
      throw badUserInput("nextCallAt", "nextCallAt must be at most 9999-12-31T23:59:59Z");
    }
    if (status.planningTimeRequired && nextCallAt === null) {
      throw badUserInput(
        "nextCallAt",
        `nextCallAt is required for the call status "${status.code}"`,
      );
    }

    let recorded: CallResultData;
    try {
      recorded = await runTransaction(this.dataSource, (manager) =>
        this.store(manager, {
          leadId,
          status,
          comment,
          afterCallTransfer,
          nextCallAt,
          actor,
          idempotencyHash,
          requestHash,
        }),
      );
    } catch (error) {
      // Two requests with the same key at the same time: the second one lost the race.
      if (idempotencyHash && uniqueViolationColumn(error) !== undefined) {
        const replay = await this.replay(idempotencyHash, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    return recorded;
  }

  private async store(
    manager: EntityManager,
    values: {
      leadId: number;
      status: CallStatus;
      comment: string | null;
      afterCallTransfer: boolean;
      nextCallAt: Date | null;
      actor: Principal;
      idempotencyHash: string | null;
      requestHash: string;
    },
  ): Promise<CallResultData> {
    const sqlite = this.dataSource.options.type === "better-sqlite3";
    // On SQLite the write gate already serialises transactions; elsewhere lock the lead row.
    const lead = await scoped(manager, Lead).findOne({
      where: { id: values.leadId },
      ...(sqlite ? {} : { lock: { mode: "pessimistic_write" as const } }),
    });
    if (!lead) throw notFound(`No lead with id ${values.leadId}`);
    const target = values.status.leadStatusId;
    const leadStatusChanged = target !== null && target !== lead.statusId;
    const now = currentTimestamp();
    if (leadStatusChanged) {
      await scoped(manager, Lead).update({ id: lead.id }, { statusId: target, updatedAt: now });
    }
    const row = {
      leadId: lead.id,
      callStatusId: values.status.id,
      comment: values.comment,
      afterCallTransfer: values.afterCallTransfer,
      nextCallAt: values.nextCallAt,
      leadStatusChanged,
      recordedByRole: values.actor.role,
      recordedBy: values.actor.actorId,
      idempotencyHash: values.idempotencyHash,
      requestHash: values.idempotencyHash ? values.requestHash : null,
      createdAt: now,
    };
    const id = await scoped(manager, Call).insert(row);
    // The result is exactly what was written (every value is set here, in whole seconds), so it
    // is not read back.
    const call = manager.create(Call, { ...row, id, accountId: lead.accountId });
    if (leadStatusChanged) {
      Object.assign(lead, { statusId: target, updatedAt: now, version: lead.version + 1 });
    }
    return { call, lead, leadStatusChanged };
  }

  /**
   * For a request with an idempotency key that was already recorded: the original result
   * (CONFLICT when the key came with other input). Null for a new request. Callers that check
   * arguments against settings that may have changed since (the AI tool) ask this first, so a
   * retry still returns the original result.
   */
  async replayOf(input: RecordCallResultParams, actor: Principal): Promise<CallResultData | null> {
    assertAllowed(actor, Permission.RecordCalls);
    return this.findReplay(normalizeRequest(input, actor));
  }

  private async findReplay(request: NormalizedRequest): Promise<CallResultData | null> {
    return request.idempotencyHash
      ? this.replay(request.idempotencyHash, request.requestHash)
      : null;
  }

  /** The original result of an idempotent request, CONFLICT for other input, null if new. */
  private async replay(
    idempotencyHash: string,
    requestHash: string,
  ): Promise<CallResultData | null> {
    const original = await this.calls.findOne({ where: { idempotencyHash } });
    if (!original) return null;
    if (original.requestHash !== requestHash) {
      throw conflict(
        "This idempotencyKey was already used for a different call result",
        "idempotencyKey",
      );
    }
    return this.result(original.id);
  }

  private async result(callId: number): Promise<CallResultData> {
    const call = await this.calls.findOneOrFail({ where: { id: callId } });
    const lead = await scoped(this.dataSource, Lead).findOneOrFail({ where: { id: call.leadId } });
    return { call, lead, leadStatusChanged: call.leadStatusChanged };
  }

  /** A page of calls, newest first. */
  async list(filter: CallFilterParams, page: PageParams, actor: Principal): Promise<Page<Call>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const query = this.calls.queryBuilder("call");
    const leadId =
      filter.leadId === undefined || filter.leadId === null
        ? null
        : parseId(filter.leadId, "leadId");
    if (leadId !== null) query.andWhere("call.lead_id = :leadId", { leadId });
    if (filter.callStatusCode) {
      const status = await findByCode(this.dataSource, CallStatus, filter.callStatusCode);
      if (!status)
        query.andWhere("1 = 0"); // an unknown code matches no call
      else query.andWhere("call.call_status_id = :statusId", { statusId: status.id });
    }
    // Recording times are whole seconds: a bound with a fraction acts as the next whole second.
    if (filter.from) {
      query.andWhere("call.created_at >= :from", { from: sqlDateTime(ceilToSecond(filter.from)) });
    }
    if (filter.to) {
      query.andWhere("call.created_at < :to", { to: sqlDateTime(ceilToSecond(filter.to)) });
    }
    // MySQL/MariaDB (SQLite ignores it): the index of the filter, in the list's order. Left to
    // itself, MariaDB may take the lead foreign key's own index and sort the lead's calls.
    query.useIndex(
      leadId !== null
        ? "IDX_calls_lead"
        : filter.callStatusCode
          ? "IDX_calls_call_status"
          : "IDX_calls_created_at",
    );
    return fetchPage(query, CALL_ORDER, page);
  }

  /**
   * The same page of calls for each of several leads — for batching `Lead.calls`. One lead (a
   * lead's page) is one indexed read of the page; several are one statement ranking each lead's
   * calls and one reading the rows. The counts, one statement for all, only if asked for.
   */
  async pagesForLeads(
    leadIds: readonly number[],
    page: PageParams,
  ): Promise<Map<number, Page<Call>>> {
    let counts: Promise<Map<number, number>> | undefined;
    const countOf = (leadId: number) => async () =>
      (await (counts ??= this.countsForLeads(leadIds))).get(leadId) ?? 0;
    if (leadIds.length === 1) {
      const [leadId] = leadIds;
      const query = this.calls
        .queryBuilder("call")
        .andWhere("call.lead_id = :leadId", { leadId })
        .useIndex("IDX_calls_lead");
      const one = await fetchPage(query, CALL_ORDER, page);
      return new Map([[leadId, { ...one, totalCount: countOf(leadId) }]]);
    }
    const position = resolvePage(CALL_CURSOR, page, CALL_ORDER.columns.length);
    const rowsOf = new Map<number, Call[]>(leadIds.map((id) => [id, []]));
    if (leadIds.length > 0) {
      const placeholders = leadIds.map(() => "?").join(", ");
      // As in `fetchPage`: `created_at <= t` written `< t + 1 s` (SQLite stores milliseconds).
      const after = position.after
        ? [
            sqlDateTime(new Date((position.after[0] + 1) * 1000)),
            sqlDateTime(new Date(position.after[0] * 1000)),
            position.after[1],
          ]
        : undefined;
      const ranked: Array<{ id: number | string }> = await queryInAccount(
        this.dataSource,
        `SELECT id FROM (
           SELECT id, ROW_NUMBER() OVER (PARTITION BY lead_id ORDER BY created_at DESC, id DESC) AS position
           FROM calls WHERE account_id = ? AND lead_id IN (${placeholders})${after ? " AND created_at < ? AND (created_at < ? OR id < ?)" : ""}
         ) ranked WHERE position <= ?`,
        [ACCOUNT, ...leadIds, ...(after ?? []), position.limit + 1],
      );
      const rows =
        ranked.length === 0
          ? []
          : await this.calls.find({ where: { id: In(ranked.map((r) => Number(r.id))) } });
      rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
      for (const row of rows) rowsOf.get(row.leadId)?.push(row);
    }
    return new Map(
      [...rowsOf].map(([leadId, rows]) => [
        leadId,
        toPage(rows, position, callCursor, countOf(leadId)),
      ]),
    );
  }

  /** How many calls each lead has, up to `COUNT_LIMIT + 1` as every `totalCount`. */
  private async countsForLeads(leadIds: readonly number[]): Promise<Map<number, number>> {
    if (leadIds.length === 0) return new Map();
    const counts: Array<{ lead_id: number | string; n: number | string }> = await queryInAccount(
      this.dataSource,
      `SELECT lead_id, COUNT(*) AS n FROM calls WHERE account_id = ? AND lead_id IN (${leadIds.map(() => "?").join(", ")}) GROUP BY lead_id`,
      [ACCOUNT, ...leadIds],
    );
    return new Map(
      counts.map((row) => [Number(row.lead_id), Math.min(Number(row.n), COUNT_LIMIT + 1)]),
    );
  }

  /**
   * Retention: deletes the current account's calls recorded before `before`, `batchSize` at a
   * time — each batch its own short transaction (retried like every write), so that a Galera
   * cluster certifies small write sets and calls go on being recorded meanwhile — then writes
   * one audit entry (PURGE of CALLS) saying before when and how many. Leads keep their status.
   * A retried request whose idempotency key belonged to a deleted call would record it anew:
   * keep more than any client's retry window.
   */
  async purgeRecordedBefore(
    before: Date,
    actor: Principal,
    options: { batchSize?: number; onBatch?: (deletedSoFar: number) => void } = {},
  ): Promise<number> {
    assertAllowed(actor, Permission.PurgeCalls);
    if (!isWithinStorableRange(before)) {
      throw badUserInput("before", "before must be a date-time from year 1 to 9999");
    }
    const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_PURGE_BATCH) {
      throw badUserInput(
        "batchSize",
        `batchSize must be a whole number from 1 to ${MAX_PURGE_BATCH}`,
      );
    }
    // Whole seconds, like every stored time: a fraction acts as the next whole second.
    const cutoff = sqlDateTime(ceilToSecond(before));
    let deleted = 0;
    for (;;) {
      const ids = (
        await this.calls
          .queryBuilder("call")
          .select("call.id", "id")
          .andWhere("call.created_at < :cutoff", { cutoff })
          .useIndex("IDX_calls_created_at")
          .orderBy("call.created_at", "ASC")
          .addOrderBy("call.id", "ASC")
          .limit(batchSize)
          .getRawMany<{ id: number | string }>()
      ).map((row) => Number(row.id));
      if (ids.length === 0) break;
      deleted += await runTransaction(this.dataSource, (manager) =>
        scoped(manager, Call).delete({ id: In(ids) }),
      );
      options.onBatch?.(deleted);
      if (ids.length < batchSize) break;
    }
    await runTransaction(this.dataSource, (manager) =>
      writeAudit(manager, {
        actor,
        action: AuditAction.PURGE,
        entityType: AuditEntityType.CALLS,
        entityId: currentAccountId(),
        changes: [
          {
            field: "recordedBefore",
            before: null,
            after: new Date(`${cutoff.replace(" ", "T")}Z`).toISOString(),
          },
          { field: "deletedCalls", before: null, after: deleted },
        ],
      }),
    );
    return deleted;
  }
}
