/**
 * The volume scenario: leads and calls at production volume on MariaDB. Two fresh databases
 * are filled by `npm run seed:volume` (the real command): a tenth of the target, and the target
 * (default 2,000,000 leads, 10,000,000 calls, over BENCH_VOLUME_ACCOUNTS accounts). The service
 * runs on each in production mode; once InnoDB has written back the bulk load, the look-ups are
 * timed one request at a time (single client), alternating between the two databases so that
 * the machine's noise falls on both alike: the first page of calls, a lead's calls
 * (`Lead.calls`), a lead by phone, a lead by externalId, name searches, and the first page of
 * leads and of a category. Then both databases are dropped. Targets: p50 and p99 ≤ 20 ms at the
 * target volume, and within 2× of the tenth — the cost of a page or a look-up must not grow
 * with the tables.
 */
import { performance } from "node:perf_hooks";
import { volumeLeadExternalId } from "../../src/cli/volume-seed";
import { APIKEY_CLI, printedKey, runCli, SEED_CLI } from "../lib/cli";
import { request } from "../lib/graphql";
import { raiseBufferPool, settle, stealSeconds } from "../lib/innodb";
import { summarizeLatency, type LatencySummary } from "../lib/latency";
import { createDatabase, dropDatabase, type MysqlServer } from "../lib/mysql";
import type { VolumeOptions } from "../lib/options";
import { VOLUME_MAX_GROWTH, VOLUME_TARGET_MS, type VolumeResult } from "../lib/results";
import { startService } from "../lib/service";
import { ACCOUNT_CODE, lookups, type Lookup } from "./volume-lookups";

/** A deterministic spread of lead numbers over the account's leads. */
function leadNumbers(count: number, leadsInAccount: number): number[] {
  return Array.from({ length: count }, (_, i) => (i * 7_919 + 13) % leadsInAccount);
}

/** A seeded database with the service running on it, ready to be asked. */
interface PreparedLevel {
  leads: number;
  calls: number;
  seedSeconds: number;
  url: string;
  key: string;
  stop: () => Promise<void>;
  lookups: Lookup[];
  numbers: number[];
}

async function prepareLevel(
  server: MysqlServer,
  leads: number,
  calls: number,
  options: VolumeOptions,
  progress: (line: string) => void,
  onAbort: (cleanup: () => Promise<void>) => void,
): Promise<PreparedLevel> {
  const database = await createDatabase(server);
  const drop = () => dropDatabase(server, database);
  onAbort(drop);
  const url = `${server.base}/${database}`;
  const env = { DATABASE_URL: url, NODE_ENV: "production", LOG_LEVEL: "warn" };
  progress(`volume: seeding ${leads} leads and ${calls} calls in ${options.accounts} accounts`);
  const started = performance.now();
  await runCli(
    SEED_CLI,
    ["--leads", String(leads), "--calls", String(calls), "--accounts", String(options.accounts)],
    env,
  );
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  progress(`volume: seeded in ${seedSeconds} s`);
  const keyOutput = await runCli(
    APIKEY_CLI,
    ["create", "--role", "ADMIN", "--name", "bench volume", "--account", ACCOUNT_CODE],
    env,
  );
  const key = printedKey(keyOutput);
  const service = await startService(`volume-${leads}`, url, true);
  const stop = async () => {
    await service.stop();
    await drop();
  };
  try {
    const perAccount = Math.floor(leads / options.accounts);
    const numbers = leadNumbers(Math.min(options.samples, 1000), perAccount);
    // The leads' ids, looked up once (not timed).
    const ids = new Map<number, string>();
    for (const n of numbers) {
      const reply = await request<{ leads: { edges: Array<{ node: { id: string } }> } }>(
        service.url,
        key,
        `query($e: String) { leads(filter: { externalId: $e }) { edges { node { id } } } }`,
        { e: volumeLeadExternalId(ACCOUNT_CODE, n) },
      );
      const id = reply.data?.leads.edges[0]?.node.id;
      if (!id) throw new Error(`lead ${n} of ${ACCOUNT_CODE} not found`);
      ids.set(n, id);
    }
    return {
      leads,
      calls,
      seedSeconds,
      url: service.url,
      key,
      stop,
      lookups: lookups((n) => ids.get(n)!),
      numbers,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Times every look-up on every level, interleaved (each round asks each look-up of each level
 * once), so that whatever else the machine does falls on all of them alike.
 */
async function measureInterleaved(
  levels: PreparedLevel[],
  samples: number,
  block: number,
): Promise<Array<Record<string, LatencySummary>>> {
  const times = levels.map(
    (level) => new Map<string, number[]>(level.lookups.map((l) => [l.name, []])),
  );
  const warmup = Math.min(100, samples);
  // In blocks of BLOCK rounds per level (BENCH_VOLUME_BLOCK): each service stays busy for a
  // while, as under real traffic, instead of being woken for every single request.
  const BLOCK = block;
  for (let start = 0; start < warmup + samples; start += BLOCK) {
    for (const [l, level] of levels.entries()) {
      for (let i = start; i < Math.min(start + BLOCK, warmup + samples); i += 1) {
        const n = level.numbers[i % level.numbers.length];
        for (const lookup of level.lookups) {
          const begin = performance.now();
          const reply = await request<Record<string, unknown>>(
            level.url,
            level.key,
            lookup.query,
            lookup.variables(n),
          );
          const ms = performance.now() - begin;
          if (reply.status !== 200 || reply.errors || !reply.data) {
            throw new Error(`${lookup.name}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
          }
          lookup.check(reply.data, n);
          if (i >= warmup) times[l].get(lookup.name)!.push(ms);
        }
      }
    }
  }
  return times.map((byName) =>
    Object.fromEntries([...byName].map(([name, ms]) => [name, summarizeLatency(ms)])),
  );
}

/**
 * `onAbort` registers what must be undone should the run be cut short (the databases, the
 * buffer pool size); it may run after a normal end too, when it changes nothing.
 */
export async function volumeScenario(
  server: MysqlServer,
  options: VolumeOptions,
  progress: (line: string) => void,
  onAbort: (cleanup: () => Promise<void>) => void,
): Promise<VolumeResult> {
  // With MariaDB's default pool (128 MiB), seeding 10 million rows takes an hour.
  const { before, during, restore } = await raiseBufferPool(server, options.bufferPoolMiB, onAbort);
  const levels: PreparedLevel[] = [];
  try {
    levels.push(
      await prepareLevel(
        server,
        Math.round(options.leads / 10),
        Math.round(options.calls / 10),
        options,
        progress,
        onAbort,
      ),
    );
    levels.push(
      await prepareLevel(server, options.leads, options.calls, options, progress, onAbort),
    );
    await settle(server, progress, "volume");
    progress(`volume: timing ${options.samples} requests per look-up at both volumes, interleaved`);
    const stolenBefore = stealSeconds();
    const begin = performance.now();
    const [tenthLatency, fullLatency] = await measureInterleaved(
      levels,
      options.samples,
      options.block,
    );
    const stealPct =
      Math.round(((stealSeconds() - stolenBefore) / ((performance.now() - begin) / 1000)) * 1000) /
      10;
    const level = (prepared: PreparedLevel, latency: Record<string, LatencySummary>) => ({
      leads: prepared.leads,
      calls: prepared.calls,
      seedSeconds: prepared.seedSeconds,
      latency,
    });
    const tenth = level(levels[0], tenthLatency);
    const full = level(levels[1], fullLatency);
    return {
      accounts: options.accounts,
      bufferPoolMiB: { before, during },
      stealPct,
      tenth,
      full,
      lookups: Object.keys(full.latency).map((name) => {
        const f = full.latency[name];
        const t = tenth.latency[name];
        const growthP50 = Math.round((f.p50 / t.p50) * 100) / 100;
        const growthP99 = Math.round((f.p99 / t.p99) * 100) / 100;
        return {
          name,
          p50: f.p50,
          p99: f.p99,
          tenthP50: t.p50,
          tenthP99: t.p99,
          growthP50,
          growthP99,
          pass:
            f.p50 <= VOLUME_TARGET_MS &&
            f.p99 <= VOLUME_TARGET_MS &&
            growthP50 <= VOLUME_MAX_GROWTH &&
            growthP99 <= VOLUME_MAX_GROWTH,
        };
      }),
    };
  } finally {
    for (const prepared of levels) await prepared.stop();
    await restore();
  }
}
