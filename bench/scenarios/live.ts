/**
 * Live changes at scale, on one instance of the service: thousands of idle WebSocket
 * subscribers of `callStatusesChanged` (one subscription per connection, all on the default
 * account's AGENT key, as a fleet of wrap-up forms would hold them), held by a few child
 * processes (lib/fleet.ts). Per instance:
 *
 * - the service's memory and idle CPU with none, then with each number of subscribers, after a
 *   quiet spell (the floor of its VmRSS samples; also after a GC forced through the wrapper);
 * - changes, one after another: an ADMIN `updateCallStatus` of `qualified`'s title (seen by
 *   agents), each awaited by every subscriber; from the mutation's response to the first, the
 *   median and the last delivery, every delivered list checked for the new title;
 * - a load of its own kind with none, with the most subscribers idle, with them right after
 *   the changes (as the fan-outs left the heap), and with none again once they left: (c) on
 *   SQLite, (e) on MariaDB, the main table's settings.
 *
 * Instances: SQLite with the in-process bus (every number, and c); MariaDB (the most, and e);
 * SQLite with REDIS_URL set (every number), each when its server is reachable.
 */
import type { Bench } from "../lib/bench";
import { addCleanup, removeCleanup } from "../lib/cleanups";
import { createApiKey, createLeads, seedStatuses } from "../lib/fixtures";
import { Fleet, nowMs, openFilesLimit, type FleetTarget } from "../lib/fleet";
import { mustRequest } from "../lib/graphql";
import { summarizeLatency } from "../lib/latency";
import { cpuSeconds, rssMiB } from "../lib/machine";
import { createDatabase, dropDatabase, type MysqlServer } from "../lib/mysql";
import { MAIN_SIZE, type LiveOptions } from "../lib/options";
import { progress } from "../lib/output";
import { problems } from "../lib/report";
import type {
  LiveConnect,
  LiveDeliveries,
  LiveLoadPhase,
  LiveMemory,
  LiveResult,
  LiveRun,
  ScenarioResult,
} from "../lib/results";
import { createAdminKey, startService, type RunningService } from "../lib/service";
import { sleep } from "../lib/util";

/** What a wrap-up form subscribes to: the outcomes it offers, with their lead status. */
export const WRAP_UP_SUBSCRIPTION =
  "subscription WrapUp { callStatusesChanged { revision callStatuses { id code title " +
  "commentRequired planningTimeRequired sort leadStatus { code title category } } } }";

const RENAME =
  "mutation Rename($id: ID!, $title: String!) { updateCallStatus(id: $id, input: {title: $title}) { id title } }";

/** Every subscriber's delivery of one change must arrive within this. */
const DELIVERY_TIMEOUT_MS = 60_000;
/** After the last delivery, how long extra messages are waited for. */
const EXTRA_WAIT_MS = 200;

interface Instance {
  service: RunningService;
  wsUrl: string;
  adminKey: string;
  aiKey: string;
  agentKey: string;
  systemKey: string;
  qualifiedId: string;
  title: string;
  /** Statuses the AGENT sees (each delivered list). */
  agentItems: number;
  /** Statuses the AI agent sees ((c)'s answer). */
  aiItems: number;
  /** The leads (e) records calls for, made on its first use. */
  leads?: string[];
}

interface RunPlan {
  db: "sqlite" | "mariadb";
  bus: "in-process" | "redis";
  databaseUrl: string;
  env: Record<string, string>;
  counts: number[];
  /** Changes timed at each number. */
  changes: number;
  load: "c" | "e" | null;
}

class LiveBench {
  private changeSerial = 0;

  constructor(
    private readonly bench: Bench,
    private readonly options: LiveOptions,
    private readonly fleet: Fleet,
    private readonly maxPerCredential: number,
  ) {}

  async run(plan: RunPlan): Promise<LiveRun> {
    const label = `${plan.db}, ${plan.bus} bus`;
    const instance = await this.setUp(plan, label);
    const result: LiveRun = {
      db: plan.db,
      bus: plan.bus,
      items: instance.agentItems,
      connects: [],
      memory: [],
      deliveries: [],
      loads: [],
      leave: null,
    };
    try {
      // The load first, twice, the first run not kept: a new process answers faster for a
      // while (code being optimised), which would flatter every later figure against the first;
      // and what the load leaves in memory (compiled code, caches) is then in the figures with
      // none, not counted as the subscribers'.
      if (plan.load) {
        await this.load(plan, instance, 0, "none", true);
        result.loads.push(await this.load(plan, instance, 0, "none"));
      }
      const none = await this.quiet(instance, 0);
      result.memory.push(none);
      for (const count of plan.counts) {
        const from = this.fleet.size;
        const target: FleetTarget = {
          url: instance.wsUrl,
          key: instance.agentKey,
          query: WRAP_UP_SUBSCRIPTION,
          items: instance.agentItems,
          title: instance.title,
        };
        const connect = await this.fleet.grow(count, target);
        const connected: LiveConnect = { from, to: this.fleet.size, ...connect };
        result.connects.push(connected);
        progress(
          `live ${label}: ${connected.to} subscribers connected (+${connected.to - from} in ` +
            `${connect.seconds.toFixed(1)} s, ${connect.failed} failed${connect.errors.length ? `: ${connect.errors.join("; ")}` : ""})`,
        );
        this.bench.check(
          `live (${label}): ${count} subscribers connected`,
          connect.failed === 0 && this.fleet.size === count,
          `${this.fleet.size} ready, ${connect.failed} failed in ${connect.seconds.toFixed(1)} s` +
            (connect.errors.length ? `: ${connect.errors.join("; ")}` : ""),
        );
        result.memory.push(await this.quiet(instance, this.fleet.size, none));
        const most = count === plan.counts[plan.counts.length - 1];
        // Idle: right after the quiet spell (which ended with a forced GC), before any change.
        if (plan.load && most) {
          result.loads.push(await this.load(plan, instance, this.fleet.size, "idle"));
        }
        result.deliveries.push(await this.changes(instance, label, plan.changes));
        // And as the changes left the heap: nothing is forced in production.
        if (plan.load && most) {
          result.loads.push(await this.load(plan, instance, this.fleet.size, "after changes"));
        }
      }
      const leaveSeconds = await this.fleet.closeAll();
      // The service notices the closes asynchronously: let it finish before the quiet spell.
      await sleep(1000);
      result.leave = { seconds: leaveSeconds, memory: await this.quiet(instance, 0, none) };
      const most = result.memory[result.memory.length - 1];
      this.checkReleased(label, none, most, result.leave.memory);
      if (plan.load) result.loads.push(await this.load(plan, instance, 0, "left"));
    } finally {
      await this.fleet.closeAll().catch(() => undefined);
      await instance.service.stop();
    }
    return result;
  }

  private async setUp(plan: RunPlan, label: string): Promise<Instance> {
    const adminKey = await createAdminKey(plan.databaseUrl);
    const service = await startService(`service live ${label}`, plan.databaseUrl, true, {
      SUBSCRIPTIONS_MAX_PER_CREDENTIAL: String(this.maxPerCredential),
      ...plan.env,
    });
    try {
      const aiItems = await seedStatuses(service.url, adminKey, MAIN_SIZE);
      const aiKey = await createApiKey(service.url, adminKey, "AI_AGENT");
      const agentKey = await createApiKey(service.url, adminKey, "AGENT");
      const systemKey = await createApiKey(service.url, adminKey, "SYSTEM");
      const all = await mustRequest<{
        callStatuses: Array<{ id: string; code: string; title: string }>;
      }>(service.url, adminKey, "{ callStatuses { id code title } }");
      const qualified = all.callStatuses.find((s) => s.code === "qualified");
      if (!qualified) throw new Error("live: no call status `qualified` in the default account");
      const agent = await mustRequest<{ callStatuses: Array<{ code: string }> }>(
        service.url,
        agentKey,
        "{ callStatuses { code } }",
      );
      if (!agent.callStatuses.some((s) => s.code === "qualified")) {
        throw new Error("live: the AGENT does not see `qualified`");
      }
      return {
        service,
        wsUrl: service.url.replace(/^http/, "ws"),
        adminKey,
        aiKey,
        agentKey,
        systemKey,
        qualifiedId: qualified.id,
        title: qualified.title,
        agentItems: agent.callStatuses.length,
        aiItems,
      };
    } catch (error) {
      await service.stop();
      throw error;
    }
  }

  /**
   * A quiet spell: a full GC forced through the bench's wrapper (what the last load or change
   * left is garbage, and RSS is sampled after it, not on the teeth of a sawtooth), then VmRSS
   * sampled every 250 ms (its floor kept) and the service's CPU meanwhile, then the wrapper's
   * figures after another forced GC, and the fleet's RSS.
   */
  private async quiet(
    instance: Instance,
    subscribers: number,
    none?: LiveMemory,
  ): Promise<LiveMemory> {
    const pid = instance.service.child.pid;
    await this.bench.memory(instance.service.child);
    const started = nowMs();
    const cpuBefore = cpuSeconds(pid);
    const samples: number[] = [];
    while (nowMs() - started < this.options.settleSeconds * 1000) {
      samples.push(rssMiB(pid));
      await sleep(250);
    }
    samples.push(rssMiB(pid));
    const wall = (nowMs() - started) / 1000;
    const idleCpuPct = Math.round(((cpuSeconds(pid) - cpuBefore) / wall) * 1000) / 10;
    const floorMiB = Math.min(...samples.filter(Number.isFinite));
    const afterGc = (await this.bench.memory(instance.service.child)).afterGc;
    const fleetRssMiB = await this.fleet.rssMiB();
    const kib = (now: number, then: number) =>
      Math.round(((now - then) * 1024 * 10) / subscribers) / 10;
    const perSubscriberKiB =
      none && subscribers > 0
        ? {
            rss: kib(floorMiB, none.floorMiB),
            rssAfterGc: afterGc && none.afterGc ? kib(afterGc.rssMiB, none.afterGc.rssMiB) : null,
            heapUsed:
              afterGc && none.afterGc ? kib(afterGc.heapUsedMiB, none.afterGc.heapUsedMiB) : null,
          }
        : null;
    progress(
      `   ${subscribers} subscribers, quiet ${wall.toFixed(1)} s: RSS floor ${floorMiB} MiB` +
        (afterGc ? `, after GC ${afterGc.rssMiB} MiB (heap used ${afterGc.heapUsedMiB})` : "") +
        `, service CPU ${idleCpuPct} %, fleet RSS ${fleetRssMiB} MiB` +
        (perSubscriberKiB
          ? `; per subscriber ${perSubscriberKiB.rss} KiB RSS, ${perSubscriberKiB.heapUsed ?? "-"} KiB heap`
          : ""),
    );
    return { subscribers, floorMiB, afterGc, idleCpuPct, fleetRssMiB, perSubscriberKiB };
  }

  /** `changes` renames of `qualified`, one after another, each awaited by every subscriber. */
  private async changes(
    instance: Instance,
    label: string,
    changes: number,
  ): Promise<LiveDeliveries> {
    const subscribers = this.fleet.size;
    const pid = instance.service.child.pid;
    const healthz = instance.service.url.replace(/\/graphql$/, "/healthz");
    let peakRssMiB = rssMiB(pid);
    const rssSampler = setInterval(() => {
      const now = rssMiB(pid);
      if (now > peakRssMiB) peakRssMiB = now;
    }, 100);
    const stall: number[] = [];
    const mutation: number[] = [];
    const first: number[] = [];
    const median: number[] = [];
    const last: number[] = [];
    const totals = {
      delivered: 0,
      missing: 0,
      wrong: 0,
      extra: 0,
      strays: 0,
      unexpectedCloses: 0,
      bytes: 0,
    };
    const wrongSamples: string[] = [];
    try {
      for (let i = 0; i < changes; i += 1) {
        this.changeSerial += 1;
        const title = `Qualified, bench change ${this.changeSerial}`;
        const probe = probeWhile(healthz);
        let change;
        try {
          change = await this.fleet.change(
            title,
            async () => {
              const sent = nowMs();
              const data = await mustRequest<{ updateCallStatus: { title: string } }>(
                instance.service.url,
                instance.adminKey,
                RENAME,
                { id: instance.qualifiedId, title },
              );
              if (data.updateCallStatus.title !== title) {
                throw new Error(`live: updateCallStatus answered ${JSON.stringify(data)}`);
              }
              return { sent, answered: nowMs() };
            },
            DELIVERY_TIMEOUT_MS,
            EXTRA_WAIT_MS,
          );
        } finally {
          stall.push(await probe.stop());
        }
        const { result, seen } = change;
        instance.title = title;
        mutation.push(result.answered - result.sent);
        const arrivals = seen.arrivals.sort((a, b) => a - b);
        if (arrivals.length > 0) {
          first.push(arrivals[0] - result.answered);
          median.push(arrivals[Math.ceil(arrivals.length / 2) - 1] - result.answered);
          last.push(arrivals[arrivals.length - 1] - result.answered);
        }
        totals.delivered += arrivals.length - seen.wrong;
        totals.missing += seen.missing;
        totals.wrong += seen.wrong;
        totals.extra += seen.extra;
        totals.strays += seen.strays;
        totals.unexpectedCloses = Math.max(totals.unexpectedCloses, seen.unexpectedCloses);
        totals.bytes = Math.max(totals.bytes, seen.bytes);
        wrongSamples.push(...seen.wrongSamples.slice(0, 3 - wrongSamples.length));
      }
    } finally {
      clearInterval(rssSampler);
    }
    const deliveries: LiveDeliveries = {
      subscribers,
      changes,
      mutationMs: summarizeLatency(mutation),
      firstMs: summarizeLatency(first),
      medianMs: summarizeLatency(median),
      lastMs: summarizeLatency(last),
      stallMs: summarizeLatency(stall),
      peakRssMiB,
      wrongSamples,
      ...totals,
    };
    const bad =
      deliveries.missing +
      deliveries.wrong +
      deliveries.extra +
      deliveries.strays +
      deliveries.unexpectedCloses;
    progress(
      `live ${label}: ${changes} changes to ${subscribers} subscribers: last delivery ` +
        `p50 ${deliveries.lastMs.p50.toFixed(1)} ms, max ${deliveries.lastMs.max.toFixed(1)} ms ` +
        `after the response; first p50 ${deliveries.firstMs.p50.toFixed(1)} ms; mutation p50 ` +
        `${deliveries.mutationMs.p50.toFixed(1)} ms; /healthz waited up to ` +
        `${deliveries.stallMs.max.toFixed(0)} ms; peak RSS ${peakRssMiB} MiB; missing/wrong/extra/stray/closed ` +
        `${deliveries.missing}/${deliveries.wrong}/${deliveries.extra}/${deliveries.strays}/${deliveries.unexpectedCloses}`,
    );
    this.bench.check(
      `live (${label}): every subscriber got each new list once, at ${subscribers}`,
      bad === 0 && deliveries.delivered === subscribers * changes,
      `${deliveries.delivered} of ${subscribers * changes} right; missing ` +
        `${deliveries.missing}, wrong ${deliveries.wrong}, extra ${deliveries.extra}, between ` +
        `changes ${deliveries.strays}, connections closed ${deliveries.unexpectedCloses}` +
        (wrongSamples.length ? ` (${wrongSamples.join("; ")})` : ""),
    );
    return deliveries;
  }

  /** (c) or (e), the main table's settings, with `subscribers` idle subscribers connected. */
  private async load(
    plan: RunPlan,
    instance: Instance,
    subscribers: number,
    phase: LiveLoadPhase,
    /** A run to warm the process up: printed, not kept. */
    warming = false,
  ): Promise<LiveRun["loads"][number]> {
    const { bench } = this;
    const label = warming
      ? "no subscribers (warming up, not kept)"
      : {
          none: "no subscribers",
          idle: `${subscribers} idle subscribers`,
          "after changes": `${subscribers} subscribers, after the changes`,
          left: "no subscribers (after they left)",
        }[phase];
    let result: ScenarioResult;
    if (plan.load === "c") {
      // The title changed meanwhile: the expected answer is read again.
      const body = (
        await bench.verifyRead(instance.service.url, instance.aiKey, instance.aiItems, "live c")
      ).body;
      result = await bench.measure(
        bench.readSpec(instance.service.url, instance.aiKey, body),
        {
          kind: "c",
          label: `c beside ${label}`,
          db: plan.db,
          statuses: MAIN_SIZE,
          items: instance.aiItems,
        },
        instance.service.child,
        plan.db === "mariadb",
        false,
      );
    } else {
      const leads = await this.leads(instance);
      await bench.probeRecord("e", instance.service.url, instance.systemKey, leads);
      result = await bench.measure(
        bench.writeSpec(
          instance.service.url,
          instance.systemKey,
          leads,
          `live-${warming ? "warm" : phase.replace(" ", "-")}`,
        ),
        { kind: "e", label: `e beside ${label}`, db: plan.db, statuses: null, items: null },
        instance.service.child,
        plan.db === "mariadb",
        false,
      );
    }
    return { ...result, subscribers, phase };
  }

  private async leads(instance: Instance): Promise<string[]> {
    instance.leads ??= await createLeads(
      instance.service.url,
      instance.systemKey,
      this.bench.options.leads,
    );
    return instance.leads;
  }

  /** Once every subscriber left, what they held must be collectable again. */
  private checkReleased(
    label: string,
    none: LiveMemory,
    most: LiveMemory,
    after: LiveMemory,
  ): void {
    if (!none.afterGc || !most.afterGc || !after.afterGc) return;
    const grew = most.afterGc.heapUsedMiB - none.afterGc.heapUsedMiB;
    const left = after.afterGc.heapUsedMiB - none.afterGc.heapUsedMiB;
    this.bench.check(
      `live (${label}): the subscribers' memory is released when they leave`,
      left <= Math.max(2, grew * 0.1),
      `heap used after a GC: ${none.afterGc.heapUsedMiB} MiB with none, ${most.afterGc.heapUsedMiB} ` +
        `with ${most.subscribers}, ${after.afterGc.heapUsedMiB} once they left (at most 10 % of ` +
        `the growth, or 2 MiB, may stay)`,
    );
  }
}

/**
 * Small requests one after another until stopped; answers the longest round trip (ms). What
 * one waits for beyond its usual fraction of a millisecond is the time the instance's event
 * loop was held up (by the fan-out of a change).
 */
function probeWhile(url: string): { stop: () => Promise<number> } {
  let stopped = false;
  let longest = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = nowMs();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
        await response.arrayBuffer();
      } catch {
        // A failed probe counts with its time, like any other.
      }
      longest = Math.max(longest, nowMs() - started);
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return longest;
    },
  };
}

/**
 * The live scenario; `mysql` null: MariaDB not reachable; `redis` null: no Redis run (else
 * the server's version).
 */
export async function liveScenario(
  bench: Bench,
  tmp: string,
  options: LiveOptions,
  mysql: MysqlServer | null,
  redis: string | null,
): Promise<LiveResult> {
  const most = options.subscribers[options.subscribers.length - 1];
  const limit = openFilesLimit();
  if (limit < most + 1000) {
    throw new Error(
      `live: ${most} subscribers need more open files than this process may have (ulimit -n ` +
        `${limit}); raise it (ulimit -n ${most + 2000}) or lower BENCH_LIVE_SUBSCRIBERS`,
    );
  }
  const maxPerCredential = most + 100;
  const fleet = await Fleet.start(options.clientProcesses);
  const live = new LiveBench(bench, options, fleet, maxPerCredential);
  const runs: LiveRun[] = [];
  try {
    runs.push(
      await live.run({
        db: "sqlite",
        bus: "in-process",
        databaseUrl: `sqlite:${tmp}/live-sqlite.db`,
        env: {},
        counts: options.subscribers,
        changes: options.changes,
        load: "c",
      }),
    );
    if (mysql) {
      const name = await createDatabase(mysql);
      const drop = () => dropDatabase(mysql, name);
      addCleanup(drop);
      try {
        runs.push(
          await live.run({
            db: "mariadb",
            bus: "in-process",
            databaseUrl: `${mysql.base}/${name}`,
            env: {},
            counts: [most],
            changes: options.otherChanges,
            load: "e",
          }),
        );
      } finally {
        await drop();
        removeCleanup(drop);
      }
    }
    if (redis && options.redisUrl) {
      runs.push(
        await live.run({
          db: "sqlite",
          bus: "redis",
          databaseUrl: `sqlite:${tmp}/live-redis.db`,
          env: {
            REDIS_URL: options.redisUrl,
            REDIS_CHANNEL_PREFIX: `cls-bench-${process.pid}:`,
          },
          counts: options.subscribers,
          changes: options.otherChanges,
          load: null,
        }),
      );
    }
  } finally {
    await fleet.stop();
  }
  for (const run of runs) {
    for (const load of run.loads) {
      if (load.load.errors + load.load.non2xx + load.load.badBodies > 0) {
        progress(`live ${run.db}: ${load.label}: err/non2xx/bad ${problems(load.load)}`);
      }
    }
  }
  return {
    subscribers: options.subscribers,
    changes: options.changes,
    otherChanges: options.otherChanges,
    clientProcesses: options.clientProcesses,
    maxPerCredential,
    openFilesLimit: limit,
    query: WRAP_UP_SUBSCRIPTION,
    redis,
    runs,
  };
}
