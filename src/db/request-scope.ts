import { AsyncLocalStorage } from "node:async_hooks";
import type { DataSource } from "typeorm";

/**
 * Read routing with replicas. TypeORM sends plain reads (find, query builders outside a
 * transaction) to a replica, and writes, raw queries and transactions to the primary. A mutation
 * reads too — the row it is about to change, the free code it derives, the row it returns, an
 * idempotent replay — and a lagging replica would turn those reads into stale versions or
 * NOT_FOUND. So within a request marked with `readFromPrimary()`, every read goes to the primary.
 */
interface ReadScope {
  primary: boolean;
  /** Values made once per request (see `perRequest`). */
  memo?: Map<object, unknown>;
}

const scope = new AsyncLocalStorage<ReadScope>();

/** Runs one request with its own read scope (replica reads until marked otherwise). */
export function withReadScope<T>(work: () => T): T {
  return scope.run({ primary: false }, work);
}

/**
 * `create()`, at most once per request for the same `key` (the value is shared by the rest of the
 * request, until a write forgets it); outside a request, every call creates.
 */
export function perRequest<T>(key: object, create: () => T): T {
  const current = scope.getStore();
  if (!current) return create();
  current.memo ??= new Map();
  if (current.memo.has(key)) return current.memo.get(key) as T;
  const value = create();
  current.memo.set(key, value);
  return value;
}

/**
 * After a write: what the current request loaded before it (its per-request values, batched
 * lookups) may be stale, so it is loaded again when next needed. A mutation with several fields
 * thus answers each field from the data as it is after that field's write.
 */
export function forgetRequestValues(): void {
  scope.getStore()?.memo?.clear();
}

/** Runs `work` outside any request (background work started by a request must not share it). */
export function outsideRequest<T>(work: () => T): T {
  return scope.exit(work);
}

/** From now on, reads of the current request (or of `work`) go to the primary. */
export function readFromPrimary(): void {
  const current = scope.getStore();
  if (current) current.primary = true;
}

/** Runs `work` with every read on the primary (command-line tools, start-up work, caches). */
export function onPrimary<T>(work: () => T): T {
  return scope.run({ ...scope.getStore(), primary: true }, work);
}

/** Makes `dataSource` honour the read scope; harmless without replicas. */
export function routeReads(dataSource: DataSource): void {
  const replicaDefault = dataSource.defaultReplicationModeForReads.bind(dataSource);
  dataSource.defaultReplicationModeForReads = () =>
    scope.getStore()?.primary ? "master" : replicaDefault();
}
