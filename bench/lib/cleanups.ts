/**
 * What must be undone when the run ends — normally, on failure, on a signal or at BENCH_TIMEOUT:
 * databases to drop, a cluster to stop, the temp directory. Last registered, first run.
 */
import { out } from "./output";

const cleanups: Array<() => Promise<void>> = [];

export function addCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** Forgets a cleanup that was run already. */
export function removeCleanup(cleanup: () => Promise<void>): void {
  const index = cleanups.indexOf(cleanup);
  if (index >= 0) cleanups.splice(index, 1);
}

/** Runs every registered cleanup, each given at most 10 s. */
export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    await Promise.race([
      cleanup().catch((error: unknown) => out(`cleanup failed: ${String(error)}`)),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  }
}
