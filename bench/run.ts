/**
 * `npm run bench`: the service against its baselines, all on loopback, bounded in time.
 *
 *   (a)  bare node:http returning the service's pre-serialised response body
 *   (b)  bare @apollo/server, hand-written schema, the same statuses from a constant
 *   (b') the same with @apollo/server-plugin-response-cache
 *   (c)  the service: callStatuses(filter: {visibleTo: AI_AGENT}) with lead statuses, cache on
 *   (d)  the same with the cache off (STATUS_CACHE_ENABLED=false), on SQLite and on MariaDB
 *   (e)  recordCallResult on MariaDB
 *   (f)  a raw mysql2 script running the same SQL, behind bare node:http
 *   (g)  recordCallResult as (e), on a three-node Galera cluster through HAProxy
 *        (scripts/galera.sh; started and stopped here when not up); (g') without causal reads
 *
 * c and d run at each size of BENCH_SIZES (default 10, 100, 1000 call statuses) on SQLite and at
 * 100 on MariaDB; then the RSS of the service before and after a sustained run of c. Every server
 * runs in its own child process; this process runs autocannon. Settings: see bench/README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { killAllChildrenNow, startBenchServer, type Child } from "./lib/children";
import {
  createApiKey,
  createLeads,
  OUTCOMES_BODY,
  recordBody,
  seedStatuses,
  type RecordInput,
} from "./lib/fixtures";
import { jsonHeaders, post } from "./lib/graphql";
import { runLoad, type LoadResult, type LoadSpec } from "./lib/load";
import {
  cpuSeconds,
  findDatabaseServerPid,
  machineBusySeconds,
  machineInfo,
  rssMiB,
  runnerCpuSeconds,
} from "./lib/machine";
import { createDatabase, dropDatabase, parseServer, serverVersion } from "./lib/mysql";
import { MAIN_SIZE, readOptions, REPO_ROOT, type BenchOptions } from "./lib/options";
import {
  out,
  printReport,
  problems,
  writeReport,
  type BenchReport,
  type Check,
  type Ratio,
  type RssResult,
  type ScenarioResult,
} from "./lib/report";
import { createAdminKey, startService, type RunningService } from "./lib/service";
import { clusterNodePids, ensureCluster, HAPROXY_PORT, missingClusterTools } from "./lib/cluster";

const cleanups: Array<() => Promise<void>> = [];

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    await Promise.race([
      cleanup().catch((error: unknown) => out(`cleanup failed: ${String(error)}`)),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  }
}

let aborting = false;

function abort(why: string, code: number): void {
  if (aborting) return;
  aborting = true;
  out(`\nAborting: ${why}`);
  killAllChildrenNow();
  const hardExit = setTimeout(() => process.exit(code), 15_000);
  hardExit.unref();
  void runCleanups().finally(() => process.exit(code));
}

function progress(line: string): void {
  out(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Bench {
  readonly scenarios: ScenarioResult[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  /** Response bodies of the measured read, by `db/size/cache`. */
  readonly bodies = new Map<string, string>();
  rss: RssResult | null = null;
  private readonly dbPid: number | null;
  private writeCounter = 0;
  private readonly runId = `${process.pid}-${Date.now().toString(36)}`;

  constructor(readonly options: BenchOptions) {
    this.dbPid = findDatabaseServerPid();
  }

  check(name: string, ok: boolean, detail: string): void {
    this.checks.push({ name, ok, detail });
    if (!ok) progress(`CHECK FAILED: ${name}: ${detail}`);
  }

  /** Warm-up (discarded), then the measured window, with CPU use of the processes involved. */
  async measure(
    spec: Omit<LoadSpec, "connections">,
    meta: Omit<ScenarioResult, "load" | "cpu">,
    server: Child,
    database: boolean | number[],
  ): Promise<ScenarioResult> {
    const full = { ...spec, connections: this.options.connections };
    if (this.options.warmupSeconds > 0) await runLoad(full, this.options.warmupSeconds);
    // The database's CPU: the MariaDB server's, or the given processes' (the cluster's nodes).
    const dbPids = Array.isArray(database) ? database : this.dbPid && database ? [this.dbPid] : [];
    const dbCpu = () => dbPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const before = {
      server: cpuSeconds(server.pid),
      db: dbPids.length > 0 ? dbCpu() : NaN,
      runner: runnerCpuSeconds(),
      machine: machineBusySeconds(),
      at: process.hrtime.bigint(),
    };
    const load = await runLoad(full, this.options.durationSeconds);
    const wall = Number(process.hrtime.bigint() - before.at) / 1e9;
    const pct = (now: number, then: number) => Math.round(((now - then) / wall) * 1000) / 10;
    const cpu = {
      server: pct(cpuSeconds(server.pid), before.server),
      database: dbPids.length > 0 ? pct(dbCpu(), before.db) : null,
      runner: pct(runnerCpuSeconds(), before.runner),
    };
    const busy = pct(machineBusySeconds(), before.machine);
    const other = Math.max(
      0,
      Math.round((busy - cpu.server - (cpu.database ?? 0) - cpu.runner) * 10) / 10,
    );
    const result: ScenarioResult = { ...meta, load, cpu: { ...cpu, other } };
    this.scenarios.push(result);
    progress(
      `${meta.kind.padEnd(2)} ${meta.label.padEnd(44)} ${String(load.rps).padStart(9)} req/s  ` +
        `p50 ${load.latencyMs.p50.toFixed(2)} ms  p99 ${load.latencyMs.p99.toFixed(2)} ms  ` +
        `err/non2xx/bad ${problems(load)}  other cpu ${other}%`,
    );
    for (const sample of load.badSamples) progress(`   bad body: ${sample}`);
    return result;
  }

  /** One request before load: HTTP 200, data, no errors, the expected number of statuses. */
  async verifyRead(
    url: string,
    apiKey: string | undefined,
    items: number,
    what: string,
  ): Promise<{ body: string; headers: Headers }> {
    const reply = await post(url, OUTCOMES_BODY, jsonHeaders(apiKey));
    let parsed: { data?: { callStatuses?: unknown[] } | null; errors?: unknown[] } = {};
    try {
      parsed = JSON.parse(reply.text) as typeof parsed;
    } catch {
      // reported below
    }
    const got = parsed.data?.callStatuses?.length;
    if (reply.status !== 200 || parsed.errors || got !== items) {
      throw new Error(
        `${what}: the measured query did not answer as expected (HTTP ${reply.status}, ` +
          `${got ?? "no"} statuses, expected ${items}): ${reply.text.slice(0, 400)}`,
      );
    }
    return { body: reply.text, headers: reply.headers };
  }

  readSpec(
    url: string,
    apiKey: string | undefined,
    expected: string,
  ): Omit<LoadSpec, "connections"> {
    // autocannon decodes each TCP chunk of a body to a string on its own, so a multi-byte
    // character split between two chunks arrives as U+FFFD: such a body is compared without its
    // non-ASCII characters (slow path, only for bodies that are not byte-identical).
    const ascii = (text: string) => text.replace(/[^\u0020-\u007e]/g, "");
    let expectedAscii: string | undefined;
    return {
      url,
      headers: jsonHeaders(apiKey),
      body: OUTCOMES_BODY,
      expected,
      verifyBody: (body) =>
        body === expected ||
        (body.includes("\uFFFD") && ascii(body) === (expectedAscii ??= ascii(expected))),
    };
  }

  /** The next recordCallResult input: leads in turn; each visit moves the lead to the other status. */
  nextRecord(leads: string[], prefix: string): RecordInput {
    const k = this.writeCounter;
    this.writeCounter += 1;
    return {
      leadId: leads[k % leads.length],
      callStatusCode: Math.floor(k / leads.length) % 2 === 0 ? "qualified" : "disqualified",
      comment: "Bench call result",
      idempotencyKey: `${prefix}-${this.runId}-${k}`,
    };
  }

  /**
   * c and d for one database and size: seeds a fresh database through the API, measures d
   * (cache off), restarts the service with the cache on and measures c. `after` runs extra work
   * on the cache-on service (RSS, recordCallResult).
   */
  async serviceRuns(
    db: "sqlite" | "mariadb",
    databaseUrl: string,
    size: number,
    after?: (
      service: RunningService,
      keys: { admin: string; ai: string },
      items: number,
    ) => Promise<void>,
  ): Promise<void> {
    const adminKey = await createAdminKey(databaseUrl);
    let items = 0;
    let aiKey = "";
    let dBody = "";
    const off = await startService(`service ${db} ${size} cache off`, databaseUrl, false);
    try {
      const seeded = Date.now();
      items = await seedStatuses(off.url, adminKey, size);
      aiKey = await createApiKey(off.url, adminKey, "AI_AGENT");
      progress(
        `seeded ${size} call statuses on ${db} in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
      );
      dBody = (await this.verifyRead(off.url, aiKey, items, `d ${db} ${size}`)).body;
      this.bodies.set(`${db}/${size}/off`, dBody);
      await this.measure(
        this.readSpec(off.url, aiKey, dBody),
        { kind: "d", label: `service, cache off, ${size} statuses`, db, statuses: size, items },
        off.child,
        db === "mariadb",
      );
    } finally {
      await off.stop();
    }

    const on = await startService(`service ${db} ${size} cache on`, databaseUrl, true);
    try {
      const cBody = (await this.verifyRead(on.url, aiKey, items, `c ${db} ${size}`)).body;
      this.bodies.set(`${db}/${size}/on`, cBody);
      this.check(
        `c = d response (${db}, ${size})`,
        cBody === dBody,
        cBody === dBody
          ? `identical ${Buffer.byteLength(cBody)} bytes`
          : `bodies differ (${Buffer.byteLength(cBody)} vs ${Buffer.byteLength(dBody)} bytes)`,
      );
      await this.measure(
        this.readSpec(on.url, aiKey, cBody),
        { kind: "c", label: `service, cache on, ${size} statuses`, db, statuses: size, items },
        on.child,
        db === "mariadb",
      );
      if (after) await after(on, { admin: adminKey, ai: aiKey }, items);
    } finally {
      await on.stop();
    }
  }

  /** RSS of the cache-on service before, during and after a sustained run of c. */
  async sustained(service: RunningService, aiKey: string, items: number): Promise<void> {
    const body = (await this.verifyRead(service.url, aiKey, items, "sustained c")).body;
    const pid = service.child.pid;
    const beforeMiB = rssMiB(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid)), 1000);
    let load: LoadResult;
    try {
      load = await runLoad(
        { ...this.readSpec(service.url, aiKey, body), connections: this.options.connections },
        this.options.sustainedSeconds,
      );
    } finally {
      clearInterval(sampler);
    }
    const afterMiB = rssMiB(pid);
    // Growth under load: the floor of the RSS (its lowest sample, right after a garbage
    // collection) in the run's second half against its first half. Under load the RSS climbs in
    // a sawtooth and drops at each major collection: a leak raises the floor; one sample, or
    // idle-before vs after, lands anywhere on the teeth.
    const measured = samples.filter(Number.isFinite);
    const half = Math.floor(measured.length / 2);
    const early = Math.min(...measured.slice(0, half));
    const late = Math.min(...measured.slice(half));
    const growthPct =
      measured.length >= 4
        ? Math.round(((late - early) / early) * 1000) / 10
        : Math.round(((afterMiB - beforeMiB) / beforeMiB) * 1000) / 10;
    this.rss = {
      scenario: `c, sqlite, ${MAIN_SIZE} statuses`,
      seconds: this.options.sustainedSeconds,
      beforeMiB,
      afterMiB,
      peakMiB: Math.max(beforeMiB, afterMiB, ...samples.filter(Number.isFinite)),
      growthPct,
      samplesMiB: samples,
      load,
    };
    progress(
      `RSS over ${this.options.sustainedSeconds} s of c at ${load.rps} req/s: ` +
        `${beforeMiB} MiB → ${afterMiB} MiB (${growthPct >= 0 ? "+" : ""}${growthPct} %), ` +
        `err/non2xx/bad ${problems(load)}`,
    );
  }

  /** (a), (b), (b') from the service's own response for 100 statuses on SQLite. */
  async baselines(tmp: string, items: number): Promise<void> {
    const reference = this.bodies.get(`sqlite/${MAIN_SIZE}/on`)!;
    const bodyFile = path.join(tmp, "reference-body.json");
    const dataFile = path.join(tmp, "reference-data.json");
    fs.writeFileSync(bodyFile, reference);
    const parsed = JSON.parse(reference) as { data: { callStatuses: unknown[] } };
    fs.writeFileSync(dataFile, JSON.stringify(parsed.data.callStatuses));

    const bare = await startBenchServer("bare node:http", "bare-http.js", {
      BENCH_BODY_FILE: bodyFile,
    });
    try {
      const { body } = await this.verifyRead(bare.url, undefined, items, "a");
      this.check(
        "a returns the service's bytes",
        body === reference,
        `${Buffer.byteLength(body)} bytes`,
      );
      await this.measure(
        this.readSpec(bare.url, undefined, reference),
        {
          kind: "a",
          label: "bare node:http, pre-serialised body",
          db: "-",
          statuses: MAIN_SIZE,
          items,
        },
        bare.child,
        false,
      );
    } finally {
      await bare.child.stop();
    }

    for (const cached of [false, true]) {
      const kind = cached ? "b'" : "b";
      const server = await startBenchServer(`apollo ${kind}`, "apollo-baseline.js", {
        BENCH_DATA_FILE: dataFile,
        BENCH_RESPONSE_CACHE: cached ? "1" : "0",
      });
      try {
        const first = await this.verifyRead(server.url, undefined, items, kind);
        this.check(
          `${kind} returns the service's bytes`,
          first.body === reference,
          first.body === reference
            ? `identical ${Buffer.byteLength(first.body)} bytes`
            : `differs: ${Buffer.byteLength(first.body)} vs ${Buffer.byteLength(reference)} bytes`,
        );
        if (cached) {
          const second = await this.verifyRead(server.url, undefined, items, kind);
          const age = second.headers.get("age");
          this.check(
            "b' answers repeats from the response cache",
            age !== null,
            age !== null ? `"age: ${age}" on the second request` : "no age header on a repeat",
          );
        }
        const callsBefore = Number((await server.child.ask("stats")).resolverCalls);
        const result = await this.measure(
          this.readSpec(server.url, undefined, first.body),
          {
            kind,
            label: cached
              ? "@apollo/server + response-cache plugin"
              : "@apollo/server, SDL schema, constant",
            db: "-",
            statuses: MAIN_SIZE,
            items,
          },
          server.child,
          false,
        );
        const calls = Number((await server.child.ask("stats")).resolverCalls) - callsBefore;
        const load = result.load.requests;
        if (cached) {
          this.check(
            "b' resolver runs during warm-up + measured load",
            calls <= 2,
            `${calls} resolver call(s) for ${load}+ requests (cache hits)`,
          );
        } else {
          this.check(
            "b resolver runs once per request",
            calls >= load,
            `${calls} resolver calls for ${load} measured requests (+ warm-up)`,
          );
        }
      } finally {
        await server.child.stop();
      }
    }
  }

  /** (e) recordCallResult through the service, on its cache-on MariaDB instance. */
  async recordThroughService(
    service: RunningService,
    systemKey: string,
    leads: string[],
  ): Promise<string> {
    const probe = await this.probeRecord("e", service.url, systemKey, leads);
    await this.measure(
      this.writeSpec(service.url, systemKey, leads, "e"),
      { kind: "e", label: "service recordCallResult", db: "mariadb", statuses: null, items: null },
      service.child,
      true,
    );
    return probe.text;
  }

  /** One recordCallResult before the load, which must succeed; returns its response. */
  async probeRecord(
    kind: "e" | "f",
    url: string,
    apiKey: string | undefined,
    leads: string[],
  ): Promise<{ status: number; text: string }> {
    const probe = await post(
      url,
      recordBody(this.nextRecord(leads, `probe-${kind}`)),
      jsonHeaders(apiKey),
    );
    const ok =
      probe.status === 200 &&
      /"recordCallResult":\{"leadStatusChanged":/.test(probe.text) &&
      !probe.text.includes('"errors"');
    if (!ok)
      throw new Error(
        `${kind}: recordCallResult failed before load: HTTP ${probe.status} ${probe.text.slice(0, 400)}`,
      );
    return probe;
  }

  writeSpec(
    url: string,
    apiKey: string | undefined,
    leads: string[],
    prefix: string,
  ): Omit<LoadSpec, "connections"> {
    return {
      url,
      headers: jsonHeaders(apiKey),
      nextBody: () => recordBody(this.nextRecord(leads, prefix)),
      verifyBody: (body) =>
        body.startsWith('{"data":{"recordCallResult":{"leadStatusChanged":') &&
        !body.includes('"errors"'),
    };
  }

  /** (f) the raw mysql2 equivalent, on the same database. */
  async recordRaw(databaseUrl: string, leads: string[], serviceReply: string): Promise<void> {
    const raw = await startBenchServer("raw mysql2", "raw-mysql.js", {
      BENCH_MYSQL_DATABASE_URL: databaseUrl,
    });
    try {
      const probe = await this.probeRecord("f", raw.url, undefined, leads);
      this.check(
        "f answers in the shape of e",
        shapeOf(probe.text) === shapeOf(serviceReply),
        `${probe.text.slice(0, 160)}…`,
      );
      await this.measure(
        this.writeSpec(raw.url, undefined, leads, "f"),
        {
          kind: "f",
          label: "raw mysql2 transaction behind node:http",
          db: "mariadb",
          statuses: null,
          items: null,
        },
        raw.child,
        true,
      );
    } finally {
      await raw.child.stop();
    }
  }
}

/**
 * (g) and (g'): recordCallResult as in (e), through one instance whose database is the Galera
 * cluster behind HAProxy (connections spread over the three nodes), with causal reads (the
 * default) and without.
 */
async function recordOnCluster(bench: Bench, options: BenchOptions): Promise<void> {
  const cluster = await ensureCluster();
  if (cluster.started) cleanups.push(cluster.stop);
  progress(
    cluster.started ? "started the Galera cluster (scripts/galera.sh)" : "Galera cluster up",
  );
  const server = parseServer(`mysql://root@127.0.0.1:${HAPROXY_PORT}`);
  const name = await createDatabase(server);
  cleanups.push(() => dropDatabase(server, name));
  const databaseUrl = `${server.base}/${name}`;
  const adminKey = await createAdminKey(databaseUrl);
  let leads: string[] = [];
  let systemKey = "";
  for (const causal of [true, false]) {
    const kind = causal ? "g" : "g'";
    const service = await startService(`service cluster ${kind}`, databaseUrl, true, {
      DATABASE_CAUSAL_READS: String(causal),
    });
    try {
      if (leads.length === 0) {
        systemKey = await createApiKey(service.url, adminKey, "SYSTEM");
        leads = await createLeads(service.url, systemKey, options.leads);
      }
      await bench.probeRecord("e", service.url, systemKey, leads);
      await bench.measure(
        bench.writeSpec(service.url, systemKey, leads, kind),
        {
          kind,
          label: causal
            ? "service recordCallResult, HAProxy + 3 nodes"
            : "(g) with DATABASE_CAUSAL_READS=false",
          db: "galera",
          statuses: null,
          items: null,
        },
        service.child,
        clusterNodePids(),
      );
    } finally {
      await service.stop();
    }
  }
  if (cluster.started) {
    cleanups.splice(cleanups.indexOf(cluster.stop), 1);
    await cluster.stop();
  }
}

/** The structure of a JSON text: keys and value types, not values. */
function shapeOf(text: string): string {
  const shape = (value: unknown): unknown =>
    value === null
      ? "null"
      : Array.isArray(value)
        ? value.map(shape)
        : typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
          : typeof value;
  return JSON.stringify(shape(JSON.parse(text)));
}

function find(
  scenarios: ScenarioResult[],
  kind: string,
  db: string,
  size?: number,
): ScenarioResult | undefined {
  return scenarios.find(
    (s) => s.kind === kind && s.db === db && (size === undefined || s.statuses === size),
  );
}

function ratio(
  name: string,
  top: ScenarioResult | undefined,
  bottom: ScenarioResult | undefined,
  min: number,
): Ratio {
  if (!top || !bottom)
    return { name, value: null, target: `≥ ${min}`, pass: null, detail: "not measured" };
  const value = top.load.rps / bottom.load.rps;
  return {
    name,
    value: Math.round(value * 100) / 100,
    target: `≥ ${min}`,
    pass: value >= min,
    detail: `${Math.round(top.load.rps)} / ${Math.round(bottom.load.rps)} req/s`,
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const startedAt = new Date();
  const timer = setTimeout(
    () => abort(`the run took longer than BENCH_TIMEOUT=${options.timeoutSeconds} s`, 1),
    options.timeoutSeconds * 1000,
  );
  timer.unref();
  process.on("SIGINT", () => abort("interrupted (SIGINT)", 130));
  process.on("SIGTERM", () => abort("terminated (SIGTERM)", 143));

  const server = parseServer(options.mysqlUrl);
  const mariadb = options.skipMysql ? null : await serverVersion(server);
  const machine = machineInfo(mariadb);
  const bench = new Bench(options);
  out(
    `Benchmark: ${options.connections} connections, ${options.warmupSeconds} s warm-up + ` +
      `${options.durationSeconds} s per scenario, sizes ${options.sizes.join("/")}, sustained ` +
      `${options.sustainedSeconds} s${options.quick ? " (--quick)" : ""}`,
  );
  out(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; node ${machine.node}; ` +
      `MariaDB ${mariadb ?? "not reachable — its scenarios are skipped"}`,
  );
  if (machine.loadAverageAtStart > 0.5) {
    out(
      `WARNING: the machine is not idle (load average ${machine.loadAverageAtStart}); other ` +
        "processes share the CPUs with the benchmark (see the other cpu% column)",
    );
  }
  if (!machine.serviceReadsCacheSwitch) {
    bench.notes.push(
      "the compiled service does not read STATUS_CACHE_ENABLED yet: c (cache on) and d (cache off) ran the same code",
    );
    out(`NOTE: ${bench.notes[bench.notes.length - 1]}`);
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cls-bench-"));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));

  // c and d on SQLite at every size; RSS on the main size.
  let mainItems = 0;
  for (const size of options.sizes) {
    const file = path.join(tmp, `statuses-${size}.db`);
    await bench.serviceRuns("sqlite", `sqlite:${file}`, size, async (service, keys, items) => {
      if (size !== MAIN_SIZE) return;
      mainItems = items;
      await bench.sustained(service, keys.ai, items);
    });
  }

  // a, b, b' from the service's own answer.
  await bench.baselines(tmp, mainItems);

  // MariaDB: c and d at 100, then e and f on the same database.
  if (mariadb) {
    const name = await createDatabase(server);
    cleanups.push(() => dropDatabase(server, name));
    const databaseUrl = `${server.base}/${name}`;
    let leads: string[] = [];
    let serviceReply = "";
    await bench.serviceRuns("mariadb", databaseUrl, MAIN_SIZE, async (service, keys) => {
      const systemKey = await createApiKey(service.url, keys.admin, "SYSTEM");
      leads = await createLeads(service.url, systemKey, options.leads);
      serviceReply = await bench.recordThroughService(service, systemKey, leads);
    });
    await sleep(500);
    await bench.recordRaw(databaseUrl, leads, serviceReply);
  } else {
    bench.notes.push(
      "MariaDB was not reachable (or BENCH_SKIP_MYSQL=1): d, c, e, f on MariaDB were not measured",
    );
  }

  // The cluster: (g) and (g') after everything else, so that its idle nodes share no other run.
  const missing = missingClusterTools();
  if (options.skipCluster || missing.length > 0) {
    bench.notes.push(
      options.skipCluster
        ? "BENCH_SKIP_CLUSTER=1: g and g' (Galera cluster) were not measured"
        : `g and g' (Galera cluster) were not measured: missing ${missing.join(", ")} (apt-get install -y mariadb-backup socat haproxy)`,
    );
  } else {
    await recordOnCluster(bench, options);
  }

  // Everything measured: the report.
  const s = bench.scenarios;
  const c = find(s, "c", "sqlite", MAIN_SIZE);
  const ratios: Ratio[] = [
    ratio("c/b", c, find(s, "b", "-"), 8),
    ratio("c/b'", c, find(s, "b'", "-"), 2),
    ratio("c/a", c, find(s, "a", "-"), 0.55),
    c
      ? {
          name: `p99 of c (${options.connections} conn)`,
          value: c.load.latencyMs.p99,
          target: "≤ 5 ms",
          pass: c.load.latencyMs.p99 <= 5,
          detail: `p50 ${c.load.latencyMs.p50} ms`,
        }
      : { name: "p99 of c", value: null, target: "≤ 5 ms", pass: null, detail: "not measured" },
    ratio("d/b (SQLite)", find(s, "d", "sqlite", MAIN_SIZE), find(s, "b", "-"), 0.8),
    ratio("d/b (MariaDB)", find(s, "d", "mariadb", MAIN_SIZE), find(s, "b", "-"), 0.8),
    ratio("e/f (MariaDB)", find(s, "e", "mariadb"), find(s, "f", "mariadb"), 0.6),
    bench.rss
      ? {
          name: "RSS growth under sustained c",
          value: bench.rss.growthPct,
          target: "flat (≤ +10 %)",
          pass: bench.rss.growthPct <= 10,
          detail: `lowest RSS, 2nd vs 1st half of ${bench.rss.seconds} s (idle before ${bench.rss.beforeMiB} MiB)`,
        }
      : { name: "RSS growth", value: null, target: "flat", pass: null, detail: "not measured" },
  ];
  ratios.push(ratio("c/b (MariaDB c)", find(s, "c", "mariadb", MAIN_SIZE), find(s, "b", "-"), 5));
  // The cluster against the single server: what multi-primary costs a write (no target).
  for (const [name, top] of [
    ["g/e (cluster / one server)", find(s, "g", "galera")],
    ["g'/g (causal reads off / on)", find(s, "g'", "galera")],
  ] as const) {
    const bottom = name.startsWith("g/e") ? find(s, "e", "mariadb") : find(s, "g", "galera");
    const measured = ratio(name, top, bottom, 0);
    ratios.push({ ...measured, target: "-", pass: null });
  }
  const scale: BenchReport["scale"] = [];
  for (const db of ["sqlite", "mariadb"] as const) {
    for (const size of options.sizes) {
      const cs = find(s, "c", db, size);
      const ds = find(s, "d", db, size);
      if (!cs && !ds) continue;
      scale.push({
        db,
        statuses: size,
        items: (cs ?? ds)!.items,
        bytes: Buffer.byteLength(
          bench.bodies.get(`${db}/${size}/on`) ?? bench.bodies.get(`${db}/${size}/off`) ?? "",
        ),
        c: cs ? { rps: cs.load.rps, p99: cs.load.latencyMs.p99 } : null,
        d: ds ? { rps: ds.load.rps, p99: ds.load.latencyMs.p99 } : null,
      });
    }
  }
  const unclean = s.filter((x) => x.load.errors + x.load.non2xx + x.load.badBodies > 0);
  bench.check(
    "no errors, non-2xx or bad bodies under load",
    unclean.length === 0 &&
      (!bench.rss ||
        bench.rss.load.errors + bench.rss.load.non2xx + bench.rss.load.badBodies === 0),
    unclean.length === 0
      ? "all responses 2xx with the expected body"
      : unclean.map((x) => `${x.kind} ${x.db} ${x.statuses ?? ""}: ${problems(x.load)}`).join("; "),
  );

  const finishedAt = new Date();
  machine.loadAverageAtEnd = Math.round(os.loadavg()[0] * 100) / 100;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totalSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    options: { ...options, resultsDir: path.relative(REPO_ROOT, options.resultsDir) },
    machine,
    scenarios: s,
    scale,
    ratios,
    rss: bench.rss,
    checks: bench.checks,
    notes: bench.notes,
  };
  printReport(report);
  const file = writeReport(report, options.resultsDir);
  out(`Results written to ${path.relative(process.cwd(), file) || file}`);
}

main()
  .then(async () => {
    await runCleanups();
    killAllChildrenNow();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    out(
      `\nBenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    killAllChildrenNow();
    await runCleanups();
    process.exit(1);
  });
