/**
 * Many live subscribers of one account's changes behind one change log listener: each
 * committed change event of the account is heard once and routed to the subscribers it
 * concerns, found by key (a lead's id, say) rather than by asking each of them. With thousands
 * of subscribers, calling each one for every recorded call cost milliseconds per write even
 * when none of them had anything to send.
 */
import type { ChangeEvent, ChangeLog } from "./change-log";

/** How many subscribers are told of an event at once, before the rest wait for the next turn. */
export const FANOUT_TURN = 200;

/**
 * Calls `each` for every item, `size` of them per turn of the event loop. Telling thousands of
 * subscribers at once would have them all render and send before the instance reads its
 * sockets again — every other request waited for the whole fan-out (2 s at 10,000
 * subscribers); in turns, requests are served between them, and the first subscribers get
 * their lists sooner.
 */
export function inTurns<T>(items: readonly T[], each: (item: T) => void, size = FANOUT_TURN): void {
  const run = (from: number) => {
    const to = Math.min(from + size, items.length);
    for (let index = from; index < to; index += 1) each(items[index]);
    if (to < items.length) setImmediate(run, to);
  };
  run(0);
}

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
        this.route(event, (wanted) => this.watchersOf(accountId, wanted));
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

  /** The subscribers under `key` of the account now (a copy: they may leave). */
  watchersOf(accountId: number, key: K): W[] {
    const entries = this.accounts.get(accountId)?.byKey.get(key);
    return entries ? Array.from(entries, (entry) => entry.watcher) : [];
  }
}
