/**
 * The MariaDB server's state around a bulk load (the volume and search scenarios): the buffer
 * pool's size, the write-back of dirty pages, and the CPU the host took from this machine.
 */
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import mysql from "mysql2/promise";
import type { MysqlServer } from "./mysql";

function connect(server: MysqlServer): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
}

/** CPU time stolen from this machine by its host, in seconds so far (/proc/stat). */
export function stealSeconds(): number {
  try {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/);
    return Number(fields[8]) / 100;
  } catch {
    return NaN;
  }
}

/**
 * After a bulk load InnoDB writes its dirty pages back for minutes, on the same two cores as
 * the measurement. Flushes them at full speed (`innodb_max_dirty_pages_pct = 0` for the while)
 * and waits until few are left (at most `maxSeconds`): the look-ups are to measure a settled
 * server, as production's would be. The count is the whole server's: other clients' writes keep
 * it up. Answers the seconds it waited.
 */
export async function settle(
  server: MysqlServer,
  progress: (line: string) => void,
  label: string,
  maxSeconds = 300,
): Promise<number> {
  const connection = await connect(server);
  try {
    const [before] = await connection.query("SELECT @@innodb_max_dirty_pages_pct AS pct");
    const pct = Number((before as Array<{ pct: string }>)[0].pct);
    const started = performance.now();
    await connection.query("SET GLOBAL innodb_max_dirty_pages_pct = 0");
    try {
      for (;;) {
        const [rows] = await connection.query(
          "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'",
        );
        const dirty = Number((rows as Array<{ Value: string }>)[0]?.Value ?? 0);
        const waited = (performance.now() - started) / 1000;
        if (dirty < 1000 || waited > maxSeconds) {
          progress(
            `${label}: InnoDB settled in ${waited.toFixed(0)} s (${dirty} dirty pages left)`,
          );
          return Math.round(waited * 10) / 10;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      await connection.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${pct}`);
    }
  } finally {
    await connection.end();
  }
}

/** `innodb_buffer_pool_size` in MiB, after setting it to `mib` when given. */
export async function bufferPool(server: MysqlServer, mib?: number): Promise<number> {
  const connection = await connect(server);
  try {
    if (mib !== undefined) {
      await connection.query(`SET GLOBAL innodb_buffer_pool_size = ${mib * 1024 * 1024}`);
      // The resize runs in the background: wait until the server reports the new size.
      for (let i = 0; i < 120; i += 1) {
        const [rows] = await connection.query(
          "SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'",
        );
        const status = String((rows as Array<{ Value: string }>)[0]?.Value ?? "");
        if (status === "" || /completed/i.test(status)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const [rows] = await connection.query("SELECT @@innodb_buffer_pool_size AS size");
    return Math.round(Number((rows as Array<{ size: string }>)[0].size) / 1024 / 1024);
  } finally {
    await connection.end();
  }
}

/**
 * Raises the buffer pool to at least `mib` for a scenario (a production server holds its working
 * set in memory; MariaDB's default 128 MiB would make it a disk benchmark); `onAbort` gets the
 * restore should the run be cut short. Answers the sizes and the restore to call at the end.
 */
export async function raiseBufferPool(
  server: MysqlServer,
  mib: number,
  onAbort: (cleanup: () => Promise<void>) => void,
): Promise<{ before: number; during: number; restore: () => Promise<void> }> {
  const before = await bufferPool(server);
  const during = before < mib ? await bufferPool(server, mib) : before;
  const restore = async () => {
    if (during !== before) await bufferPool(server, before);
  };
  if (during !== before) onAbort(restore);
  return { before, during, restore };
}
