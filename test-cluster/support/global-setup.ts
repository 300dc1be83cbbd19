/**
 * Before the cluster suite: the Galera cluster (started by `scripts/galera.sh start` unless it is
 * already up — then it is left running at the end), a fresh database on it, and four instances of
 * the built service. The first instance goes through HAProxy and applies the migrations there;
 * the other three start once the schema is in place, one per node. What the tests need is
 * written to a JSON file named by `CLS_CLUSTER_STATE`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  galera,
  HAPROXY_PORT,
  MAIN,
  nodePort,
  queryOn,
  STATE_VARIABLE,
  waitUntil,
  type ClusterState,
  type InstanceName,
  type InstanceState,
} from "./cluster";
import { tearDown, type SetupRecord } from "./global-teardown";

export const DATABASE_PREFIX = "cls_cluster_";
const KEY_PATTERN = /csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `node dist/src/main.js` against `databasePort`; resolves once it is ready. */
async function startInstance(
  record: SetupRecord,
  name: InstanceName,
  databasePort: number,
  database: string,
): Promise<InstanceState> {
  const port = await freePort();
  const log = path.join(record.dir, `${name}.log`);
  const out = fs.openSync(log, "a");
  const child = spawn(process.execPath, [MAIN], {
    cwd: record.dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      DATABASE_URL: `mariadb://root@127.0.0.1:${databasePort}/${database}`,
      // The key cache is what bounds how long a revocation takes to reach another instance.
      API_KEY_CACHE_SECONDS: "1",
      // Live changes travel between the instances through Redis, on channels of this run's own.
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_CHANNEL_PREFIX: `cls-cluster:${process.pid}:`,
      // Webhooks go to the suite's receiver on 127.0.0.1.
      WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: "true",
      // The suite can be run with other retry or read settings (the defaults otherwise).
      ...Object.fromEntries(
        ["DATABASE_TRANSACTION_ATTEMPTS", "DATABASE_CAUSAL_READS"].flatMap((name) =>
          process.env[name] ? [[name, process.env[name]]] : [],
        ),
      ),
    },
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`instance ${name} did not start`);
  record.pids.push(child.pid);
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitUntil(
    `instance ${name} to be ready (log: ${log})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`instance ${name} exited: ${log}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      return ready.status === 200;
    },
    60_000,
    200,
  );
  return { url, databasePort, pid: child.pid, log };
}

export default async function globalSetup(): Promise<void> {
  try {
    await setUp();
  } catch (error) {
    // Jest runs no global teardown when the setup fails: undo what was done here.
    const record = globalThis.clsClusterSetup;
    if (record) await tearDown(record);
    throw error;
  }
}

async function setUp(): Promise<void> {
  if (!fs.existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: build first (npm run test:cluster does)`);
  }
  const record: SetupRecord = {
    startedCluster: false,
    pids: [],
    dir: fs.mkdtempSync(path.join(os.tmpdir(), "cls-cluster-")),
  };
  globalThis.clsClusterSetup = record;

  let clusterStartSeconds = 0;
  const status = await galera(["status"], 30_000);
  if (status.code !== 0) {
    process.stdout.write("\n[cluster] starting a three-node Galera cluster (scripts/galera.sh)\n");
    const started = Date.now();
    const start = await galera(["start"]);
    if (start.code !== 0) throw new Error(`scripts/galera.sh start failed:\n${start.output}`);
    record.startedCluster = true;
    clusterStartSeconds = Math.round((Date.now() - started) / 100) / 10;
    process.stdout.write(`[cluster] ${start.output} (${clusterStartSeconds} s)\n`);
  }

  // Databases left behind by runs that died (their process is gone).
  const existing = await queryOn<Array<Record<string, string>>>(
    "haproxy",
    `SHOW DATABASES LIKE '${DATABASE_PREFIX.replace(/_/g, "\\_")}%'`,
  );
  for (const row of existing) {
    const name = Object.values(row)[0];
    const pid = Number(name.slice(DATABASE_PREFIX.length).split("_")[0]);
    if (Number.isInteger(pid) && !pidAlive(pid)) {
      await queryOn("haproxy", `DROP DATABASE \`${name}\``);
    }
  }
  const database = `${DATABASE_PREFIX}${process.pid}_${Date.now().toString(36)}`;
  await queryOn(
    "haproxy",
    `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  record.database = database;

  // The migrations run once, through HAProxy; then the instances on the nodes find none pending.
  const haproxy = await startInstance(record, "haproxy", HAPROXY_PORT, database);
  const adminKey = KEY_PATTERN.exec(fs.readFileSync(haproxy.log, "utf8"))?.[0];
  if (!adminKey) throw new Error(`the first instance printed no bootstrap key: ${haproxy.log}`);
  const [node1, node2, node3] = await Promise.all(
    ([1, 2, 3] as const).map((node) =>
      startInstance(record, `node${node}`, nodePort(node), database),
    ),
  );

  const state: ClusterState = {
    database,
    adminKey,
    instances: { haproxy, node1, node2, node3 },
    clusterStartSeconds,
  };
  const file = path.join(record.dir, "state.json");
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
  process.env[STATE_VARIABLE] = file;
}
