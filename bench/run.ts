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
 * In this order: c and d at each size of BENCH_SIZES on SQLite, the RSS of a sustained c, a, b
 * and b' (scenarios/reads.ts); c, d, e and f on MariaDB (scenarios/mariadb.ts); the accounts
 * scenario (scenarios/accounts.ts); the volume scenario (scenarios/volume.ts); the search
 * scenario (scenarios/search.ts); the live scenario, idle WebSocket subscribers
 * (scenarios/live.ts); last the cluster (scenarios/cluster.ts). This file reads the
 * options, picks the scenarios and prints the report. Every server runs in its own child
 * process; this process runs autocannon. Settings: see bench/README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bench } from "./lib/bench";
import { addCleanup, runCleanups } from "./lib/cleanups";
import { killAllChildrenNow } from "./lib/children";
import { missingClusterTools } from "./lib/cluster";
import { machineInfo } from "./lib/machine";
import { parseServer, serverVersion } from "./lib/mysql";
import { readOptions } from "./lib/options";
import { redisVersion } from "./lib/redis";
import { out, progress } from "./lib/output";
import { printReport, writeReport } from "./lib/report";
import { SEARCH_MAX_GROWTH, VOLUME_MAX_GROWTH, VOLUME_TARGET_MS } from "./lib/results";
import { buildReport } from "./lib/summary";
import { accountsScenario } from "./scenarios/accounts";
import { recordOnCluster } from "./scenarios/cluster";
import { liveScenario } from "./scenarios/live";
import { mariadbScenarios } from "./scenarios/mariadb";
import { readScenarios } from "./scenarios/reads";
import { searchScenario } from "./scenarios/search";
import { volumeScenario } from "./scenarios/volume";
import { webhooksScenario } from "./scenarios/webhooks";

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
  addCleanup(async () => fs.rmSync(tmp, { recursive: true, force: true }));

  // BENCH_ACCOUNTS_ONLY, BENCH_VOLUME_ONLY, BENCH_SEARCH_ONLY, BENCH_LIVE_ONLY: only the
  // scenarios asked for.
  const onlyAsked = (
    [
      ["accounts", options.accountsOnly],
      ["volume", options.volumeOnly],
      ["search", options.searchOnly],
      ["live", options.liveOnly],
      ["webhooks", options.webhooksOnly],
    ] as const
  )
    .filter(([, asked]) => asked)
    .map(([name]) => name);
  const only = onlyAsked.length > 0;
  const wanted = (name: (typeof onlyAsked)[number]) => !only || onlyAsked.includes(name);
  // One account: c and d on SQLite at every size, RSS, a, b, b', MariaDB, e and f.
  if (!only) {
    await readScenarios(bench, tmp);
    if (mariadb) {
      await mariadbScenarios(bench, server);
    } else {
      bench.notes.push(
        "MariaDB was not reachable (or BENCH_SKIP_MYSQL=1): d, c, e, f on MariaDB were not measured",
      );
    }
  } else {
    bench.notes.push(
      onlyAsked.map((name) => `BENCH_${name.toUpperCase()}_ONLY=1`).join(", ") +
        `: only the ${onlyAsked.join(" and ")} scenario${onlyAsked.length > 1 ? "s were" : " was"} run`,
    );
  }

  // Many accounts on SQLite.
  if (!wanted("accounts")) {
    // Only other scenarios were asked for.
  } else if (options.accounts) {
    await accountsScenario(bench, tmp);
  } else {
    bench.notes.push("BENCH_ACCOUNTS below 2: the accounts scenario was not run");
  }

  // Leads and calls at production volume on MariaDB.
  if (!wanted("volume")) {
    // Only other scenarios were asked for.
  } else if (!options.volume) {
    bench.notes.push("BENCH_SKIP_VOLUME=1: the volume scenario was not run");
  } else if (!mariadb) {
    bench.notes.push("MariaDB was not reachable: the volume scenario was not run");
  } else {
    bench.volume = await volumeScenario(server, options.volume, progress, addCleanup);
    for (const lookup of bench.volume.lookups) {
      bench.check(
        `volume: ${lookup.name}`,
        lookup.pass,
        `p50 ${lookup.p50} ms, p99 ${lookup.p99} ms (≤ ${VOLUME_TARGET_MS}); ×${lookup.growthP50} / ×${lookup.growthP99} of a tenth (≤ ${VOLUME_MAX_GROWTH})`,
      );
    }
  }

  // One account's name search while another holds many matching names: MariaDB and SQLite.
  if (!wanted("search")) {
    // Only other scenarios were asked for.
  } else if (!options.search) {
    bench.notes.push("BENCH_SKIP_SEARCH=1: the search scenario was not run");
  } else {
    if (!mariadb) {
      bench.notes.push(
        "MariaDB was not reachable (or BENCH_SKIP_MYSQL=1): the search scenario ran on SQLite only",
      );
    }
    bench.search = await searchScenario(
      mariadb ? server : null,
      tmp,
      options.search,
      progress,
      addCleanup,
    );
    for (const db of bench.search.dbs) {
      for (const lookup of db.lookups) {
        bench.check(
          `search (${db.db}): ${lookup.name}`,
          lookup.pass,
          `other account empty → ${db.largeLeads} leads: p50 ${lookup.empty.p50} → ${lookup.full.p50} ms (×${lookup.ratioP50}), p90 ${lookup.empty.p90} → ${lookup.full.p90} ms (×${lookup.ratioP90}) (each ≤ ×${SEARCH_MAX_GROWTH}); p99 ×${lookup.ratioP99}`,
        );
      }
    }
  }

  // Idle WebSocket subscribers: deliveries, memory, and their effect on (c) and (e).
  if (!wanted("live")) {
    // Only other scenarios were asked for.
  } else if (!options.live) {
    bench.notes.push("BENCH_SKIP_LIVE=1: the live scenario was not run");
  } else {
    const redis = options.live.redisUrl ? await redisVersion(options.live.redisUrl) : null;
    if (!mariadb) {
      bench.notes.push(
        "MariaDB was not reachable (or BENCH_SKIP_MYSQL=1): the live scenario's MariaDB run (e beside subscribers) was not measured",
      );
    }
    if (!redis) {
      bench.notes.push(
        options.live.redisUrl
          ? `Redis did not answer at ${options.live.redisUrl.replace(/\/\/[^@/]*@/, "//")}: the live scenario's REDIS_URL run was not measured`
          : "BENCH_SKIP_REDIS=1: the live scenario's REDIS_URL run was not measured",
      );
    }
    bench.live = await liveScenario(bench, tmp, options.live, mariadb ? server : null, redis);
  }

  // Webhooks to a local receiver: latency, deliveries per second, and (e) with one endpoint.
  if (!wanted("webhooks")) {
    // Only other scenarios were asked for.
  } else if (!options.webhooks) {
    bench.notes.push("BENCH_SKIP_WEBHOOKS=1: the webhooks scenario was not run");
  } else if (!mariadb) {
    bench.notes.push("MariaDB was not reachable: the webhooks scenario was not run");
  } else {
    bench.webhooks = await webhooksScenario(bench, server, options.webhooks);
  }

  // The cluster: (g) and (g') after everything else, so that its idle nodes share no other run.
  const missing = missingClusterTools();
  if (only) {
    // Only some scenarios were asked for.
  } else if (options.skipCluster || missing.length > 0) {
    bench.notes.push(
      options.skipCluster
        ? "BENCH_SKIP_CLUSTER=1: g and g' (Galera cluster) were not measured"
        : `g and g' (Galera cluster) were not measured: missing ${missing.join(", ")} (apt-get install -y mariadb-backup socat haproxy)`,
    );
  } else {
    await recordOnCluster(bench);
  }

  // Everything measured: the report.
  const report = buildReport(bench, machine, startedAt);
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
