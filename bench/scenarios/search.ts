/**
 * The search scenario: does a name search cost in proportion to another account's data? On
 * each database kind (MariaDB when reachable, and SQLite), two databases set up alike: a small
 * account of 10 leads — 3 of them named Car…, 2 of those qualified — and an empty large
 * account. The small account's AGENT asks the security probe's query (`search: "car",
 * category: QUALIFIED`, totalCount), a page of "car", a prefix that matches none of its leads
 * but every lead of the large account, and `lead(id:)`: one request at a time, both databases
 * taking turns. Then `seed:volume --name-prefix carbo` gives the large account of one of them
 * BENCH_SEARCH_LEADS leads (every first name Carbo…: every one matches "car"), and both are
 * timed again: the small account with the large one empty and full, side by side. Every answer
 * is compared with the one exact answer of the small account's ten leads. Last, the large
 * account's own searches, for context (its own data: it may cost what it holds).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ACCOUNT_CLI, APIKEY_CLI, printedKey, runCli, SEED_CLI } from "../lib/cli";
import { mustRequest, request } from "../lib/graphql";
import { raiseBufferPool, settle, stealSeconds } from "../lib/innodb";
import { summarizeLatency, type LatencySummary } from "../lib/latency";
import { createDatabase, dropDatabase, type MysqlServer } from "../lib/mysql";
import type { SearchOptions } from "../lib/options";
import {
  SEARCH_MAX_GROWTH,
  type SearchDbResult,
  type SearchPhase,
  type SearchResult,
} from "../lib/results";
import { startService, type RunningService } from "../lib/service";
import {
  LARGE_ACCOUNT,
  LARGE_NAME_PREFIX,
  largeAccountRequests,
  SMALL_ACCOUNT,
  SMALL_LEADS,
  smallAccountRequests,
  type SmallLead,
  type TimedRequest,
} from "./search-lookups";

type Progress = (line: string) => void;
type OnAbort = (cleanup: () => Promise<void>) => void;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A service to time: the key to ask as and the requests to ask. */
interface Target {
  service: RunningService;
  key: string;
  requests: TimedRequest[];
}

/**
 * Times every target's requests, one request at a time: rounds in which each request is asked
 * once, in blocks of `block` rounds per target, the targets taking turns (as the volume
 * scenario does), so that whatever else the machine does falls on all of them alike — in
 * turns A B, B A, A B …, so that neither always goes second (with A B, A B …, two equal
 * databases measured up to 15 % apart, the second faster). The first `warmup` rounds are not
 * timed.
 */
async function timeInterleaved(
  targets: Target[],
  warmup: number,
  samples: number,
  block: number,
): Promise<{ latency: Array<Record<string, LatencySummary>>; phase: SearchPhase }> {
  const times = targets.map((t) => new Map<string, number[]>(t.requests.map((r) => [r.name, []])));
  const loadAverage = round(os.loadavg()[0]);
  const stolenBefore = stealSeconds();
  const begin = performance.now();
  for (let start = 0; start < warmup + samples; start += block) {
    const order = [...targets.keys()];
    if ((start / block) % 2 === 1) order.reverse();
    for (const t of order) {
      const target = targets[t];
      for (let i = start; i < Math.min(start + block, warmup + samples); i += 1) {
        for (const timed of target.requests) {
          const started = performance.now();
          const reply = await request<unknown>(
            target.service.url,
            target.key,
            timed.query,
            timed.variables(i),
          );
          const ms = performance.now() - started;
          if (reply.status !== 200 || reply.errors || reply.data === null) {
            throw new Error(`${timed.name}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
          }
          timed.check(reply.data, i);
          if (i >= warmup) times[t].get(timed.name)!.push(ms);
        }
      }
    }
  }
  const seconds = (performance.now() - begin) / 1000;
  return {
    latency: times.map((byName) =>
      Object.fromEntries([...byName].map(([name, ms]) => [name, summarizeLatency(ms)])),
    ),
    phase: {
      loadAverage,
      stealPct: round(((stealSeconds() - stolenBefore) / seconds) * 100, 1),
      seconds: round(seconds, 1),
    },
  };
}

/** The small account's ten leads through `createLead`; two of the Car… ones qualified. */
async function createSmallLeads(url: string, adminKey: string): Promise<SmallLead[]> {
  const leads: SmallLead[] = [];
  for (const [i, lead] of SMALL_LEADS.entries()) {
    const data = await mustRequest<{ createLead: { id: string; name: string } }>(
      url,
      adminKey,
      "mutation($input: CreateLeadInput!) { createLead(input: $input) { id name } }",
      { input: { externalId: `small-${i + 1}`, name: lead.name } },
    );
    leads.push({ ...data.createLead, qualified: lead.qualified === true });
  }
  for (const lead of leads.filter((l) => l.qualified)) {
    const data = await mustRequest<{
      recordCallResult: { lead: { status: { category: string } } };
    }>(
      url,
      adminKey,
      "mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { lead { status { category } } } }",
      { input: { leadId: lead.id, callStatusCode: "qualified", comment: "bench search" } },
    );
    if (data.recordCallResult.lead.status.category !== "QUALIFIED") {
      throw new Error(`lead ${lead.id} was not qualified`);
    }
  }
  return leads;
}

/** A database set up for the scenario, with the service running on it. */
interface Prepared {
  env: Record<string, string>;
  service: RunningService;
  small: Target;
  largeAgent: string;
}

/**
 * The two accounts with the operator's CLI (which applies the migrations) — the large one
 * empty — their keys with the apikey CLI, the service, the small account's leads through it.
 */
async function prepare(name: string, url: string): Promise<Prepared> {
  const env = { DATABASE_URL: url, NODE_ENV: "production", LOG_LEVEL: "warn" };
  await runCli(ACCOUNT_CLI, ["create", "--code", SMALL_ACCOUNT, "--name", "Small"], env);
  await runCli(ACCOUNT_CLI, ["create", "--code", LARGE_ACCOUNT, "--name", "Volume 1"], env);
  const key = async (role: string, account: string) =>
    printedKey(
      await runCli(
        APIKEY_CLI,
        ["create", "--role", role, "--name", `bench search ${role}`, "--account", account],
        env,
      ),
    );
  const smallAdmin = await key("ADMIN", SMALL_ACCOUNT);
  const smallAgent = await key("AGENT", SMALL_ACCOUNT);
  const largeAgent = await key("AGENT", LARGE_ACCOUNT);
  const service = await startService(name, url, true);
  try {
    const leads = await createSmallLeads(service.url, smallAdmin);
    return {
      env,
      service,
      small: { service, key: smallAgent, requests: smallAccountRequests(leads) },
      largeAgent,
    };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

/**
 * On one database kind: two databases set up alike (`urls`: the control, whose large account
 * stays empty, and the one that gets the leads). Both are timed, interleaved, before the
 * seeding (both empty: how far apart two equal databases measure) and after it (empty against
 * full, in the same stretch of time: a service that has run longer answers faster, so the same
 * database before and after would flatter the second timing).
 */
async function onDatabaseKind(
  db: "mariadb" | "sqlite",
  urls: { control: string; seeded: string },
  options: SearchOptions,
  progress: Progress,
  server: MysqlServer | null,
): Promise<SearchDbResult> {
  const started = performance.now();
  const label = `search (${db})`;
  const prepared: Prepared[] = [];
  try {
    // Both at once (each a few CLI runs, then its service); each stopped below, also on failure.
    const both = await Promise.allSettled([
      prepare(`search-${db}-control`, urls.control),
      prepare(`search-${db}-seeded`, urls.seeded),
    ]);
    for (const made of both) if (made.status === "fulfilled") prepared.push(made.value);
    for (const made of both) if (made.status === "rejected") throw made.reason;
    const [control, seeded] = prepared;
    const targets = [control.small, seeded.small];
    const warmup = Math.min(100, options.samples);
    progress(
      `${label}: timing ${options.samples} requests each as the small account's AGENT on both databases, the large account empty on both`,
    );
    const before = await timeInterleaved(targets, warmup, options.samples, options.block);

    progress(
      `${label}: seeding ${options.leads} leads named ${LARGE_NAME_PREFIX}… in ${LARGE_ACCOUNT} of one database`,
    );
    const seedStarted = performance.now();
    await runCli(
      SEED_CLI,
      [
        "--leads",
        String(options.leads),
        "--calls",
        "0",
        "--accounts",
        "1",
        "--name-prefix",
        LARGE_NAME_PREFIX,
      ],
      seeded.env,
    );
    const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
    progress(`${label}: seeded in ${seedSeconds} s`);
    const settleSeconds = server
      ? await settle(server, progress, label, options.settleMaxSeconds)
      : null;

    progress(`${label}: timing the same, the large account empty on one, full on the other`);
    const after = await timeInterleaved(targets, warmup, options.samples, options.block);

    progress(`${label}: timing the large account's own searches, ${options.ownSamples} each`);
    const large = largeAccountRequests(options.leads);
    const own = await timeInterleaved(
      [{ service: seeded.service, key: seeded.largeAgent, requests: large }],
      Math.min(3, options.ownSamples),
      options.ownSamples,
      options.block,
    );
    return {
      db,
      smallLeads: SMALL_LEADS.length,
      largeLeads: options.leads,
      seedSeconds,
      settleSeconds,
      phases: { before: before.phase, after: after.phase, own: own.phase },
      lookups: seeded.small.requests.map((timed) => {
        const empty = after.latency[0][timed.name];
        const full = after.latency[1][timed.name];
        const ratioP50 = round(full.p50 / empty.p50);
        const ratioP90 = round(full.p90 / empty.p90);
        const ratioP99 = round(full.p99 / empty.p99);
        const control = before.latency[0][timed.name];
        const same = before.latency[1][timed.name];
        return {
          name: timed.name,
          expected: timed.expected,
          empty,
          full,
          ratioP50,
          ratioP90,
          ratioP99,
          // p99 is the 3rd slowest of 300 (the slowest of 50 in --quick): the machine's, more
          // than the search's; the check takes p90.
          pass: ratioP50 <= SEARCH_MAX_GROWTH && ratioP90 <= SEARCH_MAX_GROWTH,
          beforeSeeding: {
            control,
            seeded: same,
            ratioP50: round(same.p50 / control.p50),
            ratioP99: round(same.p99 / control.p99),
          },
        };
      }),
      own: large.map((timed) => ({
        name: timed.name,
        expected: timed.expected,
        latency: own.latency[0][timed.name],
      })),
      totalSeconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    for (const p of prepared) await p.service.stop();
  }
}

/**
 * MariaDB (`server`; null: not reachable or skipped) then SQLite (a file in `tmp`). `onAbort`
 * registers what must be undone should the run be cut short (the database, the buffer pool
 * size); it may run after a normal end too, when it changes nothing.
 */
export async function searchScenario(
  server: MysqlServer | null,
  tmp: string,
  options: SearchOptions,
  progress: Progress,
  onAbort: OnAbort,
): Promise<SearchResult> {
  const result: SearchResult = {
    namePrefix: LARGE_NAME_PREFIX,
    bufferPoolMiB: null,
    dbs: [],
  };
  if (server) {
    const pool = await raiseBufferPool(server, options.bufferPoolMiB, onAbort);
    result.bufferPoolMiB = { before: pool.before, during: pool.during };
    const databases: string[] = [];
    const drop = async () => {
      for (const database of databases) await dropDatabase(server, database);
    };
    onAbort(drop);
    try {
      databases.push(await createDatabase(server), await createDatabase(server));
      const [control, seeded] = databases.map((database) => `${server.base}/${database}`);
      result.dbs.push(
        await onDatabaseKind("mariadb", { control, seeded }, options, progress, server),
      );
    } finally {
      await drop();
      await pool.restore();
    }
  }
  const files = ["control", "seeded"].map((name) => path.join(tmp, `search-${name}.db`));
  try {
    const [control, seeded] = files.map((file) => `sqlite:${file}`);
    result.dbs.push(await onDatabaseKind("sqlite", { control, seeded }, options, progress, null));
  } finally {
    for (const file of files) {
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
    }
  }
  return result;
}
