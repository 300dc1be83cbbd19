import { Mutex } from "async-mutex";
import type { DataSource, EntityManager } from "typeorm";
import { forgetRequestValues } from "./request-scope";

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
 */
export function runWrite<T>(dataSource: DataSource, write: () => Promise<T>): Promise<T> {
  return readThroughGate(dataSource, write).finally(forgetRequestValues);
}

/** Runs `work` in a transaction (through the SQLite gate); commits when it resolves. */
export function runTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return runWrite(dataSource, () => dataSource.transaction(work));
}
