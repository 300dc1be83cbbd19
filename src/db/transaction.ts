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
