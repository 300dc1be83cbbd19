/**
 * Per-request batching of relation fields, so that a list costs a bounded number of statements
 * whatever its length. Each feature's loaders (`<feature>/*.loaders.ts`) are app-wide objects
 * whose DataLoaders live in the request's scope (see `perRequest`): a write of the request
 * forgets them, so a mutation's later fields never see what was loaded before its earlier
 * fields wrote.
 */
import DataLoader from "dataloader";
import { perRequest } from "../db/request-scope";

/** The loader named `name` of `owner` in the current request, made with `batch` on first use. */
export function requestLoader<K, V>(
  owner: object,
  name: string,
  batch: DataLoader.BatchLoadFn<K, V>,
): DataLoader<K, V> {
  const loaders = perRequest(owner, () => new Map<string, DataLoader<unknown, unknown>>());
  let loader = loaders.get(name) as DataLoader<K, V> | undefined;
  if (!loader) {
    loader = new DataLoader(batch);
    loaders.set(name, loader as DataLoader<unknown, unknown>);
  }
  return loader;
}

/** A batch function over rows found by id: each id's row, or null. */
export function byIds<T extends { id: number }>(find: (ids: readonly number[]) => Promise<T[]>) {
  return async (ids: readonly number[]): Promise<Array<T | null>> => {
    const byId = new Map((await find(ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  };
}
