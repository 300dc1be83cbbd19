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
  /** Values loaded once per request (see `oncePerRequest`). */
  memo?: Map<object, unknown>;
}

const scope = new AsyncLocalStorage<ReadScope>();

/** Runs one request with its own read scope (replica reads until marked otherwise). */
export function withReadScope<T>(work: () => T): T {
  return scope.run({ primary: false }, work);
}

/**
 * `load()`, at most once per request for the same `key` (the same promise is shared); outside a
 * request, every call loads.
 */
export function oncePerRequest<T>(key: object, load: () => Promise<T>): Promise<T> {
  const current = scope.getStore();
  if (!current) return load();
  current.memo ??= new Map();
  let loaded = current.memo.get(key) as Promise<T> | undefined;
  if (!loaded) {
    loaded = load();
    current.memo.set(key, loaded);
  }
  return loaded;
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
