/**
 * Numbers the change feed: gives each change log entry, once its transaction has committed, its
 * place in its account's feed (`seq`: the account's last place + 1), in the order entries become
 * visible here. An entry whose transaction took longer than a later one's (ids are handed out at
 * insert, commits happen in any order) is numbered after it, when it shows: so a consumer that
 * pages by `seq` — the change feed, webhook deliveries — never misses it, and never sees an
 * entry twice.
 *
 * One instance at a time numbers (the lease `change-sequencer`); the unique index on
 * (account, seq) keeps two from giving one place twice should their leases ever overlap. It runs
 * soon after each local commit that wrote entries (at most one pass every `minGapMs`), and every
 * `pollMs` for the commits of other instances and for entries whose process stopped before
 * numbering them (a crash between commit and numbering loses nothing: the entry waits,
 * committed, for the next pass).
 */
import type { DataSource } from "typeorm";
import { IsNull } from "typeorm";
import { ACCOUNT, acrossAccountsRepository, inAccount, queryInAccount } from "../db/account-scope";
import { asBackgroundJob } from "../db/background";
import { readThroughGate, runTransaction } from "../db/writes";
import type { Logger } from "../logger";
import { ChangeFeedHead } from "./change-feed-head.entity";
import { ChangeLogEntry } from "./change.entity";
import type { Leases } from "./leases";

/** The lease of the job. */
export const SEQUENCER_LEASE = "change-sequencer";

const REASON = "numbering the change feed of every account";

export interface SequencerOptions {
  /** How long a pass may hold the job without renewing it (ms). */
  leaseMs: number;
  /** How often to look for entries to number besides after local commits (ms). */
  pollMs: number;
  /** Entries numbered per transaction. */
  batchSize: number;
  /**
   * The least time between the starts of two passes (ms): under a steady stream of writes, each
   * pass numbers what the last few milliseconds committed, rather than one pass per commit.
   */
  minGapMs: number;
}

export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = {
  leaseMs: 10_000,
  pollMs: 500,
  batchSize: 500,
  minGapMs: 20,
};

export class ChangeSequencer {
  private running: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** Until when this process surely holds the lease (renewed once half of it is gone). */
  private heldUntil = 0;
  private lastPassAt = 0;
  private readonly numberedListeners = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly leases: Leases,
    private readonly logger: Logger,
    private readonly options: SequencerOptions = DEFAULT_SEQUENCER_OPTIONS,
  ) {}

  /** Starts numbering every `pollMs` (and after local commits, through `soon`). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.soon(), this.options.pollMs);
    this.timer.unref();
    this.soon();
  }

  /** Stops, and gives the lease up for another instance. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    this.heldUntil = 0;
    await asBackgroundJob(SEQUENCER_LEASE, () => this.leases.release(SEQUENCER_LEASE)).catch(
      () => undefined,
    );
  }

  /**
   * Calls `listener` after each pass that numbered entries (on the instance that numbers), so
   * that what reads the feed (webhook deliveries) can start at once; answers a function that
   * stops it.
   */
  onNumbered(listener: () => void): () => void {
    this.numberedListeners.add(listener);
    return () => this.numberedListeners.delete(listener);
  }

  /** A pass as soon as possible (one more after the running one, if any). */
  soon(): void {
    this.run().catch((error: unknown) =>
      this.logger.warn({ err: error }, "change feed: numbering failed, tried again later"),
    );
  }

  /**
   * Numbers what has committed and is not numbered yet, if this instance holds the job;
   * answers how many entries it numbered. Calls made while a pass runs share one more pass.
   */
  run(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const pass = asBackgroundJob(SEQUENCER_LEASE, async () => {
      let total = 0;
      try {
        do {
          this.again = false;
          const wait = this.lastPassAt + this.options.minGapMs - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          this.lastPassAt = Date.now();
          total += await this.pass();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
      if (total > 0) for (const listener of this.numberedListeners) listener();
      return total;
    });
    this.running = pass;
    return pass;
  }

  /** True while this process holds the lease: taken or renewed when half of it is gone. */
  private async holdLease(): Promise<boolean> {
    const now = Date.now();
    if (now < this.heldUntil - this.options.leaseMs / 2) return true;
    const held = await this.leases.hold(SEQUENCER_LEASE, this.options.leaseMs);
    this.heldUntil = held ? now + this.options.leaseMs : 0;
    return held;
  }

  private async pass(): Promise<number> {
    if (!(await this.holdLease())) return 0;
    const entries = acrossAccountsRepository(this.dataSource, ChangeLogEntry, REASON);
    let total = 0;
    for (;;) {
      // On SQLite through the write gate: its one connection shows a transaction in progress.
      const rows = await readThroughGate(this.dataSource, () =>
        entries.find({
          select: { id: true, accountId: true },
          where: { seq: IsNull() },
          order: { id: "ASC" },
          take: this.options.batchSize,
        }),
      );
      if (rows.length === 0) break;
      const byAccount = new Map<number, number[]>();
      for (const row of rows) {
        const ids = byAccount.get(row.accountId) ?? [];
        ids.push(Number(row.id));
        byAccount.set(row.accountId, ids);
      }
      for (const [accountId, ids] of byAccount) {
        await this.number(accountId, ids);
      }
      total += rows.length;
      if (rows.length < this.options.batchSize) break;
      // A long backlog: keep the lease while working through it.
      if (!(await this.holdLease())) break;
    }
    return total;
  }

  /**
   * Gives `ids` (one account's, in id order) the next places of its feed: one UPDATE and the
   * account's head, in one transaction. An entry numbered meanwhile by a pass whose lease
   * overlapped this one keeps its place (`seq IS NULL` fails for it), and its place here is
   * left unused: places only ever increase; they may skip a number, never repeat one (the
   * unique index refuses a place given twice, and the transaction is tried again later).
   */
  private number(accountId: number, ids: number[]): Promise<void> {
    return runTransaction(this.dataSource, (tx) =>
      inAccount(accountId, async () => {
        const heads = acrossAccountsRepository(tx, ChangeFeedHead, REASON);
        const head = await heads.findOne({ where: { accountId } });
        const from = head ? Number(head.seq) : 0;
        const cases = ids.map(() => "WHEN ? THEN ?").join(" ");
        await queryInAccount(
          tx,
          `UPDATE change_log SET seq = CASE id ${cases} END
            WHERE account_id = ? AND seq IS NULL AND id IN (${ids.map(() => "?").join(", ")})`,
          [...ids.flatMap((id, index) => [id, from + index + 1]), ACCOUNT, ...ids],
        );
        const seq = from + ids.length;
        if (head) await heads.update({ accountId }, { seq });
        else await heads.insert({ accountId, seq });
      }),
    );
  }
}
