/**
 * Every statement about the `calls` table: the insert of a recorded call, look-ups by id and
 * idempotency key, the pages (newest first, each through an index that starts with the account),
 * the batched pages of several leads, and the batches of retention. The rules are in
 * `call.service.ts`; nothing here decides anything but how to read and write.
 */
import { In, type DataSource } from "typeorm";
import {
  COUNT_LIMIT,
  encodeCursor,
  resolvePage,
  toPage,
  type Page,
  type PageParams,
} from "../common/pagination";
import { sqlDateTime } from "../common/time";
import { ACCOUNT, queryInAccount, scoped, type ScopedRepository } from "../db/account-scope";
import { fetchPage, type ListOrder } from "../db/pages";
import type { Transaction } from "../db/transaction";
import { Call } from "./call.entity";

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

/** Recording times are whole seconds: a bound with a fraction acts as the next whole second. */
function ceilToSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

/** The columns of a call as `record` writes them (the account comes from the scope). */
export type NewCall = Omit<Call, "id" | "accountId" | "account" | "lead" | "callStatus">;

/** Which calls a page holds; every condition given must hold. */
export interface CallConditions {
  leadId?: number | null;
  /** The call status's id; `false`: a status that does not exist (so no call matches). */
  callStatusId?: number | false | null;
  /** Recorded at or after. */
  from?: Date | null;
  /** Recorded before. */
  to?: Date | null;
}

export class CallRepository {
  private readonly calls: ScopedRepository<Call>;

  constructor(private readonly dataSource: DataSource) {
    this.calls = scoped(dataSource, Call);
  }

  /** Writes a recorded call inside the caller's transaction; answers its id. */
  insert(tx: Transaction, row: NewCall): Promise<number> {
    return scoped(tx, Call).insert(row);
  }

  /** The call as `insert` wrote it, without reading it back (every value was set by the caller). */
  written(row: NewCall, id: number, accountId: number): Call {
    return Object.assign(new Call(), row, { id, accountId });
  }

  byId(id: number): Promise<Call> {
    return this.calls.findOneOrFail({ where: { id } });
  }

  /** The call recorded with this idempotency hash in the current account, if any. */
  byIdempotencyHash(idempotencyHash: string): Promise<Call | null> {
    return this.calls.findOne({ where: { idempotencyHash } });
  }

  /** A page of the calls meeting `conditions`, newest first. */
  page(conditions: CallConditions, page: PageParams): Promise<Page<Call>> {
    const query = this.calls.queryBuilder("call");
    const { leadId, callStatusId, from, to } = conditions;
    if (leadId !== undefined && leadId !== null) {
      query.andWhere("call.lead_id = :leadId", { leadId });
    }
    if (callStatusId === false) query.andWhere("1 = 0");
    else if (callStatusId !== undefined && callStatusId !== null) {
      query.andWhere("call.call_status_id = :statusId", { statusId: callStatusId });
    }
    if (from) {
      query.andWhere("call.created_at >= :from", { from: sqlDateTime(ceilToSecond(from)) });
    }
    if (to) query.andWhere("call.created_at < :to", { to: sqlDateTime(ceilToSecond(to)) });
    // MySQL/MariaDB (SQLite ignores it): the index of the filter, in the list's order. Left to
    // itself, MariaDB may take the lead foreign key's own index and sort the lead's calls.
    query.useIndex(
      leadId !== undefined && leadId !== null
        ? "IDX_calls_lead"
        : callStatusId !== undefined && callStatusId !== null
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
      const one = await this.page({ leadId }, page);
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
   * The ids of the oldest `limit` calls recorded before `before` (oldest first, through
   * `IDX_calls_created_at`), and the cutoff as stored (whole seconds: a fraction acts as the
   * next whole second).
   */
  async oldestBefore(before: Date, limit: number): Promise<number[]> {
    const cutoff = sqlDateTime(ceilToSecond(before));
    const rows = await this.calls
      .queryBuilder("call")
      .select("call.id", "id")
      .andWhere("call.created_at < :cutoff", { cutoff })
      .useIndex("IDX_calls_created_at")
      .orderBy("call.created_at", "ASC")
      .addOrderBy("call.id", "ASC")
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    return rows.map((row) => Number(row.id));
  }

  /** The cutoff `oldestBefore` applies, as an instant. */
  storedCutoff(before: Date): Date {
    return ceilToSecond(before);
  }

  /** Deletes these calls inside the caller's transaction; answers how many were deleted. */
  delete(tx: Transaction, ids: number[]): Promise<number> {
    return scoped(tx, Call).delete({ id: In(ids) });
  }
}
