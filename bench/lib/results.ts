/** The shape of the JSON result (and of what the report prints): one type per part of the run. */
import type { LatencySummary } from "./latency";
import type { LoadResult } from "./load";
import type { MachineInfo } from "./machine";
import type { BenchOptions } from "./options";

export interface ScenarioResult {
  /** `a`, `b`, `b'`, `c`, `d`, `e`, `f`, `g`, `g'`. */
  kind: string;
  label: string;
  /** `galera`: the three-node cluster of scripts/galera.sh, through HAProxy. */
  db: "-" | "sqlite" | "mariadb" | "galera";
  /** Call statuses configured in total (system ones included); null for writes. */
  statuses: number | null;
  /** Statuses in each response. */
  items: number | null;
  load: LoadResult;
  /** CPU used during the measured window, in % of one core. */
  cpu: { server: number; database: number | null; runner: number; other: number };
}

export interface RssResult {
  scenario: string;
  seconds: number;
  beforeMiB: number;
  afterMiB: number;
  peakMiB: number;
  growthPct: number;
  /** One sample per second during the sustained run. */
  samplesMiB: number[];
  load: LoadResult;
}

/** Memory of the service process at one moment. */
export interface MemorySample {
  /** VmRSS from /proc, as it is (no collection forced). */
  rssMiB: number;
  /** After a full collection forced through the bench's wrapper (null when that failed). */
  afterGc: {
    rssMiB: number;
    heapUsedMiB: number;
    externalMiB: number;
    arrayBuffersMiB: number;
  } | null;
}

/** SQL statements the service sent during one phase, by purpose (see bench/lib/accounts.ts). */
export interface StatementCount {
  phase: string;
  requests: number;
  /** Requests answered with a stored response (the request log line says `"cache":"hit"`). */
  storedAnswers: number;
  total: number;
  byKind: Record<string, number>;
}

/** Many accounts on one SQLite instance: round robin with every account cached, and evicting. */
export interface AccountsResult {
  accounts: number;
  statusesPerAccount: number;
  /** Statuses in each response (what an AI agent sees). */
  items: number;
  /** Size of one account's response body. */
  bytes: number;
  seeding: {
    /** createAccount, PLATFORM key, aliased batches. */
    accountsSeconds: number;
    /** createApiKey(accountCode) for every account's AI_AGENT key and the API accounts' ADMIN key. */
    keysSeconds: number;
    /** Statuses created through the API (createLeadStatus, createCallStatus as the ADMIN key). */
    api: { accounts: number; statuses: number; seconds: number; statusesPerSecond: number };
    /** What creating every account's statuses through the API would take at that rate. */
    allThroughApiEstimateSeconds: number;
    /** The rest: set-based SQL copies of the first account's statuses (a bench shortcut). */
    sql: { accounts: number; leadStatuses: number; callStatuses: number; seconds: number };
    totalSeconds: number;
  };
  /**
   * Round-robin loads, as fast as answered, with their STATUS_CACHE_MAX_ACCOUNTS and
   * STATUS_CACHE_REFRESH_MS: every account cached (default refresh, then a long one), and a
   * cache that evicts.
   */
  runs: Array<ScenarioResult & { cacheMaxAccounts: number; refreshMs: number }>;
  /** (c): one account, 100 statuses, SQLite, from the same run. */
  singleAccount: { rps: number; p50: number; p99: number; serverCpu: number } | null;
  memory: {
    /** After a load on one account (code warm, one account cached). */
    before: MemorySample;
    /** After every account's first request (all cached, all answers stored). */
    after: MemorySample;
    cachedAccounts: number;
    /** (after − before) / (accounts − 1), in KiB. */
    perAccountKiB: {
      rss: number;
      rssAfterGc: number | null;
      heapUsed: number | null;
      external: number | null;
    };
    /** How long the first request of every account took in all (10 at a time). */
    warmAllSeconds: number;
    /** RSS at the end of the round-robin load with every account cached. */
    afterLoadRssMiB: number;
    /** The evicting instance after its load (STATUS_CACHE_MAX_ACCOUNTS accounts held). */
    smallCache: MemorySample | null;
  };
  /**
   * One request at a time, for accounts nothing was cached for: the first request, the second
   * and third right after it, and a fourth once the lists' confirmation expired (client-side
   * latency, including the client's own HTTP).
   */
  cold: {
    probes: number;
    firstMs: LatencySummary;
    secondMs: LatencySummary;
    thirdMs: LatencySummary;
    afterIdleMs: LatencySummary;
  };
  statements: StatementCount[];
}

export interface Ratio {
  name: string;
  value: number | null;
  target: string;
  pass: boolean | null;
  detail: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  options: BenchOptions;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
  scale: Array<{
    db: string;
    statuses: number;
    items: number | null;
    bytes: number;
    c: { rps: number; p99: number } | null;
    d: { rps: number; p99: number } | null;
  }>;
  ratios: Ratio[];
  rss: RssResult | null;
  accounts: AccountsResult | null;
  volume: VolumeResult | null;
  search: SearchResult | null;
  live: LiveResult | null;
  webhooks: WebhooksResult | null;
  checks: Check[];
  notes: string[];
}

export interface VolumeLevel {
  leads: number;
  calls: number;
  seedSeconds: number;
  /** Per look-up: latency of single requests, one at a time. */
  latency: Record<string, LatencySummary>;
}

export interface VolumeResult {
  accounts: number;
  bufferPoolMiB: { before: number; during: number };
  /** CPU time the host took from this machine during the timed requests, % of one core. */
  stealPct: number;
  tenth: VolumeLevel;
  full: VolumeLevel;
  lookups: Array<{
    name: string;
    p50: number;
    p99: number;
    tenthP50: number;
    tenthP99: number;
    /** full / tenth, of p50 and p99. */
    growthP50: number;
    growthP99: number;
    pass: boolean;
  }>;
}

/** The volume look-ups' targets: p50 and p99 at the volume (ms), and their growth over a tenth. */
export const VOLUME_TARGET_MS = 20;
export const VOLUME_MAX_GROWTH = 2;

/** One timed stretch of the search scenario: the machine meanwhile. */
export interface SearchPhase {
  /** 1-minute load average when it started. */
  loadAverage: number;
  /** CPU time the host took from this machine meanwhile, % of one core. */
  stealPct: number;
  seconds: number;
}

/** The search scenario on one database kind (two databases: a control and the seeded one). */
export interface SearchDbResult {
  db: "mariadb" | "sqlite";
  smallLeads: number;
  largeLeads: number;
  seedSeconds: number;
  /** MariaDB: how long InnoDB took to write the load back before the second timing. */
  settleSeconds: number | null;
  /** Both databases before the seeding, both after it, the large account's own searches. */
  phases: { before: SearchPhase; after: SearchPhase; own: SearchPhase };
  /** The small account's requests: single requests, one at a time, both databases in turn. */
  lookups: Array<{
    name: string;
    /** What every answer was checked to be. */
    expected: string;
    /** After the seeding: the control (large account empty), and the seeded database (full). */
    empty: LatencySummary;
    full: LatencySummary;
    /** full / empty, of p50, p90 and p99. */
    ratioP50: number;
    ratioP90: number;
    ratioP99: number;
    /** ratioP50 and ratioP90 within SEARCH_MAX_GROWTH. */
    pass: boolean;
    /** Before the seeding, both empty: how far apart two equal databases measure. */
    beforeSeeding: {
      control: LatencySummary;
      seeded: LatencySummary;
      /** seeded / control. */
      ratioP50: number;
      ratioP99: number;
    };
  }>;
  /** The large account's own searches, full. */
  own: Array<{ name: string; expected: string; latency: LatencySummary }>;
  totalSeconds: number;
}

/** A small account's name search while another account holds many matching names. */
export interface SearchResult {
  /** Every first name of the large account begins with it (`seed:volume --name-prefix`). */
  namePrefix: string;
  /** MariaDB's innodb_buffer_pool_size before and during the scenario; null: not on MariaDB. */
  bufferPoolMiB: { before: number; during: number } | null;
  dbs: SearchDbResult[];
}

/** The small account's p50 and p90 with the large account full: at most this × those with it empty. */
export const SEARCH_MAX_GROWTH = 2;

/** The service's memory at one number of idle subscribers, after a quiet spell. */
export interface LiveMemory {
  subscribers: number;
  /** The lowest VmRSS of the samples taken during the quiet spell (MiB). */
  floorMiB: number;
  /** After a full collection forced through the bench's wrapper (null when that failed). */
  afterGc: MemorySample["afterGc"];
  /** The service's CPU during the quiet spell, % of one core (idle subscribers' cost). */
  idleCpuPct: number;
  /** The fleet processes' RSS together (MiB): what the client side holds. */
  fleetRssMiB: number;
  /** (this − with none) / subscribers, KiB; null for none. */
  perSubscriberKiB: { rss: number; rssAfterGc: number | null; heapUsed: number | null } | null;
}

/** Changes timed at one number of subscribers. */
export interface LiveDeliveries {
  subscribers: number;
  changes: number;
  /** Size of one delivered message (bytes). */
  bytes: number;
  /** The mutation's round trip, as its client saw it (ms). */
  mutationMs: LatencySummary;
  /**
   * From the mutation's response to the first subscriber's delivery, the median subscriber's
   * and the last one's (ms; negative when it arrived before the response), over the changes.
   */
  firstMs: LatencySummary;
  medianMs: LatencySummary;
  lastMs: LatencySummary;
  /**
   * The longest a small request (GET /healthz, one after another from the mutation until every
   * delivery arrived) waited during each change (ms): how long the fan-out holds up the
   * instance's other requests.
   */
  stallMs: LatencySummary;
  /** The service's highest VmRSS sampled (every 100 ms) during the changes (MiB). */
  peakRssMiB: number;
  /** Deliveries checked and found right, and the problems (all should be 0). */
  delivered: number;
  missing: number;
  wrong: number;
  extra: number;
  strays: number;
  unexpectedCloses: number;
  wrongSamples: string[];
}

/** Connecting subscribers: from how many to how many, and how fast. */
export interface LiveConnect {
  from: number;
  to: number;
  seconds: number;
  failed: number;
  errors: string[];
}

export type LiveLoadPhase = "none" | "idle" | "after changes" | "left";

/** One instance of the service with subscribers: its database, its bus, what was measured. */
export interface LiveRun {
  db: "sqlite" | "mariadb";
  bus: "in-process" | "redis";
  /** Statuses in each delivered list (the AGENT's). */
  items: number;
  connects: LiveConnect[];
  memory: LiveMemory[];
  deliveries: LiveDeliveries[];
  /**
   * (c) or (e): with none; with the most subscribers, idle (after a forced GC); with them right
   * after the changes (the heap as the fan-outs left it); with none again once they left.
   */
  loads: Array<ScenarioResult & { subscribers: number; phase: LiveLoadPhase }>;
  /** Closing every subscriber's connection (s), and the memory afterwards. */
  leave: { seconds: number; memory: LiveMemory } | null;
}

export interface LiveResult {
  subscribers: number[];
  changes: number;
  otherChanges: number;
  clientProcesses: number;
  /** SUBSCRIPTIONS_MAX_PER_CREDENTIAL of the instances. */
  maxPerCredential: number;
  /** The soft limit of open files of the runner (the service and the fleet inherit it). */
  openFilesLimit: number;
  /** The subscription every subscriber holds. */
  query: string;
  /** The Redis server's version (the REDIS_URL run); null: not run. */
  redis: string | null;
  runs: LiveRun[];
}

/** The webhooks scenario (bench/scenarios/webhooks.ts), on MariaDB. */
export interface WebhooksResult {
  /** WEBHOOKS_CONCURRENCY of the instance. */
  concurrency: number;
  e: {
    without: { rps: number; p99: number };
    withEndpoint: { rps: number; p99: number };
    /** with / without, of req/s. */
    ratio: number;
    serverCpuWithout: number;
    serverCpuWith: number;
    /** Deliveries the receiver got during and after the run with the endpoint. */
    deliveredWithLoad: number;
    /** From the end of that run to the last of its deliveries (s). */
    drainSeconds: number;
  };
  /** Commit (the mutation's response) to the receiver's arrival of its call.recorded (ms). */
  latency: LatencySummary;
  pacedRate: number;
  backlog: { events: number; seconds: number; perSecond: number };
}
