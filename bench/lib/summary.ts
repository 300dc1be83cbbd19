/**
 * What the report derives from the measurements: the ratios against their targets, c and d by
 * number of statuses, the check that no load had errors; then the whole JSON result.
 */
import os from "node:os";
import path from "node:path";
import { findScenario, type Bench } from "./bench";
import type { MachineInfo } from "./machine";
import { MAIN_SIZE, REPO_ROOT } from "./options";
import { problems } from "./report";
import type { BenchReport, Ratio, ScenarioResult } from "./results";

function ratio(
  name: string,
  top: ScenarioResult | undefined,
  bottom: ScenarioResult | undefined,
  min: number,
): Ratio {
  if (!top || !bottom)
    return { name, value: null, target: `≥ ${min}`, pass: null, detail: "not measured" };
  const value = top.load.rps / bottom.load.rps;
  return {
    name,
    value: Math.round(value * 100) / 100,
    target: `≥ ${min}`,
    pass: value >= min,
    detail: `${Math.round(top.load.rps)} / ${Math.round(bottom.load.rps)} req/s`,
  };
}

/** The JSON result of the run (checks the loads for errors first: the last check). */
export function buildReport(bench: Bench, machine: MachineInfo, startedAt: Date): BenchReport {
  const options = bench.options;
  const s = bench.scenarios;
  const c = findScenario(s, "c", "sqlite", MAIN_SIZE);
  const ratios: Ratio[] = [
    ratio("c/b", c, findScenario(s, "b", "-"), 8),
    ratio("c/b'", c, findScenario(s, "b'", "-"), 2),
    ratio("c/a", c, findScenario(s, "a", "-"), 0.55),
    c
      ? {
          name: `p99 of c (${options.connections} conn)`,
          value: c.load.latencyMs.p99,
          target: "≤ 5 ms",
          pass: c.load.latencyMs.p99 <= 5,
          detail: `p50 ${c.load.latencyMs.p50} ms`,
        }
      : { name: "p99 of c", value: null, target: "≤ 5 ms", pass: null, detail: "not measured" },
    ratio(
      "d/b (SQLite)",
      findScenario(s, "d", "sqlite", MAIN_SIZE),
      findScenario(s, "b", "-"),
      0.8,
    ),
    ratio(
      "d/b (MariaDB)",
      findScenario(s, "d", "mariadb", MAIN_SIZE),
      findScenario(s, "b", "-"),
      0.8,
    ),
    ratio("e/f (MariaDB)", findScenario(s, "e", "mariadb"), findScenario(s, "f", "mariadb"), 0.6),
    bench.rss
      ? {
          name: "RSS growth under sustained c",
          value: bench.rss.growthPct,
          target: "flat (≤ +10 %)",
          pass: bench.rss.growthPct <= 10,
          detail: `lowest RSS, 2nd vs 1st half of ${bench.rss.seconds} s (idle before ${bench.rss.beforeMiB} MiB)`,
        }
      : { name: "RSS growth", value: null, target: "flat", pass: null, detail: "not measured" },
  ];
  ratios.push(
    ratio(
      "c/b (MariaDB c)",
      findScenario(s, "c", "mariadb", MAIN_SIZE),
      findScenario(s, "b", "-"),
      5,
    ),
  );
  // The cluster against the single server: what multi-primary costs a write (no target).
  for (const [name, top] of [
    ["g/e (cluster / one server)", findScenario(s, "g", "galera")],
    ["g'/g (causal reads off / on)", findScenario(s, "g'", "galera")],
  ] as const) {
    const bottom = name.startsWith("g/e")
      ? findScenario(s, "e", "mariadb")
      : findScenario(s, "g", "galera");
    const measured = ratio(name, top, bottom, 0);
    ratios.push({ ...measured, target: "-", pass: null });
  }
  const scale: BenchReport["scale"] = [];
  for (const db of ["sqlite", "mariadb"] as const) {
    for (const size of options.sizes) {
      const cs = findScenario(s, "c", db, size);
      const ds = findScenario(s, "d", db, size);
      if (!cs && !ds) continue;
      scale.push({
        db,
        statuses: size,
        items: (cs ?? ds)!.items,
        bytes: Buffer.byteLength(
          bench.bodies.get(`${db}/${size}/on`) ?? bench.bodies.get(`${db}/${size}/off`) ?? "",
        ),
        c: cs ? { rps: cs.load.rps, p99: cs.load.latencyMs.p99 } : null,
        d: ds ? { rps: ds.load.rps, p99: ds.load.latencyMs.p99 } : null,
      });
    }
  }
  const unclean = [
    ...s,
    ...(bench.accounts?.runs ?? []),
    ...(bench.live?.runs.flatMap((run) => run.loads) ?? []),
  ].filter((x) => x.load.errors + x.load.non2xx + x.load.badBodies > 0);
  bench.check(
    "no errors, non-2xx or bad bodies under load",
    unclean.length === 0 &&
      (!bench.rss ||
        bench.rss.load.errors + bench.rss.load.non2xx + bench.rss.load.badBodies === 0),
    unclean.length === 0
      ? "all responses 2xx with the expected body"
      : unclean.map((x) => `${x.kind} ${x.db} ${x.statuses ?? ""}: ${problems(x.load)}`).join("; "),
  );

  const finishedAt = new Date();
  machine.loadAverageAtEnd = Math.round(os.loadavg()[0] * 100) / 100;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totalSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    options: { ...options, resultsDir: path.relative(REPO_ROOT, options.resultsDir) },
    machine,
    scenarios: s,
    scale,
    ratios,
    rss: bench.rss,
    accounts: bench.accounts,
    volume: bench.volume,
    search: bench.search,
    live: bench.live,
    webhooks: bench.webhooks,
    checks: bench.checks,
    notes: bench.notes,
  };
  return report;
}
