/** The printed table, the ratios against their targets, and the JSON result file. */
import fs from "node:fs";
import path from "node:path";
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
  checks: Check[];
  notes: string[];
}

export const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

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

export function writeReport(report: BenchReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  const file = path.join(dir, `bench-${stamp}${report.options.quick ? "-quick" : ""}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
