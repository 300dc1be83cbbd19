/**
 * The accounts scenario on SQLite (see bench/README.md, Accounts): many accounts seeded, then
 * c's query round robin over all of them with a cache that holds every account (default and
 * long refresh) and with one that evicts, the memory per cached account, the first requests of
 * accounts nothing was cached for, and (scenarios/accounts-statements.ts) the SQL behind each.
 */
import path from "node:path";
import {
  copyStatuses,
  createAccountKeys,
  createAccounts,
  everyAccountOnce,
  LONG_REFRESH_MS,
  REFRESH_MS,
  withoutIdsAndTimes,
  type SeededAccounts,
} from "../lib/accounts";
import { findScenario, type Bench } from "../lib/bench";
import { CUSTOM_LEAD_STATUS_COUNT, seedStatuses, SYSTEM_CALL_STATUSES } from "../lib/fixtures";
import { summarizeLatency } from "../lib/latency";
import { runLoad } from "../lib/load";
import { rssMiB } from "../lib/machine";
import { MAIN_SIZE } from "../lib/options";
import { progress } from "../lib/output";
import type { AccountsResult, MemorySample } from "../lib/results";
import { createPlatformKey, startService } from "../lib/service";
import { inParallel, seconds, sleep } from "../lib/util";
import { accountsStatements } from "./accounts-statements";

/**
 * The accounts scenario on SQLite: seeding (accounts and keys through the API as the platform
 * operator; statuses through the API for a few accounts, copied with set-based SQL for the
 * rest), then c's query round robin over every account with a cache that holds them all and
 * with one that evicts, memory per cached account, cold vs warm first requests, and the SQL
 * statements behind each case (on separate LOG_LEVEL=trace instances).
 */
export async function accountsScenario(bench: Bench, tmp: string): Promise<void> {
  const opts = bench.options.accounts!;
  const file = path.join(tmp, "accounts.db");
  const seeded = await seedAccounts(bench, file);
  const runs: AccountsResult["runs"] = [];
  const all = await accountsAllCached(bench, seeded, runs);
  await accountsLongRefresh(bench, seeded, runs);
  all.memory.smallCache = await accountsEvicting(bench, seeded, runs);
  const statements = await accountsStatements(bench, seeded);
  const c = findScenario(bench.scenarios, "c", "sqlite", MAIN_SIZE);
  bench.accounts = {
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
async function seedAccounts(bench: Bench, file: string): Promise<SeededAccounts> {
  const opts = bench.options.accounts!;
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
async function accountsAllCached(
  bench: Bench,
  seeded: SeededAccounts,
  runs: AccountsResult["runs"],
): Promise<Pick<AccountsResult, "memory" | "cold">> {
  const opts = bench.options.accounts!;
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
    const first = await bench.verifyRead(large.url, aiKeys[0], items, `accounts ${codes[0]}`);
    expected[0] = first.body;
    template = withoutIdsAndTimes(first.body);
    const account = async (i: number) => {
      const reply = await bench.verifyRead(large.url, aiKeys[i], items, `accounts ${codes[i]}`);
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
        ...bench.readSpec(large.url, aiKeys[0], first.body),
        connections: bench.options.connections,
      },
      Math.max(1, bench.options.warmupSeconds),
    );
    const before = await bench.memory(large.child);
    // One request at a time, for accounts nothing is cached for: the first request (key looked
    // up, lists loaded, query executed), the second right after it, the third; then, once the
    // lists' confirmation has expired (STATUS_CACHE_REFRESH_MS, 1 s by default), a fourth.
    const same = async (i: number) => {
      const reply = await bench.verifyRead(large.url, aiKeys[i], items, `accounts ${codes[i]}`);
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
    const rest = Array.from({ length: count - 1 - probes.length }, (_, i) => i + 1 + probes.length);
    await inParallel(rest, bench.options.connections, async (i) => {
      expected[i] = (await account(i)).body;
      await same(i);
    });
    const warmAllSeconds = seconds(warmStarted);
    const after = await bench.memory(large.child);
    const distinct = new Set(expected).size;
    bench.check(
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
    const result = await bench.measure(
      bench.roundRobinSpec(large.url, aiKeys, expected),
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
async function accountsLongRefresh(
  bench: Bench,
  seeded: SeededAccounts,
  runs: AccountsResult["runs"],
): Promise<void> {
  const opts = bench.options.accounts!;
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
    await everyAccountOnce(bench, service.url, seeded);
    await everyAccountOnce(bench, service.url, seeded);
    const result = await bench.measure(
      bench.roundRobinSpec(service.url, seeded.aiKeys, seeded.expected),
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
async function accountsEvicting(
  bench: Bench,
  seeded: SeededAccounts,
  runs: AccountsResult["runs"],
): Promise<MemorySample> {
  const opts = bench.options.accounts!;
  const { databaseUrl, codes, aiKeys, items, expected } = seeded;
  const rr = seeded.label;
  const small = await startService(
    `service sqlite ${opts.count} accounts cache ${opts.smallCache}`,
    databaseUrl,
    true,
    { STATUS_CACHE_MAX_ACCOUNTS: String(opts.smallCache) },
  );
  try {
    const first = await bench.verifyRead(small.url, aiKeys[0], items, `accounts ${codes[0]}`);
    bench.check(
      "accounts: same answers with a small cache",
      first.body === expected[0],
      first.body === expected[0] ? `${codes[0]}: identical bytes` : `${codes[0]}: bodies differ`,
    );
    // Each key's first use (its last-use write, once a minute per key) before the load.
    await everyAccountOnce(bench, small.url, seeded);
    const result = await bench.measure(
      bench.roundRobinSpec(small.url, aiKeys, expected),
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
    return await bench.memory(small.child);
  } finally {
    await small.stop();
  }
}
