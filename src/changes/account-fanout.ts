/**
 * Many live subscribers of one account's changes behind one change log listener: each
 * committed change event of the account is heard once and routed to the subscribers it
 * concerns, found by key (a lead's id, say) rather than by asking each of them. With thousands
 * of subscribers, calling each one for every recorded call cost milliseconds per write even
 * when none of them had anything to send.
 */
import type { ChangeEvent, ChangeLog } from "./change-log";

/** The subscribers under `key`, to be called for this event (a copy: empty when none). */
export type WatchersOf<K, W> = (key: K) => readonly W[];

/** One subscriber (its own object: the same watcher added twice is two subscribers). */
interface Entry<W> {
  watcher: W;
}

interface AccountWatchers<K, W> {
  byKey: Map<K, Set<Entry<W>>>;
  stop: () => void;
}

export class AccountFanout<K, W> {
  private readonly accounts = new Map<number, AccountWatchers<K, W>>();

  /**
   * `route` is called once per change event of an account that has subscribers; it calls the
   * subscribers of the keys the event concerns. It runs in the bus's callback: keep it quick
   * and synchronous (subscribers are told what to do, they do it on their own pulls).
   */
  constructor(
    private readonly changes: ChangeLog,
    private readonly route: (event: ChangeEvent, watchersOf: WatchersOf<K, W>) => void,
  ) {}

  /** Adds `watcher` under `key` of the account; answers how to remove it. */
  add(accountId: number, key: K, watcher: W): () => void {
    let account = this.accounts.get(accountId);
    if (!account) {
      const byKey = new Map<K, Set<Entry<W>>>();
      const stop = this.changes.subscribe(accountId, (event) => {
        // A copy per key asked for: a subscriber may leave while others are told.
        this.route(event, (wanted) => {
          const entries = byKey.get(wanted);
          return entries ? Array.from(entries, (entry) => entry.watcher) : [];
        });
      });
      account = { byKey, stop };
      this.accounts.set(accountId, account);
    }
    const current = account;
    let watchers = current.byKey.get(key);
    if (!watchers) {
      watchers = new Set();
      current.byKey.set(key, watchers);
    }
    const group = watchers;
    const entry: Entry<W> = { watcher };
    group.add(entry);
    return () => {
      if (!group.delete(entry)) return;
      if (group.size > 0) return;
      if (current.byKey.get(key) === group) current.byKey.delete(key);
      if (current.byKey.size > 0) return;
      current.stop();
      if (this.accounts.get(accountId) === current) this.accounts.delete(accountId);
    };
  }

  /** The accounts with subscribers now. */
  accountIds(): number[] {
    return [...this.accounts.keys()];
  }

  /** Calls `each` for every subscriber under `key` of the account (a copy: they may leave). */
  tell(accountId: number, key: K, each: (watcher: W) => void): void {
    const entries = this.accounts.get(accountId)?.byKey.get(key);
    for (const entry of entries ? [...entries] : []) each(entry.watcher);
  }
}
