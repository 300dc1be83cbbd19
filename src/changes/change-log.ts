/**
 * The account change log (`change_log`): every committed change of an account's statuses, leads
 * and calls, one row each, written inside the change's own transaction, so that a change and its
 * entry commit together or not at all. Once the transaction has committed, its entries are
 * announced on the event bus (`changes:<account id>`, one message per transaction), where live
 * subscriptions of every instance hear them; entries are never announced for a transaction that
 * rolled back. The announcement carries ids only: each instance reads and renders the current
 * state for its own subscribers, scoped to each.
 */
import { In, type DataSource } from "typeorm";
import { acrossAccountsRepository, currentAccountId, scoped } from "../db/account-scope";
import { runWrite } from "../db/writes";
import { afterCommit, type Transaction } from "../db/transaction";
import type { EventBus } from "../events/event-bus";
import type { Logger } from "../logger";
import { ChangeLogEntry, ChangeType } from "./change.entity";

/** One change as it is announced (and as subscribers see it). */
export interface ChangeNotice {
  /** The change log entry's id. */
  id: number;
  type: ChangeType;
  entityId: number;
  leadId: number | null;
  revision: number | null;
}

/** The changes of one committed transaction of one account. */
export interface ChangeEvent {
  readonly accountId: number;
  readonly changes: ReadonlyArray<Readonly<ChangeNotice>>;
}

export type NewChange = Omit<ChangeNotice, "id" | "leadId" | "revision"> &
  Partial<Pick<ChangeNotice, "leadId" | "revision">> & {
    /**
     * What the change was, as it is at commit: the `data` of its webhook event and change feed
     * entry (see docs/API.md, "Change events"). Plain JSON values only; ids as strings.
     */
    data: Record<string, unknown>;
  };

const STATUS_TYPES = new Set<ChangeType>([
  ChangeType.CALL_STATUS_CREATED,
  ChangeType.CALL_STATUS_UPDATED,
  ChangeType.LEAD_STATUS_CREATED,
  ChangeType.LEAD_STATUS_UPDATED,
]);

/** True for a change of the account's status settings (either list). */
export function isStatusChange(notice: ChangeNotice): boolean {
  return STATUS_TYPES.has(notice.type);
}

export class ChangeLog {
  /** The entries of each transaction in progress, announced together once it commits. */
  private readonly pending = new WeakMap<Transaction, ChangeNotice[]>();
  /** Called after each commit that wrote entries, with its account (the feed numbers them). */
  private readonly committed = new Set<(accountId: number) => void>();
  /** The last announcement read, and the event it gave (see `read`). */
  private lastRead: { message: string; event: ChangeEvent | undefined } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Writes the entry of a change of the current account, inside the change's transaction. */
  async append(tx: Transaction, change: NewChange): Promise<void> {
    const accountId = currentAccountId();
    const { data, ...announced } = change;
    const notice: ChangeNotice = { leadId: null, revision: null, ...announced, id: 0 };
    notice.id = await scoped(tx, ChangeLogEntry).insert({
      type: notice.type,
      entityId: notice.entityId,
      leadId: notice.leadId,
      revision: notice.revision,
      data: JSON.stringify(data),
    });
    let notices = this.pending.get(tx);
    if (!notices) {
      const collected: ChangeNotice[] = [];
      notices = collected;
      this.pending.set(tx, collected);
      afterCommit(tx, () => this.announce({ accountId, changes: collected }));
    }
    notices.push(notice);
  }

  /**
   * Calls `listener` with each committed change event of the account, on any instance. The
   * event is shared with the account's other listeners: read it, never change it (it is frozen).
   */
  subscribe(accountId: number, listener: (event: ChangeEvent) => void): () => void {
    return this.bus.subscribe(this.channel(accountId), (message) => {
      const event = this.read(message, accountId);
      if (!event || event.accountId !== accountId || !Array.isArray(event.changes)) return;
      listener(event);
    });
  }

  /**
   * An announcement as an event (undefined: not JSON), parsed once however many listeners hear
   * it: the bus hands each listener of a channel the same text, one after another, and every
   * live subscription of the account is one — with thousands of them, parsing each time cost
   * milliseconds per committed write, even when none of them had anything to send.
   */
  private read(message: string, accountId: number): ChangeEvent | undefined {
    if (this.lastRead?.message === message) return this.lastRead.event;
    let event: ChangeEvent | undefined;
    try {
      event = freezeEvent(JSON.parse(message)) as ChangeEvent;
    } catch {
      this.logger.warn({ accountId }, "change event: not JSON, ignored");
    }
    this.lastRead = { message, event };
    return event;
  }

  /** Calls `listener` whenever announcements may have been missed (the bus was down). */
  onResume(listener: () => void): () => void {
    return this.bus.onResume(listener);
  }

  /** The one place a channel is named: nothing is announced without its account. */
  private channel(accountId: number): string {
    return `changes:${accountId}`;
  }

  /** Calls `listener` after each local commit that wrote entries, with the account's id. */
  onCommitted(listener: (accountId: number) => void): () => void {
    this.committed.add(listener);
    return () => void this.committed.delete(listener);
  }

  private announce(event: ChangeEvent): void {
    this.bus.publish(this.channel(event.accountId), JSON.stringify(event));
    for (const listener of [...this.committed]) listener(event.accountId);
  }

  /**
   * Deletes the entries of every account written before `cutoff`, oldest first, in batches of
   * `batchSize` (each its own short statement, so that writers are not held up); answers how
   * many went. The log is bounded by age: see `CHANGE_LOG_RETENTION_DAYS`.
   */
  async pruneBefore(cutoff: Date, batchSize = PRUNE_BATCH): Promise<number> {
    const reason = "retention of the change log applies to every account alike";
    let deleted = 0;
    for (;;) {
      const rows = await acrossAccountsRepository(this.dataSource, ChangeLogEntry, reason)
        .createQueryBuilder("entry")
        .select("entry.id", "id")
        .where("entry.created_at < :cutoff", { cutoff })
        .orderBy("entry.created_at", "ASC")
        .addOrderBy("entry.id", "ASC")
        .limit(batchSize)
        .getRawMany<{ id: number | string }>();
      if (rows.length === 0) return deleted;
      const ids = rows.map((row) => Number(row.id));
      await runWrite(this.dataSource, () =>
        acrossAccountsRepository(this.dataSource, ChangeLogEntry, reason).delete({ id: In(ids) }),
      );
      deleted += ids.length;
      if (ids.length < batchSize) return deleted;
    }
  }
}

/**
 * A parsed announcement with its event and each notice frozen: every listener of the account
 * shares it. The array of notices is left as it is (its type is read-only): V8 filters a frozen
 * array about three times slower, and every listener filters it.
 */
function freezeEvent(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    const changes = (value as { changes?: unknown }).changes;
    if (Array.isArray(changes)) {
      for (const notice of changes) if (notice && typeof notice === "object") Object.freeze(notice);
    }
    Object.freeze(value);
  }
  return value;
}

/** Entries deleted per statement when the log is pruned. */
export const PRUNE_BATCH = 1000;
