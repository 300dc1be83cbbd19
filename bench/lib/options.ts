/** The benchmark's settings: environment variables, with `--quick` for a smoke run. */
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface BenchOptions {
  quick: boolean;
  /** Seconds of load before each measured window (not measured). */
  warmupSeconds: number;
  /** Seconds of each measured window. */
  durationSeconds: number;
  /** Seconds of the sustained run of (c) whose RSS is compared before/after. */
  sustainedSeconds: number;
  connections: number;
  /** Total call statuses (the 7 system ones included) for the scale runs; 100 is the main one. */
  sizes: number[];
  /** Server for the MariaDB half (a fresh database is created and dropped there). */
  mysqlUrl: string;
  skipMysql: boolean;
  /** Skip (g), recordCallResult on the Galera cluster of scripts/galera.sh. */
  skipCluster: boolean;
  /** Leads that `recordCallResult` cycles through. */
  leads: number;
  /** The whole run is aborted (children killed, databases dropped) after this many seconds. */
  timeoutSeconds: number;
  resultsDir: string;
  /** The accounts scenario (SQLite, each account with MAIN_SIZE call statuses); null: skipped. */
  accounts: AccountsOptions | null;
  /** Only the accounts scenario (BENCH_ACCOUNTS_ONLY=1): no single-account figures to compare. */
  accountsOnly: boolean;
  /** The volume scenario on MariaDB (see bench/scenarios/volume.ts); null: skipped (BENCH_SKIP_VOLUME=1). */
  volume: VolumeOptions | null;
  /** Only the volume scenario (BENCH_VOLUME_ONLY=1). */
  volumeOnly: boolean;
  /** The search scenario (see bench/scenarios/search.ts); null: skipped (BENCH_SKIP_SEARCH=1). */
  search: SearchOptions | null;
  /** Only the search scenario (BENCH_SEARCH_ONLY=1). */
  searchOnly: boolean;
  /** The live scenario (see bench/scenarios/live.ts); null: skipped (BENCH_SKIP_LIVE=1). */
  live: LiveOptions | null;
  /** Only the live scenario (BENCH_LIVE_ONLY=1). */
  liveOnly: boolean;
  /** The webhooks scenario (see bench/scenarios/webhooks.ts); null: skipped (BENCH_SKIP_WEBHOOKS=1). */
  webhooks: WebhooksOptions | null;
  /** Only the webhooks scenario (BENCH_WEBHOOKS_ONLY=1). */
  webhooksOnly: boolean;
}

export interface WebhooksOptions {
  /** Calls recorded one at a time for the commit-to-delivery latency. */
  pacedCalls: number;
  /** Their pace (calls per second). */
  pacedRate: number;
  /** Calls whose events are queued while the endpoint is off, then delivered at once. */
  backlogCalls: number;
}

export interface LiveOptions {
  /** Idle WebSocket subscribers, ascending; (c) and (e) run beside the largest number. */
  subscribers: number[];
  /** Changes timed at each number, one after another, each awaited by every subscriber. */
  changes: number;
  /** The same on the other instances (MariaDB, REDIS_URL), which are there for comparison. */
  otherChanges: number;
  /** Child processes holding the subscribers' connections. */
  clientProcesses: number;
  /** Seconds of quiet before memory and idle CPU are read (the floor of the samples). */
  settleSeconds: number;
  /** The Redis server of the run with REDIS_URL set; null: not run (BENCH_SKIP_REDIS=1). */
  redisUrl: string | null;
}

export interface AccountsOptions {
  /** Accounts, each with its own AI_AGENT key and MAIN_SIZE call statuses. */
  count: number;
  /**
   * Accounts whose statuses are created through the API (timed, to tell what all of them would
   * take); the others get copies of the first one's with set-based SQL.
   */
  throughApi: number;
  /** STATUS_CACHE_MAX_ACCOUNTS for the run that holds every account. */
  largeCache: number;
  /** STATUS_CACHE_MAX_ACCOUNTS for the run that evicts. */
  smallCache: number;
  /** Accounts whose first requests (nothing cached for them yet) are timed one at a time. */
  coldProbes: number;
}

export interface VolumeOptions {
  leads: number;
  calls: number;
  accounts: number;
  /** Timed requests per look-up and volume (after as many untimed ones, at most 100). */
  samples: number;
  /** Rounds of look-ups on one volume before switching to the other. */
  block: number;
  /** innodb_buffer_pool_size is raised to at least this for the scenario, then restored. */
  bufferPoolMiB: number;
}

export interface SearchOptions {
  /** Leads of the large account, every one named so that the small account's search matches. */
  leads: number;
  /** Timed requests per request, database and phase (before, after the seeding). */
  samples: number;
  /** Timed requests of each of the large account's own searches. */
  ownSamples: number;
  /** Rounds of requests on one database before switching to the other. */
  block: number;
  /** At most this many seconds of waiting for InnoDB to write the seeded leads back. */
  settleMaxSeconds: number;
  /** innodb_buffer_pool_size is raised to at least this for the scenario, then restored. */
  bufferPoolMiB: number;
}

export const MAIN_SIZE = 100;

function number(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

export function readOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const unknown = argv.filter((arg) => arg !== "--quick");
  if (unknown.length > 0) {
    throw new Error(`unknown argument(s): ${unknown.join(" ")} (only --quick is understood)`);
  }
  const quick = argv.includes("--quick") || process.env.BENCH_QUICK === "1";
  const sizesRaw = process.env.BENCH_SIZES?.trim() || "10,100,1000";
  const sizes = [
    ...new Set(
      sizesRaw.split(",").map((part) => {
        const size = Number(part.trim());
        if (!Number.isInteger(size) || size < 8 || size > 5000) {
          throw new Error(`BENCH_SIZES: each size must be a whole number from 8 to 5000`);
        }
        return size;
      }),
    ),
  ].sort((a, b) => a - b);
  // The main comparisons (a, b, b', c/d on MariaDB) use 100 statuses: always measured.
  if (!sizes.includes(MAIN_SIZE)) sizes.push(MAIN_SIZE);
  sizes.sort((a, b) => a - b);
  const accountCount = number("BENCH_ACCOUNTS", quick ? 100 : 1000, 0, 100_000);
  const accounts: AccountsOptions | null =
    accountCount < 2
      ? null
      : {
          count: accountCount,
          throughApi: Math.min(
            accountCount,
            number("BENCH_ACCOUNTS_API", quick ? 2 : 10, 1, 100_000),
          ),
          largeCache: number(
            "BENCH_ACCOUNTS_LARGE_CACHE",
            accountCount * 2,
            accountCount,
            1_000_000,
          ),
          smallCache: number(
            "BENCH_ACCOUNTS_SMALL_CACHE",
            Math.max(1, Math.round(accountCount / 10)),
            1,
            accountCount - 1,
          ),
          coldProbes: Math.min(accountCount - 1, quick ? 20 : 200),
        };
  const volume: VolumeOptions | null =
    process.env.BENCH_SKIP_VOLUME === "1"
      ? null
      : {
          leads: number("BENCH_VOLUME_LEADS", quick ? 20_000 : 2_000_000, 1_000, 100_000_000),
          calls: number("BENCH_VOLUME_CALLS", quick ? 100_000 : 10_000_000, 1_000, 1_000_000_000),
          accounts: number("BENCH_VOLUME_ACCOUNTS", 4, 1, 100),
          samples: number("BENCH_VOLUME_SAMPLES", quick ? 50 : 300, 10, 100_000),
          block: number("BENCH_VOLUME_BLOCK", 25, 1, 100_000),
          bufferPoolMiB: number("BENCH_VOLUME_BUFFER_POOL_MIB", 6144, 128, 1_048_576),
        };
  const volumeOnly = volume !== null && process.env.BENCH_VOLUME_ONLY === "1";
  const search: SearchOptions | null =
    process.env.BENCH_SKIP_SEARCH === "1"
      ? null
      : {
          leads: number("BENCH_SEARCH_LEADS", quick ? 50_000 : 500_000, 1_000, 100_000_000),
          samples: number("BENCH_SEARCH_SAMPLES", quick ? 50 : 300, 10, 100_000),
          ownSamples: number("BENCH_SEARCH_OWN_SAMPLES", quick ? 10 : 30, 1, 10_000),
          block: number("BENCH_SEARCH_BLOCK", 25, 1, 100_000),
          settleMaxSeconds: number("BENCH_SEARCH_SETTLE_MAX", quick ? 10 : 120, 0, 3600),
          bufferPoolMiB: number("BENCH_SEARCH_BUFFER_POOL_MIB", 1024, 128, 1_048_576),
        };
  const liveRaw = process.env.BENCH_LIVE_SUBSCRIBERS?.trim() || (quick ? "200,1000" : "1000,10000");
  const live: LiveOptions | null =
    process.env.BENCH_SKIP_LIVE === "1"
      ? null
      : {
          subscribers: [
            ...new Set(
              liveRaw.split(",").map((part) => {
                const n = Number(part.trim());
                if (!Number.isInteger(n) || n < 1 || n > 100_000) {
                  throw new Error("BENCH_LIVE_SUBSCRIBERS: each number must be from 1 to 100000");
                }
                return n;
              }),
            ),
          ].sort((a, b) => a - b),
          changes: number("BENCH_LIVE_CHANGES", quick ? 5 : 10, 1, 1000),
          otherChanges: number("BENCH_LIVE_OTHER_CHANGES", quick ? 3 : 5, 1, 1000),
          clientProcesses: number("BENCH_LIVE_CLIENTS", 2, 1, 16),
          settleSeconds: number("BENCH_LIVE_SETTLE", quick ? 1 : 3, 0.5, 120),
          redisUrl:
            process.env.BENCH_SKIP_REDIS === "1"
              ? null
              : process.env.BENCH_REDIS_URL?.trim() || "redis://127.0.0.1:6379",
        };
  const webhooks: WebhooksOptions | null =
    process.env.BENCH_SKIP_WEBHOOKS === "1"
      ? null
      : {
          pacedCalls: number("BENCH_WEBHOOKS_PACED", quick ? 60 : 300, 10, 100_000),
          pacedRate: number("BENCH_WEBHOOKS_RATE", 20, 1, 1000),
          backlogCalls: number("BENCH_WEBHOOKS_BACKLOG", quick ? 300 : 2000, 10, 1_000_000),
        };
  return {
    quick,
    warmupSeconds: number("BENCH_WARMUP", quick ? 0.5 : 2, 0, 60),
    durationSeconds: number("BENCH_DURATION", quick ? 2 : 8, 1, 600),
    sustainedSeconds: number("BENCH_SUSTAINED", quick ? 4 : 60, 1, 3600),
    connections: number("BENCH_CONNECTIONS", 10, 1, 1000),
    sizes,
    mysqlUrl: process.env.BENCH_MYSQL_URL?.trim() || "mysql://root@127.0.0.1:3306",
    skipMysql: process.env.BENCH_SKIP_MYSQL === "1",
    skipCluster: process.env.BENCH_SKIP_CLUSTER === "1",
    leads: number("BENCH_LEADS", 100, 1, 10_000),
    // The volume scenario seeds 12 million rows (about 5 minutes here) before it measures; the
    // search scenario half a million leads, twice; the live scenario connects its subscribers on
    // up to three instances.
    timeoutSeconds: number(
      "BENCH_TIMEOUT",
      (quick ? 300 : 900) +
        (volume ? (quick ? 120 : 2700) : 0) +
        (search ? (quick ? 120 : 900) : 0) +
        (live ? (quick ? 120 : 600) : 0) +
        (webhooks ? (quick ? 60 : 300) : 0),
      30,
      86_400,
    ),
    resultsDir: path.resolve(REPO_ROOT, process.env.BENCH_RESULTS_DIR?.trim() || "bench-results"),
    accounts,
    accountsOnly: accounts !== null && process.env.BENCH_ACCOUNTS_ONLY === "1",
    volume,
    volumeOnly,
    search,
    searchOnly: search !== null && process.env.BENCH_SEARCH_ONLY === "1",
    live,
    liveOnly: live !== null && process.env.BENCH_LIVE_ONLY === "1",
    webhooks,
    webhooksOnly: webhooks !== null && process.env.BENCH_WEBHOOKS_ONLY === "1",
  };
}
