import { LRUCache } from "lru-cache";
import type { DataSource } from "typeorm";
import type { ChangeType } from "../changes/change.entity";
import type { ChangeLog } from "../changes/change-log";
import { CallStatus } from "./call-status.entity";
import { currentAccountId, inAccount, scoped } from "../db/account-scope";
import { onPrimary, perRequest } from "../db/request-scope";
import { readThroughGate } from "../db/writes";
import type { Transaction } from "../db/transaction";
import { LeadStatus } from "./lead-status.entity";
import { StatusRevision } from "./status-revision.entity";

/** Both status lists as of one revision, with the lookups the services need. Read-only. */
export interface StatusSnapshot {
  /** The `status_revision` the lists are at least as new as. */
  readonly revision: number;
  /** Ordered by sort, then id. */
  readonly leadStatuses: readonly LeadStatus[];
  /** Ordered by sort, then id; each with its `leadStatus` attached. */
  readonly callStatuses: readonly CallStatus[];
  readonly leadStatusById: ReadonlyMap<number, LeadStatus>;
  readonly leadStatusByCode: ReadonlyMap<string, LeadStatus>;
  readonly callStatusById: ReadonlyMap<number, CallStatus>;
  readonly callStatusByCode: ReadonlyMap<string, CallStatus>;
  /** The call statuses linked to each lead status, in list order. */
  readonly callStatusesByLeadStatusId: ReadonlyMap<number, readonly CallStatus[]>;
}

export interface StatusCatalogOptions {
  /** Off: every request reads the lists from the database (once per request). */
  enabled: boolean;
  /**
   * The longest a change made through another instance may stay unseen here, in ms. The
   * revision row is read at most about twice per this interval, never per request.
   */
  refreshMs: number;
  /**
   * How many accounts' lists one instance keeps in memory at most; the least recently used go
   * first (and are loaded again, with one revision read and two list reads, when next needed).
   */
  maxAccounts: number;
  /** The clock (tests). */
  now?: () => number;
}

const ORDER = { sort: "ASC", id: "ASC" } as const;

/**
 * Every account's status lists (`StatusCatalog` below), each loaded, checked and invalidated on
 * its own — a change in one account never touches another's — and at most `maxAccounts` of them
 * held in memory. The account is always the current one (see `db/account-scope.ts`). As the
 * source of stored responses (`graphql/response-cache.ts`), a partition is an account id.
 */
export class StatusCatalogs {
  private readonly accounts: LRUCache<number, StatusCatalog>;
  /** Distinguishes catalogs made again after an eviction, in `version`. */
  private made = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: StatusCatalogOptions,
    private readonly changes: ChangeLog,
  ) {
    this.accounts = new LRUCache({ max: options.maxAccounts });
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** How many accounts' lists are held now (for the benchmark). */
  get size(): number {
    return this.accounts.size;
  }

  /** The current account's lists. */
  current(): Promise<StatusSnapshot> {
    return this.of(currentAccountId()).current();
  }

  /**
   * Inside a settings change's transaction: bumps the current account's revision and writes the
   * change into the account change log with it (announced once the transaction commits).
   */
  async recordChange(
    tx: Transaction,
    change: { type: ChangeType; entityId: number; data: Record<string, unknown> },
  ): Promise<void> {
    const revision = await this.bumpRevision(tx);
    await this.appendChanges(tx, revision, [change]);
  }

  /**
   * Moves the current account's status revision on, inside `tx`, and answers the new one. The
   * revision row stays locked until `tx` ends: a change that bumps first and reads after sees
   * every settings change committed before it, and none commits meanwhile.
   */
  bumpRevision(tx: Transaction): Promise<number> {
    return this.of(currentAccountId()).recordChange(tx);
  }

  /** The change log entries of one settings change (one revision, one announcement). */
  async appendChanges(
    tx: Transaction,
    revision: number,
    changes: ReadonlyArray<{ type: ChangeType; entityId: number; data: Record<string, unknown> }>,
  ): Promise<void> {
    for (const change of changes) await this.changes.append(tx, { ...change, revision });
  }

  /**
   * The current account's lists, at least as new as `revision` (a change announced by another
   * instance may be newer than the copy held here: then they are loaded again, once for every
   * caller that asks meanwhile).
   */
  atLeast(revision: number): Promise<StatusSnapshot> {
    return this.of(currentAccountId()).atLeast(revision);
  }

  /** After a settings change of the current account (committed or not). */
  invalidate(): void {
    this.accounts.get(currentAccountId())?.invalidate();
  }

  version(partition: string): string {
    return this.of(Number(partition)).version;
  }

  fresh(partition: string): StatusSnapshot | undefined {
    return this.accounts.get(Number(partition))?.fresh();
  }

  /** The account's lists, confirmed current (one revision read when they were not lately). */
  confirm(partition: string): Promise<StatusSnapshot> {
    const accountId = Number(partition);
    return inAccount(accountId, () => this.of(accountId).current());
  }

  private of(accountId: number): StatusCatalog {
    let catalog = this.accounts.get(accountId);
    if (!catalog) {
      this.made += 1;
      catalog = new StatusCatalog(this.dataSource, this.options, accountId, this.made);
      this.accounts.set(accountId, catalog);
    }
    return catalog;
  }
}

/**
 * One account's call and lead status lists, served from memory. Every settings change bumps
 * `status_revision` in its own transaction (`recordChange`) and, once committed, makes this
 * instance drop its copy (`invalidate`), so the next read here sees the change. Other instances
 * compare the revision with their copy's at most every `refreshMs / 2` (in the background while
 * requests go on being served from memory) and never serve a copy not confirmed within
 * `refreshMs`; after an idle spell the first request waits for one revision read.
 *
 * The lists are always read from the primary: the revision and the rows must come from the same
 * place, or a lagging replica could be cached under a newer revision.
 */
export class StatusCatalog {
  private snapshot?: StatusSnapshot;
  /** When `snapshot` was last known to be current. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<StatusSnapshot>;
  /** Bumped by `invalidate`: a load begun before it must not be taken as current. */
  private generation = 0;
  /** The newest revision callers of `atLeast` have waited for. */
  private awaited = 0;
  /** `awaited` when the pending load began: that load reads at least this revision. */
  private pendingCovers = 0;
  private readonly now: () => number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: StatusCatalogOptions,
    private readonly accountId: number,
    private readonly serial: number,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** The current lists: from memory when confirmed recently, else after one check. */
  async current(): Promise<StatusSnapshot> {
    if (!this.options.enabled) {
      return perRequest(this, () =>
        readThroughGate(this.dataSource, () => inAccount(this.accountId, () => this.load())),
      );
    }
    const fresh = this.fresh();
    return fresh ?? this.refresh();
  }

  /**
   * The lists when they are known to be current right now, without waiting; else undefined
   * (and a check is started). Also starts a background check when half the interval is gone.
   */
  fresh(): StatusSnapshot | undefined {
    if (!this.options.enabled || !this.snapshot) return undefined;
    const age = this.now() - this.confirmedAt;
    if (age >= this.options.refreshMs / 2 && !this.pending) {
      // The failure is seen by whoever needs the lists next, when the copy has expired.
      this.refresh().catch(() => undefined);
    }
    return age < this.options.refreshMs ? this.snapshot : undefined;
  }

  /**
   * A token that changes whenever the lists served here may have changed: a response computed
   * from the lists may be reused only while it stays the same (and `fresh()` is defined).
   */
  get version(): string {
    return `${this.serial}:${this.generation}:${this.snapshot?.revision ?? "-"}`;
  }

  /** Inside a settings change's transaction: bumps the revision other instances look at. */
  async recordChange(tx: Transaction): Promise<number> {
    return inAccount(this.accountId, async () => {
      const revisions = scoped(tx, StatusRevision);
      await revisions.update({}, { revision: () => "revision + 1" });
      // The row is locked by the update until the transaction ends: this is our own increment.
      return (await revisions.findOneOrFail({})).revision;
    });
  }

  /**
   * The lists at least as new as `revision`, announced as committed. When the copy here is
   * older, they are loaded again — once for all the callers waiting for that revision (a
   * change seen from another instance reaches thousands of subscribers at once): a load begun
   * after the revision was announced reads it.
   */
  async atLeast(revision: number): Promise<StatusSnapshot> {
    const snapshot = await this.current();
    // Not kept (STATUS_CACHE off): each read scope reads the lists, after the announcement.
    if (snapshot.revision >= revision || !this.options.enabled) return snapshot;
    if (this.pending && this.pendingCovers >= revision) return this.pending;
    this.awaited = Math.max(this.awaited, revision);
    this.invalidate();
    return this.refresh();
  }

  /** After a settings change (committed or not): the next read loads the lists anew. */
  invalidate(): void {
    this.generation += 1;
    this.snapshot = undefined;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    this.pending = undefined;
  }

  /** One check, shared by every caller that needs it meanwhile. */
  private refresh(): Promise<StatusSnapshot> {
    if (this.pending) return this.pending;
    const generation = this.generation;
    // On SQLite the lists are read through the write gate: the one shared connection must not
    // show them another request's uncommitted transaction.
    const pending = readThroughGate(this.dataSource, () =>
      inAccount(this.accountId, () => this.check(generation)),
    ).finally(() => {
      if (this.pending === pending) this.pending = undefined;
    });
    this.pending = pending;
    this.pendingCovers = this.awaited;
    return pending;
  }

  private async check(generation: number): Promise<StatusSnapshot> {
    const known = this.snapshot;
    const revision = known ? await this.readRevision() : undefined;
    const snapshot = known && revision === known.revision ? known : await this.load(revision);
    // An invalidation meanwhile (a change committed here) means this may predate that change:
    // hand it to the callers that were already waiting, but do not keep it.
    if (generation === this.generation) {
      this.snapshot = snapshot;
      this.confirmedAt = this.now();
    }
    return snapshot;
  }

  private readRevision(): Promise<number> {
    return onPrimary(async () => {
      const row = await scoped(this.dataSource, StatusRevision).findOne({});
      return row?.revision ?? 0;
    });
  }

  /**
   * Reads the revision first and the lists after it, so the lists are at least as new as the
   * revision they are filed under (a change committed in between only causes one more load
   * later). `knownRevision` saves the first read when it was just made.
   */
  private load(knownRevision?: number): Promise<StatusSnapshot> {
    return onPrimary(async () => {
      const revision = knownRevision ?? (await this.readRevision());
      const leadStatuses = await scoped(this.dataSource, LeadStatus).find({ order: ORDER });
      const callStatuses = await scoped(this.dataSource, CallStatus).find({ order: ORDER });
      return buildSnapshot(revision, leadStatuses, callStatuses);
    });
  }
}

function buildSnapshot(
  revision: number,
  leadStatuses: LeadStatus[],
  callStatuses: CallStatus[],
): StatusSnapshot {
  const leadStatusById = new Map(leadStatuses.map((s) => [s.id, s]));
  const callStatusesByLeadStatusId = new Map<number, CallStatus[]>(
    leadStatuses.map((s) => [s.id, []]),
  );
  for (const status of callStatuses) {
    status.leadStatus =
      status.leadStatusId === null ? null : (leadStatusById.get(status.leadStatusId) ?? null);
    if (status.leadStatusId !== null) {
      callStatusesByLeadStatusId.get(status.leadStatusId)?.push(status);
    }
  }
  // Shared by every request from now on: nothing may change them.
  for (const status of [...leadStatuses, ...callStatuses]) Object.freeze(status);
  return {
    revision,
    leadStatuses: Object.freeze(leadStatuses),
    callStatuses: Object.freeze(callStatuses),
    leadStatusById,
    leadStatusByCode: new Map(leadStatuses.map((s) => [s.code, s])),
    callStatusById: new Map(callStatuses.map((s) => [s.id, s])),
    callStatusByCode: new Map(callStatuses.map((s) => [s.code, s])),
    callStatusesByLeadStatusId,
  };
}
