/**
 * What every scenario shares: the options, the results gathered so far (rows of the table, the
 * checks, the notes, and the parts with their own section), one measured load with the CPU of
 * the processes involved, and the requests the loads are made of (the measured read, each
 * account's read in turn, recordCallResult).
 */
import type { Child } from "./children";
import { OUTCOMES_BODY, recordBody, type RecordInput } from "./fixtures";
import { jsonHeaders, post } from "./graphql";
import { runLoad, type LoadSpec } from "./load";
import {
  cpuSeconds,
  findDatabaseServerPid,
  machineBusySeconds,
  rssMiB,
  runnerCpuSeconds,
} from "./machine";
import type { BenchOptions } from "./options";
import { progress } from "./output";
import { problems } from "./report";
import type {
  AccountsResult,
  Check,
  LiveResult,
  MemorySample,
  RssResult,
  ScenarioResult,
  SearchResult,
  VolumeResult,
  WebhooksResult,
} from "./results";

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

export class Bench {
  readonly scenarios: ScenarioResult[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  /** Response bodies of the measured read, by `db/size/cache`. */
  readonly bodies = new Map<string, string>();
  rss: RssResult | null = null;
  accounts: AccountsResult | null = null;
  volume: VolumeResult | null = null;
  search: SearchResult | null = null;
  live: LiveResult | null = null;
  webhooks: WebhooksResult | null = null;
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
}

/** The row of the main table of that kind, database and size. */
export function findScenario(
  scenarios: ScenarioResult[],
  kind: string,
  db: string,
  size?: number,
): ScenarioResult | undefined {
  return scenarios.find(
    (s) => s.kind === kind && s.db === db && (size === undefined || s.statuses === size),
  );
}
