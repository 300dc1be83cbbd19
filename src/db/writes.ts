import { Mutex } from "async-mutex";
import type { DataSource } from "typeorm";
import { isDatabaseUnavailable, isLockConflict } from "./errors";
import { forgetRequestValues } from "./request-scope";
import { asTransaction, beginCommitHooks, type Transaction } from "./transaction";
import { DEFAULT_TRANSACTION_ATTEMPTS } from "../config";

/**
 * TypeORM drives better-sqlite3 through ONE shared connection: two transactions started by two
 * requests would interleave on it (nesting as savepoints), and a plain write of one request could
 * land inside — and be rolled back with — another request's transaction. So on SQLite every
 * write and every transaction runs one at a time, through this gate. MySQL/MariaDB use a pool of
 * connections and real row locks: there the gate lets everything through.
 */
const gates = new WeakMap<DataSource, Mutex>();

function gateOf(dataSource: DataSource): Mutex | undefined {
  if (dataSource.options.type !== "better-sqlite3") return undefined;
  let gate = gates.get(dataSource);
  if (!gate) {
    gate = new Mutex();
    gates.set(dataSource, gate);
  }
  return gate;
}

/**
 * Runs `read` through the SQLite gate, so that it never sees another request's uncommitted
 * transaction on the shared connection. Reads that must be consistent with writes use it.
 */
export function readThroughGate<T>(dataSource: DataSource, read: () => Promise<T>): Promise<T> {
  const gate = gateOf(dataSource);
  return gate ? gate.runExclusive(read) : read();
}

/**
 * Runs a write (one or more statements outside a transaction) through the SQLite gate. Whatever
 * the request loaded before is forgotten afterwards (see `forgetRequestValues`).
 *
 * Not for INSERTs: use `runTransaction`. On a Galera cluster a lone statement that loses a
 * certification conflict is retried by the node itself (`wsrep_retry_autocommit`), and an
 * `INSERT … RETURNING` (how TypeORM inserts on MariaDB) retried that way hands back the id of the
 * failed try, not of the row written — seen on MariaDB 10.11 with Galera 4. Inside a transaction
 * the conflict is reported instead (1213) and `runTransaction` runs it all again.
 */
export function runWrite<T>(dataSource: DataSource, write: () => Promise<T>): Promise<T> {
  return readThroughGate(dataSource, write).finally(forgetRequestValues);
}

/** Tries of a transaction in all, per data source (set where it is created). */
const transactionAttempts = new WeakMap<DataSource, number>();

/** How many times in all `runTransaction` tries a transaction on `dataSource` (at least 1). */
export function setTransactionAttempts(dataSource: DataSource, attempts: number): void {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`transactionAttempts must be a whole number ≥ 1, not ${attempts}`);
  }
  transactionAttempts.set(dataSource, attempts);
}

function attemptsOf(dataSource: DataSource): number {
  // SQLite runs one transaction at a time (the gate): it has no deadlocks to retry.
  if (gateOf(dataSource)) return 1;
  return transactionAttempts.get(dataSource) ?? DEFAULT_TRANSACTION_ATTEMPTS;
}

/**
 * Before try `attempt + 1`: 5–10 ms after the first failure, doubling up to 100–200 ms, jittered
 * (with 6 tries, at most 0.31 s of pauses in all). On a multi-primary cluster many requests may
 * race for one row through different nodes; spreading their next tries over a growing window
 * lets them commit one after another instead of colliding again.
 */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(10 * 2 ** (attempt - 1), 200);
  const ms = ceiling / 2 + (Math.random() * ceiling) / 2;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `work` in a transaction (through the SQLite gate); commits when it resolves.
 *
 * A transaction that fails with a deadlock or a lock wait timeout (MySQL/MariaDB; on a Galera
 * cluster also a certification conflict, at COMMIT or — aborted by a conflicting write-set from
 * another node — at any statement) is rolled back whole and run again from the
 * start, on a fresh transaction, up to the data source's `transactionAttempts` in all (see
 * `setTransactionAttempts`), with a short jittered backoff in between. A transaction whose
 * connection was lost (or whose node refused work) before its COMMIT was sent is run again once,
 * on another connection; one that failed at COMMIT is not (it may have been applied). The last
 * failure is thrown as is (`isDatabaseUnavailable` answers it as SERVICE_UNAVAILABLE). So `work`
 * may run more than once: it must do nothing outside the database — whatever must happen once
 * belongs after `runTransaction` settles, or in an `afterCommit` hook (which runs for the try
 * that committed).
 */
export async function runTransaction<T>(
  dataSource: DataSource,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const attempts = attemptsOf(dataSource);
  let reconnected = false;
  for (let attempt = 1; ; attempt += 1) {
    // Set once `work` has resolved: what fails from then on failed at (or after) COMMIT.
    let committing = false;
    try {
      // The gate (SQLite) is held for one try at a time, never during the backoff.
      let hooks: Array<() => void> = [];
      const result = await runWrite(dataSource, () =>
        dataSource.transaction(async (manager) => {
          const tx = asTransaction(manager);
          hooks = beginCommitHooks(tx);
          const value = await work(tx);
          committing = true;
          return value;
        }),
      );
      // Committed: what waited for it (`afterCommit`) runs now, once.
      for (const hook of hooks) hook();
      return result;
    } catch (error) {
      if (attempt < attempts && isLockConflict(error)) {
        await backoff(attempt);
        continue;
      }
      // The connection was lost (or its node refused work) before COMMIT was sent: the server
      // rolled the transaction back, so it is safe to run it again — once, on another
      // connection (a dead one is not handed out again; behind a balancer the new one reaches
      // a node that is up). A failure at COMMIT is never retried: it may have been applied.
      const lostBeforeCommit =
        !committing && isDatabaseUnavailable(error) && !isLockConflict(error);
      if (lostBeforeCommit && !reconnected && gateOf(dataSource) === undefined) {
        reconnected = true;
        await backoff(attempt);
        continue;
      }
      throw error;
    }
  }
}
