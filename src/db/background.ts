/**
 * Work the service does on its own rather than for a request (numbering the change feed,
 * pruning), marked as such: its SQL statements are logged like any, but not reported to the
 * `onQuery` hook, by which tests count the statements of requests.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const jobs = new AsyncLocalStorage<string>();

/** Runs `work` as the background job `name` (what it awaits, too). */
export function asBackgroundJob<T>(name: string, work: () => T): T {
  return jobs.run(name, work);
}

/** The background job running now, if any. */
export function currentBackgroundJob(): string | undefined {
  return jobs.getStore();
}
