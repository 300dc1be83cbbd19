import type { DataSource, EntityManager } from "typeorm";

declare const OPAQUE: unique symbol;

/**
 * A transaction in progress, as the features hold it (`runTransaction` hands it to its work):
 * opaque. It has no methods of its own, so the features can read and write through it only with
 * `scoped(tx, Entity)`, `queryInAccount(tx, …)` or a named `acrossAccountsRepository(tx, …)` —
 * no statement skips the account scope. Only `src/db/` sees the entity manager inside.
 */
export interface Transaction {
  readonly [OPAQUE]: "transaction";
}

/** Where a statement runs: the data source (its own connection), or a transaction. */
export type Source = DataSource | Transaction;

/** The transaction of `manager`, as the features receive it. */
export function asTransaction(manager: EntityManager): Transaction {
  return manager as unknown as Transaction;
}

/** What `source` runs statements on, for `src/db/` alone. */
export function runnerOf(source: Source): DataSource | EntityManager {
  return source as unknown as DataSource | EntityManager;
}

/** What runs once the transaction `tx` has committed (see `afterCommit`). */
const commitHooks = new WeakMap<object, Array<() => void>>();

/**
 * Runs `hook` once the transaction `tx` has committed — never for a try that is rolled back
 * (`runTransaction` may run its work more than once), and not at all when the transaction
 * fails. Hooks run in the order registered, after `runTransaction`'s commit and before it
 * resolves; a hook must not throw (what it starts is its own business, e.g. a notification).
 */
export function afterCommit(tx: Transaction, hook: () => void): void {
  const hooks = commitHooks.get(tx);
  if (!hooks) throw new Error("afterCommit outside a transaction of runTransaction");
  hooks.push(hook);
}

/** For `runTransaction`: a fresh list of hooks for one try of `tx`. */
export function beginCommitHooks(tx: Transaction): Array<() => void> {
  const hooks: Array<() => void> = [];
  commitHooks.set(tx, hooks);
  return hooks;
}
