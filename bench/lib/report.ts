/** The printed table, the ratios against their targets, and the JSON result file. */
import fs from "node:fs";
import path from "node:path";
import type { LatencySummary } from "./latency";
import type { LoadResult } from "./load";
import { out } from "./output";
import {
  SEARCH_MAX_GROWTH,
  VOLUME_MAX_GROWTH,
  VOLUME_TARGET_MS,
  type AccountsResult,
  type BenchReport,
  type LiveResult,
  type WebhooksResult,
  type MemorySample,
  type ScenarioResult,
  type SearchPhase,
  type SearchResult,
  type VolumeResult,
} from "./results";

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function row(cells: string[], widths: number[], rightAligned: boolean[]): string {
  return cells
    .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join("  ")
    .trimEnd();
}

export function table(headers: string[], rows: string[][], rightAligned: boolean[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [
    row(headers, widths, rightAligned),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map((r) => row(r, widths, rightAligned)),
  ];
}

/** `errors/non-2xx/bad bodies`. */
export function problems(load: LoadResult): string {
  return `${load.errors}/${load.non2xx}/${load.badBodies}`;
}

export function scenarioLine(s: ScenarioResult): string[] {
  return [
    s.kind,
    s.label,
    s.db,
    s.items === null ? "-" : String(s.items),
    fmt(s.load.rps, 0),
    fmt(s.load.latencyMs.p50, 2),
    fmt(s.load.latencyMs.p99, 2),
    problems(s.load),
    fmt(s.cpu.server, 0),
    s.cpu.database === null ? "-" : fmt(s.cpu.database, 0),
    fmt(s.cpu.runner, 0),
    fmt(s.cpu.other, 0),
    String(s.load.bytesPerResponse),
  ];
}

export const SCENARIO_HEADERS = [
  "",
  "scenario",
  "db",
  "items",
  "req/s",
  "p50 ms",
  "p99 ms",
  "err/non2xx/bad",
  "srv cpu%",
  "db cpu%",
  "cannon cpu%",
  "other cpu%",
  "bytes/resp",
];
export const SCENARIO_ALIGN = SCENARIO_HEADERS.map((_, i) => i >= 3);

export function printReport(report: BenchReport): void {
  const m = report.machine;
  out();
  out("=".repeat(100));
  out("Benchmark results");
  out(
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; node ${m.node}; ` +
      `MariaDB ${m.mariadb ?? "(not used)"}; autocannon ${m.autocannon}; @apollo/server ${m.apolloServer}`,
  );
  if (m.git)
    out(`code: commit ${m.git.commit}, ${m.git.dirtyFiles} changed file(s) in the working tree`);
  const o = report.options;
  out(
    `settings: ${o.connections} connections, ${o.warmupSeconds} s warm-up + ${o.durationSeconds} s ` +
      `measured per scenario, sustained run ${o.sustainedSeconds} s${o.quick ? " (--quick)" : ""}`,
  );
  out();
  for (const line of table(SCENARIO_HEADERS, report.scenarios.map(scenarioLine), SCENARIO_ALIGN))
    out(line);
  out(
    "cpu%: CPU time during the measured window of the server process, the database server, the " +
      "runner (autocannon) and everything else on the machine (noise); 100 = one core of " +
      `${m.cores}. err/non2xx/bad: connection errors, non-2xx responses, 2xx responses whose body ` +
      "was not the expected one (GraphQL errors, missing data).",
  );

  out();
  out("How c and d change with the number of statuses (req/s, p99 ms):");
  out(
    table(
      ["db", "statuses", "items", "bytes", "c req/s", "c p99", "d req/s", "d p99", "c/d"],
      report.scale.map((s) => [
        s.db,
        String(s.statuses),
        s.items === null ? "-" : String(s.items),
        String(s.bytes),
        s.c ? fmt(s.c.rps, 0) : "-",
        s.c ? fmt(s.c.p99, 2) : "-",
        s.d ? fmt(s.d.rps, 0) : "-",
        s.d ? fmt(s.d.p99, 2) : "-",
        s.c && s.d ? fmt(s.c.rps / s.d.rps, 2) : "-",
      ]),
      [false, true, true, true, true, true, true, true, true],
    ).join("\n"),
  );

  if (report.rss) {
    const r = report.rss;
    out();
    out(
      `RSS of the service (${r.scenario}) over a sustained ${r.seconds} s run at ` +
        `${fmt(r.load.rps, 0)} req/s: before ${fmt(r.beforeMiB, 1)} MiB, after ${fmt(r.afterMiB, 1)} MiB, ` +
        `peak ${fmt(r.peakMiB, 1)} MiB; growth of the floor (lowest sample of the second half vs the ` +
        `first) ${r.growthPct >= 0 ? "+" : ""}${fmt(r.growthPct, 1)} %; ` +
        `errors ${problems(r.load)}`,
    );
  }

  if (report.accounts) printAccounts(report.accounts);
  if (report.volume) printVolume(report.volume);
  if (report.search) printSearch(report.search);
  if (report.live) printLive(report.live);
  if (report.webhooks) printWebhooks(report.webhooks);

  out();
  out("Ratios (req/s) and targets:");
  out(
    table(
      ["ratio", "value", "target", "", "detail"],
      report.ratios.map((r) => [
        r.name,
        r.value === null ? "n/a" : fmt(r.value, 2),
        r.target,
        r.pass === null ? "n/a" : r.pass ? "PASS" : "FAIL",
        r.detail,
      ]),
      [false, true, false, false, false],
    ).join("\n"),
  );

  out();
  out("Checks:");
  for (const check of report.checks)
    out(`  ${check.ok ? "ok  " : "FAIL"}  ${check.name}: ${check.detail}`);
  if (report.notes.length > 0) {
    out();
    out("Notes:");
    for (const note of report.notes) out(`  - ${note}`);
  }
  out();
  out(`Total runtime: ${fmt(report.totalSeconds, 1)} s`);
}

function printVolume(v: VolumeResult): void {
  out();
  out(
    `Volume (MariaDB, ${v.accounts} accounts, single client, one request at a time, both ` +
      `volumes interleaved; innodb_buffer_pool_size ${v.bufferPoolMiB.during} MiB, was ` +
      `${v.bufferPoolMiB.before}; CPU stolen by the host meanwhile ${fmt(v.stealPct, 1)} % of a core):`,
  );
  out(
    `  target: ${v.full.leads} leads, ${v.full.calls} calls, seeded in ${fmt(v.full.seedSeconds, 1)} s; ` +
      `a tenth: ${v.tenth.leads} leads, ${v.tenth.calls} calls, seeded in ${fmt(v.tenth.seedSeconds, 1)} s`,
  );
  out(
    table(
      ["look-up", "p50 ms", "p99 ms", "tenth p50", "tenth p99", "×p50", "×p99", ""],
      v.lookups.map((l) => [
        l.name,
        fmt(l.p50, 2),
        fmt(l.p99, 2),
        fmt(l.tenthP50, 2),
        fmt(l.tenthP99, 2),
        fmt(l.growthP50, 2),
        fmt(l.growthP99, 2),
        l.pass ? "PASS" : "FAIL",
      ]),
      [false, true, true, true, true, true, true, false],
    ).join("\n"),
  );
  out(
    `  targets: p50 and p99 ≤ ${VOLUME_TARGET_MS} ms, and at most ${VOLUME_MAX_GROWTH}× those of a tenth of the volume`,
  );
}

function printSearch(s: SearchResult): void {
  out();
  out(
    `Search (single client, one request at a time): a small account's name search on two ` +
      `databases set up alike, timed in turns; then the large account of one of them gets leads ` +
      `whose first names all begin with "${s.namePrefix}"` +
      (s.bufferPoolMiB
        ? `; MariaDB innodb_buffer_pool_size ${s.bufferPoolMiB.during} MiB, was ${s.bufferPoolMiB.before}`
        : ""),
  );
  const phase = (p: SearchPhase) =>
    `load average ${fmt(p.loadAverage, 2)}, stolen ${fmt(p.stealPct, 1)} %, ${fmt(p.seconds, 0)} s`;
  for (const db of s.dbs) {
    out();
    out(
      `  ${db.db}: small account ${db.smallLeads} leads; large account empty, or ${db.largeLeads} ` +
        `leads (seeded in ${fmt(db.seedSeconds, 1)} s` +
        (db.settleSeconds === null ? "" : `, InnoDB settled in ${fmt(db.settleSeconds, 0)} s`) +
        `); ${fmt(db.totalSeconds, 0)} s in all`,
    );
    out(
      `    timed before the seeding: ${phase(db.phases.before)}; after: ${phase(db.phases.after)}`,
    );
    out(
      table(
        [
          "small account (AGENT)",
          "answer",
          "empty p50",
          "p99",
          `${db.largeLeads} p50`,
          "p99",
          "×p50",
          "×p99",
          "",
          "both empty ×p50",
          "×p99",
        ],
        db.lookups.map((l) => [
          l.name,
          l.expected,
          fmt(l.empty.p50, 2),
          fmt(l.empty.p99, 2),
          fmt(l.full.p50, 2),
          fmt(l.full.p99, 2),
          fmt(l.ratioP50, 2),
          fmt(l.ratioP99, 2),
          l.pass ? "PASS" : "FAIL",
          fmt(l.beforeSeeding.ratioP50, 2),
          fmt(l.beforeSeeding.ratioP99, 2),
        ]),
        [false, false, true, true, true, true, true, true, false, true, true],
      )
        .map((line) => `    ${line}`)
        .join("\n"),
    );
    out(
      table(
        ["large account's own (AGENT)", "answer", "n", "p50 ms", "p99 ms", "max ms"],
        db.own.map((o) => [
          o.name,
          o.expected,
          String(o.latency.n),
          fmt(o.latency.p50, 2),
          fmt(o.latency.p99, 2),
          fmt(o.latency.max, 2),
        ]),
        [false, false, true, true, true, true],
      )
        .map((line) => `    ${line}`)
        .join("\n"),
    );
    out(`    timed: ${phase(db.phases.own)}`);
  }
  out(
    `  ms, client-side. ×: full / empty, timed in the same stretch; "both empty": the same ` +
      `ratio before the seeding (the noise). Target: p50 and p90 full at most ${SEARCH_MAX_GROWTH}× empty.`,
  );
}

function printWebhooks(w: WebhooksResult): void {
  out();
  out(
    `Webhooks (MariaDB, one instance, WEBHOOKS_CONCURRENCY ${w.concurrency}, a local receiver ` +
      "answering 204 at once; one endpoint taking call.recorded and lead.updated: two deliveries per call):",
  );
  out(
    table(
      ["(e) recordCallResult", "req/s", "p99 ms", "server cpu%"],
      [
        [
          "no endpoint",
          fmt(w.e.without.rps, 0),
          fmt(w.e.without.p99, 2),
          fmt(w.e.serverCpuWithout, 1),
        ],
        [
          "one active endpoint",
          fmt(w.e.withEndpoint.rps, 0),
          fmt(w.e.withEndpoint.p99, 2),
          fmt(w.e.serverCpuWith, 1),
        ],
      ],
      [false, true, true, true],
    ).join("\n"),
  );
  out(
    `  with / without: ${fmt(w.e.ratio, 2)}; ${w.e.deliveredWithLoad} deliveries made meanwhile, ` +
      `the last ${fmt(w.e.drainSeconds, 1)} s after the load ended`,
  );
  out(
    `  commit → delivery (${w.latency.n} calls at ${w.pacedRate}/s, from the mutation's response): ` +
      `p50 ${fmt(w.latency.p50, 1)} ms, p90 ${fmt(w.latency.p90, 1)} ms, p99 ${fmt(w.latency.p99, 1)} ms, max ${fmt(w.latency.max, 1)} ms`,
  );
  out(
    `  a backlog of ${w.backlog.events} events sent when the endpoint is turned on: ` +
      `${fmt(w.backlog.seconds, 2)} s, ${w.backlog.perSecond} deliveries/s`,
  );
}

function printLive(l: LiveResult): void {
  out();
  out(
    `Live changes: idle WebSocket subscribers of callStatusesChanged, one subscription per ` +
      `connection, all on the default account's AGENT key, held by ${l.clientProcesses} client ` +
      `process(es); SUBSCRIPTIONS_MAX_PER_CREDENTIAL ${l.maxPerCredential}; open files limit ` +
      `${l.openFilesLimit}${l.redis ? `; Redis ${l.redis}` : ""}`,
  );
  out(`  subscription: ${l.query}`);
  out(
    `  ${l.changes} changes at each number (${l.otherChanges} on the other instances), one after another (an ADMIN updateCallStatus of ` +
      "qualified's title), each awaited by every subscriber; ms from the mutation's response " +
      "(negative: before it); p50 / p99 over the changes (p99 of so few is their max):",
  );
  const ms = (value: number) => fmt(value, 1);
  out(
    table(
      [
        "db",
        "bus",
        "subscribers",
        "items",
        "bytes",
        "mutation p50",
        "first p50",
        "first p99",
        "median p50",
        "last p50",
        "last p99",
        "deliveries/s",
        "stall p50",
        "stall max",
        "peak RSS MiB",
        "right",
        "missing/wrong/extra/stray/closed",
      ],
      l.runs.flatMap((run) =>
        run.deliveries.map((d) => [
          run.db,
          run.bus,
          String(d.subscribers),
          String(run.items),
          String(d.bytes),
          ms(d.mutationMs.p50),
          ms(d.firstMs.p50),
          ms(d.firstMs.p99),
          ms(d.medianMs.p50),
          ms(d.lastMs.p50),
          ms(d.lastMs.p99),
          fmt(d.subscribers / (Math.max(0.001, d.lastMs.p50 - d.firstMs.p50) / 1000), 0),
          ms(d.stallMs.p50),
          ms(d.stallMs.max),
          fmt(d.peakRssMiB, 0),
          String(d.delivered),
          `${d.missing}/${d.wrong}/${d.extra}/${d.strays}/${d.unexpectedCloses}`,
        ]),
      ),
      [false, false, ...Array<boolean>(14).fill(true), false],
    )
      .map((line) => `  ${line}`)
      .join("\n"),
  );
  out(
    "  deliveries/s: subscribers / (last p50 − first p50). stall: the longest a GET /healthz " +
      "(sent one after another from the mutation until every delivery arrived) took, per change.",
  );
  out();
  out(
    "  memory and idle CPU of the service after a quiet spell (RSS: the floor of its samples; " +
      "after GC: forced through the bench's wrapper), per subscriber against none:",
  );
  out(
    table(
      [
        "db",
        "bus",
        "subscribers",
        "RSS floor MiB",
        "after GC MiB",
        "heap used MiB",
        "RSS KiB/sub",
        "after GC KiB/sub",
        "heap KiB/sub",
        "idle srv cpu%",
        "fleet RSS MiB",
      ],
      l.runs.flatMap((run) =>
        [...run.memory, ...(run.leave ? [{ ...run.leave.memory, left: true }] : [])].map((m) => [
          run.db,
          run.bus,
          "left" in m
            ? `0 (after ${run.memory[run.memory.length - 1].subscribers} left)`
            : String(m.subscribers),
          fmt(m.floorMiB, 1),
          m.afterGc ? fmt(m.afterGc.rssMiB, 1) : "-",
          m.afterGc ? fmt(m.afterGc.heapUsedMiB, 1) : "-",
          m.perSubscriberKiB && !("left" in m) ? fmt(m.perSubscriberKiB.rss, 1) : "-",
          m.perSubscriberKiB?.rssAfterGc != null && !("left" in m)
            ? fmt(m.perSubscriberKiB.rssAfterGc, 1)
            : "-",
          m.perSubscriberKiB?.heapUsed != null && !("left" in m)
            ? fmt(m.perSubscriberKiB.heapUsed, 1)
            : "-",
          fmt(m.idleCpuPct, 1),
          fmt(m.fleetRssMiB, 1),
        ]),
      ),
      [false, false, false, true, true, true, true, true, true, true, true],
    )
      .map((line) => `  ${line}`)
      .join("\n"),
  );
  const loads = l.runs.flatMap((run) => run.loads);
  if (loads.length > 0) {
    out();
    out("  (c) and (e) beside the subscribers, the main table's settings:");
    for (const line of table(SCENARIO_HEADERS, loads.map(scenarioLine), SCENARIO_ALIGN))
      out(`  ${line}`);
  }
  for (const run of l.runs) {
    const connects = run.connects
      .map(
        (c) =>
          `${c.from}→${c.to} in ${fmt(c.seconds, 1)} s (${fmt((c.to - c.from) / c.seconds, 0)}/s)`,
      )
      .join(", ");
    out(
      `  ${run.db}, ${run.bus} bus: connected ${connects}` +
        (run.leave ? `; all left in ${fmt(run.leave.seconds, 1)} s` : ""),
    );
  }
}

function printAccounts(a: AccountsResult): void {
  const s = a.seeding;
  out();
  out(
    `Accounts: ${a.accounts} accounts × ${a.statusesPerAccount} call statuses on SQLite ` +
      `(${a.items} statuses, ${a.bytes} bytes per answer), one AI_AGENT key each`,
  );
  out(
    `seeding ${fmt(s.totalSeconds, 1)} s: ${a.accounts} accounts through createAccount ` +
      `${fmt(s.accountsSeconds, 1)} s, their keys through createApiKey ${fmt(s.keysSeconds, 1)} s; ` +
      `statuses of ${s.api.accounts} account(s) through the API ${fmt(s.api.seconds, 1)} s ` +
      `(${fmt(s.api.statusesPerSecond, 0)} statuses/s: all ${a.accounts} would take about ` +
      `${fmt(s.allThroughApiEstimateSeconds, 0)} s); statuses of the other ${s.sql.accounts} ` +
      `COPIED WITH SET-BASED SQL (bench shortcut, no audit entries): ${s.sql.callStatuses} call ` +
      `and ${s.sql.leadStatuses} lead statuses in ${fmt(s.sql.seconds, 1)} s`,
  );
  out();
  const rows = a.runs.map((r) => scenarioLine(r));
  if (a.singleAccount) {
    const c = a.singleAccount;
    rows.push([
      "c",
      "(one account, from the table above)",
      "sqlite",
      String(a.items),
      fmt(c.rps, 0),
      fmt(c.p50, 2),
      fmt(c.p99, 2),
      "",
      fmt(c.serverCpu, 0),
      "",
      "",
      "",
      "",
    ]);
  }
  for (const line of table(SCENARIO_HEADERS, rows, SCENARIO_ALIGN)) out(line);
  const [large, long] = a.runs.filter((r) => r.cacheMaxAccounts >= a.accounts);
  const small = a.runs.find((r) => r.cacheMaxAccounts < a.accounts);
  const ratios: string[] = [];
  const one = a.singleAccount;
  if (large && one) ratios.push(`all cached / one account ${fmt(large.load.rps / one.rps, 2)}`);
  if (long && one)
    ratios.push(
      `all cached, refresh ${long.refreshMs / 1000} s / one account ${fmt(long.load.rps / one.rps, 2)}`,
    );
  if (large && small)
    ratios.push(`evicting / all cached ${fmt(small.load.rps / large.load.rps, 3)}`);
  if (ratios.length > 0) out(`req/s: ${ratios.join("; ")}`);
  // CPU of the server per request: (% of one core) × 10 / (req/s) = ms.
  const cpuMs = (cpu: number, rps: number) => `${fmt((cpu * 10) / rps, 2)} ms`;
  out(
    "server CPU per request: " +
      [
        ...(a.singleAccount
          ? [`one account ${cpuMs(a.singleAccount.serverCpu, a.singleAccount.rps)}`]
          : []),
        ...a.runs.map(
          (r) =>
            `cache ${r.cacheMaxAccounts}, refresh ${r.refreshMs / 1000} s ` +
            cpuMs(r.cpu.server, r.load.rps),
        ),
      ].join("; "),
  );

  const mem = a.memory;
  const gc = (sample: MemorySample) =>
    sample.afterGc
      ? `after a forced GC: RSS ${fmt(sample.afterGc.rssMiB, 1)}, heap used ${fmt(sample.afterGc.heapUsedMiB, 1)}, ` +
        `buffers ${fmt(sample.afterGc.arrayBuffersMiB, 1)} MiB`
      : "no forced GC";
  out();
  out(
    `memory, before warming (one account cached): RSS ${fmt(mem.before.rssMiB, 1)} MiB; ${gc(mem.before)}`,
  );
  out(
    `memory, after warming all ${mem.cachedAccounts} (${fmt(mem.warmAllSeconds, 1)} s): RSS ` +
      `${fmt(mem.after.rssMiB, 1)} MiB; ${gc(mem.after)}; after the load: RSS ${fmt(mem.afterLoadRssMiB, 1)} MiB`,
  );
  const per = mem.perAccountKiB;
  const kib = (value: number | null) => (value === null ? "-" : `${fmt(value, 0)} KiB`);
  out(
    `per cached account: RSS ${kib(per.rss)} (as is), ${kib(per.rssAfterGc)} (after GC); heap used ` +
      `${kib(per.heapUsed)}, buffers outside the heap (stored answers) ${kib(per.external)}`,
  );
  if (mem.smallCache) {
    out(
      `evicting instance after its load: RSS ${fmt(mem.smallCache.rssMiB, 1)} MiB; ${gc(mem.smallCache)}`,
    );
  }
  const lat = (l: LatencySummary) =>
    `p50 ${fmt(l.p50, 2)} ms, p90 ${fmt(l.p90, 2)}, max ${fmt(l.max, 2)}, mean ${fmt(l.mean, 2)}`;
  out();
  out(
    `one request at a time, ${a.cold.probes} accounts nothing was cached for (client-side ` +
      `latency, HTTP client included):`,
  );
  out(`  1st request of an account (key, lists, query): ${lat(a.cold.firstMs)}`);
  out(`  2nd request, right after:                      ${lat(a.cold.secondMs)}`);
  out(`  3rd request, right after:                      ${lat(a.cold.thirdMs)}`);
  out(`  4th request, over STATUS_CACHE_REFRESH_MS later: ${lat(a.cold.afterIdleMs)}`);
  if (a.statements.length > 0) {
    const kinds = [...new Set(a.statements.flatMap((st) => Object.keys(st.byKind)))].sort();
    out();
    out(
      "SQL statements per request, and the share of requests answered with a stored response " +
        "(LOG_LEVEL=trace instances, not the measured ones):",
    );
    out(
      table(
        ["phase", "requests", "stored", "total", ...kinds],
        a.statements.map((st) => [
          st.phase,
          String(st.requests),
          `${fmt((100 * st.storedAnswers) / Math.max(1, st.requests), 0)} %`,
          fmt(st.total / Math.max(1, st.requests), 3),
          ...kinds.map((k) => fmt((st.byKind[k] ?? 0) / Math.max(1, st.requests), 3)),
        ]),
        [false, true, true, true, ...kinds.map(() => true)],
      ).join("\n"),
    );
  }
}

export function writeReport(report: BenchReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  const file = path.join(dir, `bench-${stamp}${report.options.quick ? "-quick" : ""}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
