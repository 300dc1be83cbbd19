/**
 * After the cluster suite: stops the instances, drops the database, and stops the cluster only if
 * the global setup started it. `CLS_KEEP_LOGS=1` keeps the instances' logs (the path is printed).
 */
import fs from "node:fs";
import { galera, queryOn, sleep } from "./cluster";

/** What the teardown needs, kept in this process (jest runs setup and teardown in one). */
export interface SetupRecord {
  startedCluster: boolean;
  database?: string;
  pids: number[];
  dir: string;
}

declare global {
  var clsClusterSetup: SetupRecord | undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopInstances(pids: number[]): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGTERM");
  for (let waited = 0; waited < 15_000 && pids.some(alive); waited += 100) await sleep(100);
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
}

export async function tearDown(record: SetupRecord): Promise<void> {
  await stopInstances(record.pids);
  if (record.database) {
    await queryOn("haproxy", `DROP DATABASE IF EXISTS \`${record.database}\``).catch(
      (error: Error) =>
        process.stdout.write(`[cluster] could not drop ${record.database}: ${error.message}\n`),
    );
  }
  if (record.startedCluster) {
    const stop = await galera(["stop"], 120_000);
    process.stdout.write(`[cluster] ${stop.output}\n`);
  }
  if (process.env.CLS_KEEP_LOGS === "1") {
    process.stdout.write(`[cluster] the instances' logs are in ${record.dir}\n`);
  } else {
    fs.rmSync(record.dir, { recursive: true, force: true });
  }
}

export default async function globalTeardown(): Promise<void> {
  const record = globalThis.clsClusterSetup;
  if (record) await tearDown(record);
}
