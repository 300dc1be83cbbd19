/**
 * The cluster suite's world: a three-node MariaDB Galera cluster behind HAProxy
 * (`scripts/galera.sh`), one database on it, and four instances of the built service
 * (`dist/src/main.js`, child processes) — one per node and one through HAProxy — started by the
 * global setup and described to the tests in a JSON file (`CLS_CLUSTER_STATE`).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const GALERA_SCRIPT = path.join(REPO_ROOT, "scripts", "galera.sh");
export const MAIN = path.join(REPO_ROOT, "dist", "src", "main.js");

/** HAProxy's port; the nodes listen on the next three (see scripts/galera.sh). */
export const HAPROXY_PORT = Number(process.env.GALERA_PORT ?? 3310);
export type NodeNumber = 1 | 2 | 3;
export const NODES: readonly NodeNumber[] = [1, 2, 3];
export const nodePort = (node: NodeNumber) => HAPROXY_PORT + node;

/** The instances: `node1`..`node3` each reach one node directly, `haproxy` goes through HAProxy. */
export type InstanceName = "node1" | "node2" | "node3" | "haproxy";
export const INSTANCES: readonly InstanceName[] = ["haproxy", "node1", "node2", "node3"];

export interface InstanceState {
  url: string;
  /** The database port it was given: a node's, or HAProxy's. */
  databasePort: number;
  pid: number;
  /** Its stdout and stderr (pino JSON lines). */
  log: string;
}

export interface ClusterState {
  database: string;
  /** The development ADMIN key the first instance created (account `default`). */
  adminKey: string;
  instances: Record<InstanceName, InstanceState>;
  /** Seconds the global setup took to start the cluster; 0 when it was already up. */
  clusterStartSeconds: number;
}

export const STATE_VARIABLE = "CLS_CLUSTER_STATE";

export function clusterState(): ClusterState {
  const file = process.env[STATE_VARIABLE];
  if (!file) throw new Error(`${STATE_VARIABLE} is not set: run through jest.cluster.config.js`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as ClusterState;
}

/** Runs `scripts/galera.sh ARGS`, bounded by `timeoutMs`. */
export function galera(
  args: string[],
  timeoutMs = 240_000,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      [GALERA_SCRIPT, ...args],
      { timeout: timeoutMs, env: process.env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

/**
 * A connection straight to one node (or to HAProxy), as root. Its reads are causal (they see
 * every write committed anywhere in the cluster before them), as the service's are.
 */
export async function connect(
  target: NodeNumber | "haproxy",
  database?: string,
): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: "127.0.0.1",
    port: target === "haproxy" ? HAPROXY_PORT : nodePort(target),
    user: "root",
    database,
    connectTimeout: 3000,
  });
  await connection.query("SET SESSION wsrep_sync_wait = 1");
  return connection;
}

/** One query on a fresh connection to `target`. */
export async function queryOn<T>(
  target: NodeNumber | "haproxy",
  sql: string,
  params: unknown[] = [],
  database?: string,
): Promise<T> {
  const connection = await connect(target, database);
  try {
    const [rows] = await connection.query(sql, params);
    return rows as T;
  } finally {
    await connection.end();
  }
}

/**
 * Conflicts the nodes resolved so far, summed over the nodes: certification failures (a
 * transaction refused at COMMIT) and brute-force aborts (a local transaction rolled back by a
 * conflicting write-set from another node). Each reached the service as a deadlock (1213).
 */
export async function conflictCounters(): Promise<number> {
  let total = 0;
  for (const node of NODES) {
    const rows = await queryOn<Array<{ Variable_name: string; Value: string }>>(
      node,
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')",
    );
    for (const row of rows) total += Number(row.Value);
  }
  return total;
}

export interface Answer<T = Record<string, unknown>> {
  /** "ok", an error's `extensions.code`, or "NO_ANSWER" when the HTTP request itself failed. */
  code: string;
  status: number;
  data?: T | null;
  ms: number;
  /** When the answer arrived (ms since the epoch). */
  at: number;
}

/** POSTs one GraphQL operation to an instance with `key`; never throws. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer<T>> {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as {
      data?: T | null;
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    const code = body.errors?.length
      ? String(body.errors[0].extensions?.code ?? "NO_CODE")
      : body.data
        ? "ok"
        : "NO_DATA";
    const at = Date.now();
    return { code, status: response.status, data: body.data, ms: at - started, at };
  } catch {
    const at = Date.now();
    return { code: "NO_ANSWER", status: 0, ms: at - started, at };
  }
}

/** Like `gql`, but throws unless the answer is data without errors. */
export async function ok<T = Record<string, unknown>>(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const answer = await gql<T>(url, key, query, variables);
  if (answer.code !== "ok" || !answer.data) {
    throw new Error(`expected data from ${url}, got ${answer.code} (HTTP ${answer.status})`);
  }
  return answer.data;
}

/** How many answers had each code. */
export function tally(answers: Array<{ code: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { code } of answers) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

/** The service's log lines (pino JSON) of one instance, parsed; other lines are skipped. */
export function logLines(instance: InstanceState): Array<Record<string, unknown>> {
  return fs
    .readFileSync(instance.log, "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Prints one line of figures, so that a run shows what it measured. */
export function report(what: string, figures: Record<string, unknown>): void {
  process.stdout.write(`\n[cluster] ${what}: ${JSON.stringify(figures)}\n`);
}

/** Waits until `check` holds (every `everyMs`), at most `timeoutMs`; returns the ms it took. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const GQL = {
  createLead: `mutation($input: CreateLeadInput!) { createLead(input: $input) { id version status { code } } }`,
  record: `mutation($input: RecordCallResultInput!) {
    recordCallResult(input: $input) { leadStatusChanged call { id } lead { id version status { code } } }
  }`,
  createCallStatus: `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id code version } }`,
  updateCallStatus: `mutation($id: ID!, $input: UpdateCallStatusInput!) {
    updateCallStatus(id: $id, input: $input) { id version title }
  }`,
};

export interface RecordResult {
  recordCallResult: {
    leadStatusChanged: boolean;
    call: { id: string };
    lead: { id: string; version: number; status: { code: string } };
  };
}
