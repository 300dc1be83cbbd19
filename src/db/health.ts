import type { DataSource } from "typeorm";

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Ready when the database answers (within 2 s) and no migration is pending. */
export async function readiness(
  dataSource: DataSource,
): Promise<{ ready: boolean; reason?: string }> {
  try {
    await withTimeout(dataSource.query("SELECT 1"), 2000);
    if (await withTimeout(dataSource.showMigrations(), 2000)) {
      return { ready: false, reason: "migrations pending" };
    }
    return { ready: true };
  } catch {
    return { ready: false, reason: "database unreachable" };
  }
}
