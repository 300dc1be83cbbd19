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
 * 100 on MariaDB; then the RSS of the service before and after a sustained run of c. Last, the
 * accounts scenario: 1000 accounts × 100 call statuses on SQLite, c's query round robin over
 * them with every account cached and with a cache that evicts, memory per cached account, the
 * cold read of an account and the SQL statements behind each. Every server runs in its own child
 * process; this process runs autocannon. Settings: see bench/README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  copyStatuses,
  createAccountKeys,
  createAccounts,
  sqlKind,
  withoutIdsAndTimes,
} from "./lib/accounts";
import { killAllChildrenNow, startBenchServer, type Child } from "./lib/children";
import {
  createApiKey,
  createLeads,
  CUSTOM_LEAD_STATUS_COUNT,
  OUTCOMES_BODY,
  recordBody,
  seedStatuses,
  SYSTEM_CALL_STATUSES,
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
import { summarizeLatency } from "./lib/latency";
import { MAIN_SIZE, readOptions, REPO_ROOT, type BenchOptions } from "./lib/options";
import { out, printReport, problems, writeReport } from "./lib/report";
import {
  VOLUME_MAX_GROWTH,
  VOLUME_TARGET_MS,
  type AccountsResult,
  type BenchReport,
  type Check,
  type MemorySample,
  type Ratio,
  type RssResult,
  type ScenarioResult,
  type StatementCount,
  type VolumeResult,
} from "./lib/results";
import {
  createAdminKey,
  createPlatformKey,
  startService,
  type RunningService,
} from "./lib/service";
import { clusterNodePids, ensureCluster, HAPROXY_PORT, missingClusterTools } from "./lib/cluster";
import { volumeScenario } from "./lib/volume";

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

/** STATUS_CACHE_REFRESH_MS of the services under test (the default: the runner's is not passed). */
const REFRESH_MS = 1000;

/**
 * STATUS_CACHE_REFRESH_MS of the accounts run in which every account stays confirmed current
 * between two of its requests (the per-account cache path alone).
 */
const LONG_REFRESH_MS = 60_000;

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

/**
 * A check of a response body against the one expected. autocannon decodes each TCP chunk of a
 * body to a string on its own, so a multi-byte character split between two chunks arrives as
 * U+FFFD: such a body is compared without its non-ASCII characters (slow path, only for bodies
 * that are not byte-identical).
 */
function sameBody(expected: string): (body: string) => boolean {
  const ascii = (text: string) => text.replace(/[^\u0020-\u007e]/g, "");
  let expectedAscii: string | undefined;
  return (body) =>
    body === expected ||
    (body.includes("\uFFFD") && ascii(body) === (expectedAscii ??= ascii(expected)));
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
async function inParallel<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        await work(item);
      }
    }),
  );
}

/**
 * Counts what a service started with LOG_LEVEL=trace logs: the SQL statements (one `"msg":"sql"`
 * line each), by purpose, and the requests (one `"msg":"request"` line each, written once the
 * response is sent), with those answered by a stored response (`"cache":"hit"`). Only on
 * instances that are not measured: the logging costs time.
 */
class StatementCounter {
  private requests = 0;
  private hits = 0;
  private total = 0;
  private byKind: Record<string, number> = {};
  private lastLineAt = Date.now();
  readonly stop: () => void;

  constructor(child: Child) {
    this.stop = child.onStdoutLine((line) => {
      this.lastLineAt = Date.now();
      if (line.includes('"msg":"request"')) {
        this.requests += 1;
        if (line.includes('"cache":"hit"')) this.hits += 1;
        return;
      }
      if (!line.includes('"msg":"sql"')) return;
      let sql = "";
      try {
        sql = String((JSON.parse(line) as { sql?: unknown }).sql ?? "");
      } catch {
        return;
      }
      this.total += 1;
      const kind = sqlKind(sql);
      this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    });
  }

  /**
   * Waits until nothing was logged for `quietMs` since the later of the last line and `from`,
   * and at least `requests` request lines have arrived (at most `maxMs`).
   */
  async quiet(quietMs: number, from = 0, requests = 0, maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (
      Date.now() < deadline &&
      (this.requests < requests || Date.now() - Math.max(this.lastLineAt, from) < quietMs)
    ) {
      await sleep(10);
    }
  }

  /**
   * What was logged during `work` (after which the log is let go quiet). `expectRequests`: how
   * many requests `work` makes, if known (their log lines come after their responses).
   */
  async during(
    phase: string,
    work: () => Promise<void>,
    { quietMs = 200, expectRequests = 0 } = {},
  ): Promise<StatementCount> {
    await this.quiet(quietMs);
    const before = { requests: this.requests, hits: this.hits, total: this.total };
    const byKind = { ...this.byKind };
    await work();
    await this.quiet(quietMs, Date.now(), before.requests + expectRequests);
    return {
      phase,
      requests: this.requests - before.requests,
      storedAnswers: this.hits - before.hits,
      total: this.total - before.total,
      byKind: Object.fromEntries(
        Object.entries(this.byKind)
          .map(([kind, n]) => [kind, n - (byKind[kind] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      ),
    };
  }
}

class Bench {
  readonly scenarios: ScenarioResult[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  /** Response bodies of the measured read, by `db/size/cache`. */
  readonly bodies = new Map<string, string>();
  rss: RssResult | null = null;
  accounts: AccountsResult | null = null;
  volume: VolumeResult | null = null;
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
    /** False: not a row of the main table (the accounts scenario keeps its own). */
    mainTable = true,
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
    if (mainTable) this.scenarios.push(result);
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
  ): Promise<{ body: string; headers: Headers; ms: number }> {
    const started = performance.now();
    const reply = await post(url, OUTCOMES_BODY, jsonHeaders(apiKey));
    const ms = performance.now() - started;
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
    return { body: reply.text, headers: reply.headers, ms };
  }

  readSpec(
    url: string,
    apiKey: string | undefined,
    expected: string,
  ): Omit<LoadSpec, "connections"> {
    return {
      url,
      headers: jsonHeaders(apiKey),
      body: OUTCOMES_BODY,
      expected,
      verifyBody: sameBody(expected),
    };
  }

  /**
   * The same read, each request with the next account's key in turn (round robin over all of
   * them), each response checked against that account's own expected body.
   */
  roundRobinSpec(url: string, keys: string[], expected: string[]): Omit<LoadSpec, "connections"> {
    const checks = expected.map((body) => sameBody(body));
    let next = 0;
    return {
      url,
      // The Accept header fetch sends (verifyRead, the warm-up passes): stored answers are kept
      // per Accept header, so the load finds the ones those passes left.
      headers: { ...jsonHeaders(), accept: "*/*" },
      body: OUTCOMES_BODY,
      verifyBody: () => false, // replaced by each request's own check
      perRequest: () => {
        const i = next;
        next = (next + 1) % keys.length;
        return { headers: { "x-api-key": keys[i] }, verify: checks[i], expected: expected[i] };
      },
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

  /** Memory of a service: VmRSS as it is, then the wrapper's figures after a forced GC. */
  async memory(child: Child): Promise<MemorySample> {
    const rss = rssMiB(child.pid);
    try {
      const m = await child.ask("memory", 30_000);
      return {
        rssMiB: rss,
        afterGc: m.collected
          ? {
              rssMiB: Number(m.rssMiB),
              heapUsedMiB: Number(m.heapUsedMiB),
              externalMiB: Number(m.externalMiB),
              arrayBuffersMiB: Number(m.arrayBuffersMiB),
            }
          : null,
      };
    } catch {
      return { rssMiB: rss, afterGc: null };
    }
  }

  /**
   * The accounts scenario on SQLite: seeding (accounts and keys through the API as the platform
   * operator; statuses through the API for a few accounts, copied with set-based SQL for the
   * rest), then c's query round robin over every account with a cache that holds them all and
   * with one that evicts, memory per cached account, cold vs warm first requests, and the SQL
   * statements behind each case (on separate LOG_LEVEL=trace instances).
   */
  async accountsScenario(tmp: string): Promise<void> {
    const opts = this.options.accounts!;
    const file = path.join(tmp, "accounts.db");
    const seeded = await this.seedAccounts(file);
    const runs: AccountsResult["runs"] = [];
    const all = await this.accountsAllCached(seeded, runs);
    await this.accountsLongRefresh(seeded, runs);
    all.memory.smallCache = await this.accountsEvicting(seeded, runs);
    const statements = await this.accountsStatements(seeded);
    const c = find(this.scenarios, "c", "sqlite", MAIN_SIZE);
    this.accounts = {
      accounts: opts.count,
      statusesPerAccount: MAIN_SIZE,
      items: seeded.items,
      bytes: Buffer.byteLength(seeded.expected[0]),
      seeding: seeded.seeding,
      runs,
      singleAccount: c
        ? {
            rps: c.load.rps,
            p50: c.load.latencyMs.p50,
            p99: c.load.latencyMs.p99,
            serverCpu: c.cpu.server,
          }
        : null,
      memory: all.memory,
      cold: all.cold,
      statements,
    };
  }

  /**
   * Accounts and keys through the API as the platform operator; statuses through the API for
   * the first few accounts (timed), copied with set-based SQL for the others.
   */
  private async seedAccounts(file: string): Promise<SeededAccounts> {
    const opts = this.options.accounts!;
    const count = opts.count;
    const databaseUrl = `sqlite:${file}`;
    const seedStarted = Date.now();
    const platformKey = await createPlatformKey(databaseUrl);
    let codes: string[] = [];
    let aiKeys: string[] = [];
    let items = 0;
    let accountsSeconds = 0;
    let keysSeconds = 0;
    let apiSeconds = 0;
    const seeder = await startService("service sqlite accounts seeding", databaseUrl, true);
    try {
      let started = Date.now();
      codes = await createAccounts(seeder.url, platformKey, count);
      accountsSeconds = seconds(started);
      started = Date.now();
      aiKeys = await createAccountKeys(seeder.url, platformKey, codes, "AI_AGENT");
      const adminKeys = await createAccountKeys(
        seeder.url,
        platformKey,
        codes.slice(0, opts.throughApi),
        "ADMIN",
      );
      keysSeconds = seconds(started);
      progress(
        `accounts: ${count} accounts in ${accountsSeconds} s, ${count + opts.throughApi} keys in ${keysSeconds} s (PLATFORM key, aliased batches)`,
      );
      started = Date.now();
      for (const adminKey of adminKeys) items = await seedStatuses(seeder.url, adminKey, MAIN_SIZE);
      apiSeconds = (Date.now() - started) / 1000;
    } finally {
      await seeder.stop();
    }
    const perAccount = MAIN_SIZE - SYSTEM_CALL_STATUSES + CUSTOM_LEAD_STATUS_COUNT;
    const apiStatuses = perAccount * opts.throughApi;
    const statusesPerSecond = apiStatuses / apiSeconds;
    const copied =
      opts.throughApi < count
        ? await copyStatuses(file, codes[0], codes.slice(opts.throughApi))
        : { accounts: 0, leadStatuses: 0, callStatuses: 0, seconds: 0 };
    const seeding: AccountsResult["seeding"] = {
      accountsSeconds,
      keysSeconds,
      api: {
        accounts: opts.throughApi,
        statuses: apiStatuses,
        seconds: Math.round(apiSeconds * 10) / 10,
        statusesPerSecond: Math.round(statusesPerSecond),
      },
      allThroughApiEstimateSeconds: Math.round((perAccount * count) / statusesPerSecond),
      sql: {
        accounts: copied.accounts,
        leadStatuses: copied.leadStatuses,
        callStatuses: copied.callStatuses,
        seconds: Math.round(copied.seconds * 10) / 10,
      },
      totalSeconds: seconds(seedStarted),
    };
    progress(
      `accounts: statuses of ${opts.throughApi} account(s) through the API in ${seeding.api.seconds} s ` +
        `(${seeding.api.statusesPerSecond}/s; all ${count} would take ~${seeding.allThroughApiEstimateSeconds} s); ` +
        `${copied.callStatuses} call statuses of ${copied.accounts} accounts copied with set-based SQL ` +
        `in ${seeding.sql.seconds} s; seeding ${seeding.totalSeconds} s in all`,
    );
    return {
      databaseUrl,
      codes,
      aiKeys,
      items,
      seeding,
      expected: new Array<string>(count),
      label: `round robin over ${count} accounts`,
    };
  }

  /**
   * Every account cached: memory before and after warming them all, the first requests of an
   * account one at a time, then round robin. Fills `seeded.expected` with each account's answer.
   */
  private async accountsAllCached(
    seeded: SeededAccounts,
    runs: AccountsResult["runs"],
  ): Promise<Pick<AccountsResult, "memory" | "cold">> {
    const opts = this.options.accounts!;
    const count = opts.count;
    const { databaseUrl, codes, aiKeys, items, expected } = seeded;
    const rr = seeded.label;
    const large = await startService(
      `service sqlite ${count} accounts cache ${opts.largeCache}`,
      databaseUrl,
      true,
      { STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache) },
    );
    let memory!: AccountsResult["memory"];
    let cold!: AccountsResult["cold"];
    let template = "";
    try {
      const first = await this.verifyRead(large.url, aiKeys[0], items, `accounts ${codes[0]}`);
      expected[0] = first.body;
      template = withoutIdsAndTimes(first.body);
      const account = async (i: number) => {
        const reply = await this.verifyRead(large.url, aiKeys[i], items, `accounts ${codes[i]}`);
        if (withoutIdsAndTimes(reply.body) !== template) {
          throw new Error(
            `accounts: ${codes[i]} does not answer the statuses ${codes[0]} does (ids and times aside)`,
          );
        }
        return reply;
      };
      // The code warm on one account, then memory with that one account cached.
      await runLoad(
        {
          ...this.readSpec(large.url, aiKeys[0], first.body),
          connections: this.options.connections,
        },
        Math.max(1, this.options.warmupSeconds),
      );
      const before = await this.memory(large.child);
      // One request at a time, for accounts nothing is cached for: the first request (key looked
      // up, lists loaded, query executed), the second right after it, the third; then, once the
      // lists' confirmation has expired (STATUS_CACHE_REFRESH_MS, 1 s by default), a fourth.
      const same = async (i: number) => {
        const reply = await this.verifyRead(large.url, aiKeys[i], items, `accounts ${codes[i]}`);
        if (reply.body !== expected[i]) throw new Error(`accounts: ${codes[i]} answered otherwise`);
        return reply.ms;
      };
      const probes = Array.from({ length: opts.coldProbes }, (_, i) => i + 1);
      const ms = { first: [] as number[], second: [] as number[], third: [] as number[] };
      const afterIdle: number[] = [];
      for (const i of probes) {
        const reply = await account(i);
        expected[i] = reply.body;
        ms.first.push(reply.ms);
        ms.second.push(await same(i));
        ms.third.push(await same(i));
      }
      await sleep(REFRESH_MS + 200);
      for (const i of probes) afterIdle.push(await same(i));
      cold = {
        probes: probes.length,
        firstMs: summarizeLatency(ms.first),
        secondMs: summarizeLatency(ms.second),
        thirdMs: summarizeLatency(ms.third),
        afterIdleMs: summarizeLatency(afterIdle),
      };
      // The others, 10 at a time, two requests each (as the probes: see the statements below).
      const warmStarted = Date.now();
      const rest = Array.from(
        { length: count - 1 - probes.length },
        (_, i) => i + 1 + probes.length,
      );
      await inParallel(rest, this.options.connections, async (i) => {
        expected[i] = (await account(i)).body;
        await same(i);
      });
      const warmAllSeconds = seconds(warmStarted);
      const after = await this.memory(large.child);
      const distinct = new Set(expected).size;
      this.check(
        "accounts: each account answers its own statuses",
        distinct === count,
        `${count} accounts: ${distinct} different answers, each with ${items} statuses, the same ` +
          `as ${codes[0]}'s but for ids and times`,
      );
      const perKiB = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? null : Math.round(((a - b) * 1024) / (count - 1));
      memory = {
        before,
        after,
        cachedAccounts: count,
        perAccountKiB: {
          rss: perKiB(after.rssMiB, before.rssMiB) ?? NaN,
          rssAfterGc: perKiB(after.afterGc?.rssMiB, before.afterGc?.rssMiB),
          heapUsed: perKiB(after.afterGc?.heapUsedMiB, before.afterGc?.heapUsedMiB),
          external: perKiB(after.afterGc?.arrayBuffersMiB, before.afterGc?.arrayBuffersMiB),
        },
        warmAllSeconds,
        afterLoadRssMiB: NaN,
        smallCache: null,
      };
      progress(
        `accounts: RSS ${before.rssMiB} → ${after.rssMiB} MiB warming ${count} accounts ` +
          `(heap used after GC ${before.afterGc?.heapUsedMiB ?? "?"} → ${after.afterGc?.heapUsedMiB ?? "?"} MiB, ` +
          `buffers ${before.afterGc?.arrayBuffersMiB ?? "?"} → ${after.afterGc?.arrayBuffersMiB ?? "?"} MiB); ` +
          `first request ${cold.firstMs.p50} ms (p50), second ${cold.secondMs.p50} ms, third ` +
          `${cold.thirdMs.p50} ms, after ${REFRESH_MS / 1000} s idle ${cold.afterIdleMs.p50} ms`,
      );
      const result = await this.measure(
        this.roundRobinSpec(large.url, aiKeys, expected),
        {
          kind: "acc",
          label: `${rr}, cache ${opts.largeCache}`,
          db: "sqlite",
          statuses: MAIN_SIZE,
          items,
        },
        large.child,
        false,
        false,
      );
      runs.push({ ...result, cacheMaxAccounts: opts.largeCache, refreshMs: REFRESH_MS });
      memory.afterLoadRssMiB = rssMiB(large.child.pid);
    } finally {
      await large.stop();
    }
    return { memory, cold };
  }

  /**
   * Every account cached and, with STATUS_CACHE_REFRESH_MS at LONG_REFRESH_MS, confirmed current
   * between two of its requests: what the per-account caches cost when every request is
   * answered from memory.
   */
  private async accountsLongRefresh(
    seeded: SeededAccounts,
    runs: AccountsResult["runs"],
  ): Promise<void> {
    const opts = this.options.accounts!;
    const service = await startService(
      `service sqlite ${opts.count} accounts cache ${opts.largeCache} refresh ${LONG_REFRESH_MS}`,
      seeded.databaseUrl,
      true,
      {
        STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache),
        STATUS_CACHE_REFRESH_MS: String(LONG_REFRESH_MS),
      },
    );
    try {
      // Two requests each: the second answer is the one stored (see the statements below).
      await this.everyAccountOnce(service.url, seeded);
      await this.everyAccountOnce(service.url, seeded);
      const result = await this.measure(
        this.roundRobinSpec(service.url, seeded.aiKeys, seeded.expected),
        {
          kind: "acc",
          label: `${seeded.label}, cache ${opts.largeCache}, refresh ${LONG_REFRESH_MS / 1000} s`,
          db: "sqlite",
          statuses: MAIN_SIZE,
          items: seeded.items,
        },
        service.child,
        false,
        false,
      );
      runs.push({ ...result, cacheMaxAccounts: opts.largeCache, refreshMs: LONG_REFRESH_MS });
    } finally {
      await service.stop();
    }
  }

  /** A cache smaller than the accounts in use: every request finds its account evicted. */
  private async accountsEvicting(
    seeded: SeededAccounts,
    runs: AccountsResult["runs"],
  ): Promise<MemorySample> {
    const opts = this.options.accounts!;
    const { databaseUrl, codes, aiKeys, items, expected } = seeded;
    const rr = seeded.label;
    const small = await startService(
      `service sqlite ${opts.count} accounts cache ${opts.smallCache}`,
      databaseUrl,
      true,
      { STATUS_CACHE_MAX_ACCOUNTS: String(opts.smallCache) },
    );
    try {
      const first = await this.verifyRead(small.url, aiKeys[0], items, `accounts ${codes[0]}`);
      this.check(
        "accounts: same answers with a small cache",
        first.body === expected[0],
        first.body === expected[0] ? `${codes[0]}: identical bytes` : `${codes[0]}: bodies differ`,
      );
      // Each key's first use (its last-use write, once a minute per key) before the load.
      await this.everyAccountOnce(small.url, seeded);
      const result = await this.measure(
        this.roundRobinSpec(small.url, aiKeys, expected),
        {
          kind: "acc",
          label: `${rr}, cache ${opts.smallCache}`,
          db: "sqlite",
          statuses: MAIN_SIZE,
          items,
        },
        small.child,
        false,
        false,
      );
      runs.push({ ...result, cacheMaxAccounts: opts.smallCache, refreshMs: REFRESH_MS });
      return await this.memory(small.child);
    } finally {
      await small.stop();
    }
  }

  /** One request for each account, 10 at a time, each answer checked. */
  private async everyAccountOnce(url: string, seeded: SeededAccounts): Promise<void> {
    const { codes, aiKeys, items, expected } = seeded;
    await inParallel(
      Array.from({ length: codes.length }, (_, i) => i),
      this.options.connections,
      async (i) => {
        const reply = await this.verifyRead(url, aiKeys[i], items, `accounts ${codes[i]}`);
        if (reply.body !== expected[i]) throw new Error(`accounts: ${codes[i]} answered otherwise`);
      },
    );
  }

  /** The SQL statements behind each case, on instances that log every statement. */
  private async accountsStatements(seeded: SeededAccounts): Promise<StatementCount[]> {
    const opts = this.options.accounts!;
    const count = opts.count;
    const { databaseUrl, codes, aiKeys, items, expected } = seeded;
    const rr = seeded.label;
    const statements: StatementCount[] = [];
    const window = this.options.quick ? 1 : 3;
    const countedLoad = async (
      counter: StatementCounter,
      phase: string,
      makeSpec: () => Omit<LoadSpec, "connections">,
    ) => {
      // One spec for the warm-up and the counted window: a round robin goes on where it was.
      const spec = { ...makeSpec(), connections: this.options.connections };
      await runLoad(spec, 1);
      statements.push(
        await counter.during(`${phase} (${window} s load)`, async () => {
          const load = await runLoad(spec, window);
          if (load.errors + load.non2xx + load.badBodies > 0) {
            throw new Error(`accounts, trace: ${phase}: ${problems(load)} under load`);
          }
        }),
      );
    };
    const traced = await startService(
      `service sqlite accounts trace cache ${opts.largeCache}`,
      databaseUrl,
      true,
      { LOG_LEVEL: "trace", STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache) },
    );
    try {
      const counter = new StatementCounter(traced.child);
      const sample = Array.from({ length: Math.min(10, count) }, (_, i) => i);
      const request = async (i: number) => {
        const reply = await this.verifyRead(traced.url, aiKeys[i], items, codes[i]);
        if (reply.body !== expected[i]) throw new Error(`accounts: ${codes[i]} differs`);
      };
      // The log is let go quiet for 100 ms around each: the 2nd and 3rd requests still come
      // within half of STATUS_CACHE_REFRESH_MS of the 1st (no background check yet).
      const once = (phase: string, i: number) =>
        counter.during(phase, () => request(i), { quietMs: 100, expectRequests: 1 });
      // As the probes above, one account after the other; the log is let go quiet in between.
      for (const i of sample) {
        statements.push(await once("1st request of an account", i));
        statements.push(await once("2nd request, right after", i));
        statements.push(await once("3rd request, right after", i));
      }
      await sleep(REFRESH_MS + 200);
      for (const i of sample) {
        statements.push(await once(`4th request, ${REFRESH_MS / 1000} s+ later`, i));
      }
      await inParallel(
        Array.from({ length: count }, (_, i) => i),
        this.options.connections,
        async (i) => {
          await request(i);
          await request(i);
        },
      );
      await countedLoad(counter, `one account (${codes[0]})`, () =>
        this.readSpec(traced.url, aiKeys[0], expected[0]),
      );
      await countedLoad(counter, `${rr}, cache ${opts.largeCache}`, () =>
        this.roundRobinSpec(traced.url, aiKeys, expected),
      );
      counter.stop();
    } finally {
      await traced.stop();
    }
    // Round robin on fresh traced instances: every account cached and confirmed for 60 s (two
    // requests each first, so that the answers are stored), and evicting.
    const tracedLoad = async (
      env: Record<string, string>,
      phase: string,
      requestsEach: number,
    ): Promise<void> => {
      const service = await startService(
        `service sqlite accounts trace ${phase}`,
        databaseUrl,
        true,
        { LOG_LEVEL: "trace", ...env },
      );
      try {
        const counter = new StatementCounter(service.child);
        for (let k = 0; k < requestsEach; k += 1) await this.everyAccountOnce(service.url, seeded);
        await countedLoad(counter, phase, () => this.roundRobinSpec(service.url, aiKeys, expected));
        counter.stop();
      } finally {
        await service.stop();
      }
    };
    await tracedLoad(
      {
        STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache),
        STATUS_CACHE_REFRESH_MS: String(LONG_REFRESH_MS),
      },
      `${rr}, cache ${opts.largeCache}, refresh ${LONG_REFRESH_MS / 1000} s`,
      2,
    );
    await tracedLoad(
      { STATUS_CACHE_MAX_ACCOUNTS: String(opts.smallCache) },
      `${rr}, cache ${opts.smallCache}`,
      1,
    );
    // Requests one at a time: one entry per request; merged per phase.
    const merged: StatementCount[] = [];
    for (const entry of statements) {
      const same = merged.find((m) => m.phase === entry.phase);
      if (!same) {
        merged.push({ ...entry, byKind: { ...entry.byKind } });
        continue;
      }
      same.requests += entry.requests;
      same.storedAnswers += entry.storedAnswers;
      same.total += entry.total;
      for (const [kind, n] of Object.entries(entry.byKind))
        same.byKind[kind] = (same.byKind[kind] ?? 0) + n;
    }
    for (const m of merged) {
      progress(
        `accounts, SQL: ${m.phase}: ${(m.total / Math.max(1, m.requests)).toFixed(3)} statements per request ` +
          `(${Object.entries(m.byKind)
            .map(([kind, n]) => `${kind} ${n}`)
            .join(", ")}; ${m.requests} requests)`,
      );
    }
    return merged;
  }
}

/** The accounts scenario's database, keys and expected answers. */
interface SeededAccounts {
  databaseUrl: string;
  codes: string[];
  /** One AI_AGENT key per account, in the order of `codes`. */
  aiKeys: string[];
  /** Statuses in each answer. */
  items: number;
  seeding: AccountsResult["seeding"];
  /** Each account's answer, byte for byte (filled by the run that caches every account). */
  expected: string[];
  label: string;
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

/** Everything but the accounts scenario. */
async function singleAccountScenarios(
  bench: Bench,
  options: BenchOptions,
  tmp: string,
  server: ReturnType<typeof parseServer>,
  mariadb: string | null,
): Promise<void> {
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

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cls-bench-"));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));

  const only = options.accountsOnly || options.volumeOnly;
  // One account: c and d on SQLite at every size, RSS, a, b, b', MariaDB, e and f.
  if (!only) await singleAccountScenarios(bench, options, tmp, server, mariadb);
  else if (options.accountsOnly) {
    bench.notes.push("BENCH_ACCOUNTS_ONLY=1: only the accounts scenario was run");
  } else bench.notes.push("BENCH_VOLUME_ONLY=1: only the volume scenario was run");

  // Many accounts on SQLite.
  if (options.volumeOnly) {
    // Only the volume scenario was asked for.
  } else if (options.accounts) {
    await bench.accountsScenario(tmp);
  } else {
    bench.notes.push("BENCH_ACCOUNTS below 2: the accounts scenario was not run");
  }

  // Leads and calls at production volume on MariaDB.
  if (options.accountsOnly) {
    // Only the accounts scenario was asked for.
  } else if (!options.volume) {
    bench.notes.push("BENCH_SKIP_VOLUME=1: the volume scenario was not run");
  } else if (!mariadb) {
    bench.notes.push("MariaDB was not reachable: the volume scenario was not run");
  } else {
    bench.volume = await volumeScenario(server, options.volume, progress, (cleanup) =>
      cleanups.push(cleanup),
    );
    for (const lookup of bench.volume.lookups) {
      bench.check(
        `volume: ${lookup.name}`,
        lookup.pass,
        `p50 ${lookup.p50} ms, p99 ${lookup.p99} ms (≤ ${VOLUME_TARGET_MS}); ×${lookup.growthP50} / ×${lookup.growthP99} of a tenth (≤ ${VOLUME_MAX_GROWTH})`,
      );
    }
  }

  // The cluster: (g) and (g') after everything else, so that its idle nodes share no other run.
  const missing = missingClusterTools();
  if (only) {
    // Only the accounts or the volume scenario was asked for.
  } else if (options.skipCluster || missing.length > 0) {
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
  const unclean = [...s, ...(bench.accounts?.runs ?? [])].filter(
    (x) => x.load.errors + x.load.non2xx + x.load.badBodies > 0,
  );
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
    accounts: bench.accounts,
    volume: bench.volume,
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
