/**
 * The reads of one account: (c) and (d) on SQLite at every size of BENCH_SIZES, the RSS of (c)
 * over a sustained run, and the baselines (a), (b), (b') built from the service's own answer.
 * `serviceRuns` also measures (c) and (d) on MariaDB (scenarios/mariadb.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { Bench } from "../lib/bench";
import { startBenchServer } from "../lib/children";
import { createApiKey, seedStatuses } from "../lib/fixtures";
import { runLoad, type LoadResult } from "../lib/load";
import { rssMiB } from "../lib/machine";
import { MAIN_SIZE } from "../lib/options";
import { progress } from "../lib/output";
import { problems } from "../lib/report";
import { createAdminKey, startService, type RunningService } from "../lib/service";

/** c and d on SQLite at every size, the RSS run at the main size, then a, b and b'. */
export async function readScenarios(bench: Bench, tmp: string): Promise<void> {
  // c and d on SQLite at every size; RSS on the main size.
  let mainItems = 0;
  for (const size of bench.options.sizes) {
    const file = path.join(tmp, `statuses-${size}.db`);
    await serviceRuns(bench, "sqlite", `sqlite:${file}`, size, async (service, keys, items) => {
      if (size !== MAIN_SIZE) return;
      mainItems = items;
      await sustained(bench, service, keys.ai, items);
    });
  }

  // a, b, b' from the service's own answer.
  await baselines(bench, tmp, mainItems);
}

/**
 * c and d for one database and size: seeds a fresh database through the API, measures d
 * (cache off), restarts the service with the cache on and measures c. `after` runs extra work
 * on the cache-on service (RSS, recordCallResult).
 */
export async function serviceRuns(
  bench: Bench,
  db: "sqlite" | "mariadb",
  databaseUrl: string,
  size: number,
  after?: (
    service: RunningService,
    keys: { admin: string; ai: string },
    items: number,
  ) => Promise<void>,
): Promise<void> {
  const adminKey = await createAdminKey(databaseUrl);
  let items = 0;
  let aiKey = "";
  let dBody = "";
  const off = await startService(`service ${db} ${size} cache off`, databaseUrl, false);
  try {
    const seeded = Date.now();
    items = await seedStatuses(off.url, adminKey, size);
    aiKey = await createApiKey(off.url, adminKey, "AI_AGENT");
    progress(
      `seeded ${size} call statuses on ${db} in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
    );
    dBody = (await bench.verifyRead(off.url, aiKey, items, `d ${db} ${size}`)).body;
    bench.bodies.set(`${db}/${size}/off`, dBody);
    await bench.measure(
      bench.readSpec(off.url, aiKey, dBody),
      { kind: "d", label: `service, cache off, ${size} statuses`, db, statuses: size, items },
      off.child,
      db === "mariadb",
    );
  } finally {
    await off.stop();
  }

  const on = await startService(`service ${db} ${size} cache on`, databaseUrl, true);
  try {
    const cBody = (await bench.verifyRead(on.url, aiKey, items, `c ${db} ${size}`)).body;
    bench.bodies.set(`${db}/${size}/on`, cBody);
    bench.check(
      `c = d response (${db}, ${size})`,
      cBody === dBody,
      cBody === dBody
        ? `identical ${Buffer.byteLength(cBody)} bytes`
        : `bodies differ (${Buffer.byteLength(cBody)} vs ${Buffer.byteLength(dBody)} bytes)`,
    );
    await bench.measure(
      bench.readSpec(on.url, aiKey, cBody),
      { kind: "c", label: `service, cache on, ${size} statuses`, db, statuses: size, items },
      on.child,
      db === "mariadb",
    );
    if (after) await after(on, { admin: adminKey, ai: aiKey }, items);
  } finally {
    await on.stop();
  }
}

/** RSS of the cache-on service before, during and after a sustained run of c. */
async function sustained(
  bench: Bench,
  service: RunningService,
  aiKey: string,
  items: number,
): Promise<void> {
  const body = (await bench.verifyRead(service.url, aiKey, items, "sustained c")).body;
  const pid = service.child.pid;
  const beforeMiB = rssMiB(pid);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMiB(pid)), 1000);
  let load: LoadResult;
  try {
    load = await runLoad(
      { ...bench.readSpec(service.url, aiKey, body), connections: bench.options.connections },
      bench.options.sustainedSeconds,
    );
  } finally {
    clearInterval(sampler);
  }
  const afterMiB = rssMiB(pid);
  // Growth under load: the floor of the RSS (its lowest sample, right after a garbage
  // collection) in the run's second half against its first half. Under load the RSS climbs in
  // a sawtooth and drops at each major collection: a leak raises the floor; one sample, or
  // idle-before vs after, lands anywhere on the teeth.
  const measured = samples.filter(Number.isFinite);
  const half = Math.floor(measured.length / 2);
  const early = Math.min(...measured.slice(0, half));
  const late = Math.min(...measured.slice(half));
  const growthPct =
    measured.length >= 4
      ? Math.round(((late - early) / early) * 1000) / 10
      : Math.round(((afterMiB - beforeMiB) / beforeMiB) * 1000) / 10;
  bench.rss = {
    scenario: `c, sqlite, ${MAIN_SIZE} statuses`,
    seconds: bench.options.sustainedSeconds,
    beforeMiB,
    afterMiB,
    peakMiB: Math.max(beforeMiB, afterMiB, ...samples.filter(Number.isFinite)),
    growthPct,
    samplesMiB: samples,
    load,
  };
  progress(
    `RSS over ${bench.options.sustainedSeconds} s of c at ${load.rps} req/s: ` +
      `${beforeMiB} MiB → ${afterMiB} MiB (${growthPct >= 0 ? "+" : ""}${growthPct} %), ` +
      `err/non2xx/bad ${problems(load)}`,
  );
}

/** (a), (b), (b') from the service's own response for 100 statuses on SQLite. */
async function baselines(bench: Bench, tmp: string, items: number): Promise<void> {
  const reference = bench.bodies.get(`sqlite/${MAIN_SIZE}/on`)!;
  const bodyFile = path.join(tmp, "reference-body.json");
  const dataFile = path.join(tmp, "reference-data.json");
  fs.writeFileSync(bodyFile, reference);
  const parsed = JSON.parse(reference) as { data: { callStatuses: unknown[] } };
  fs.writeFileSync(dataFile, JSON.stringify(parsed.data.callStatuses));

  const bare = await startBenchServer("bare node:http", "bare-http.js", {
    BENCH_BODY_FILE: bodyFile,
  });
  try {
    const { body } = await bench.verifyRead(bare.url, undefined, items, "a");
    bench.check(
      "a returns the service's bytes",
      body === reference,
      `${Buffer.byteLength(body)} bytes`,
    );
    await bench.measure(
      bench.readSpec(bare.url, undefined, reference),
      {
        kind: "a",
        label: "bare node:http, pre-serialised body",
        db: "-",
        statuses: MAIN_SIZE,
        items,
      },
      bare.child,
      false,
    );
  } finally {
    await bare.child.stop();
  }

  for (const cached of [false, true]) {
    const kind = cached ? "b'" : "b";
    const server = await startBenchServer(`apollo ${kind}`, "apollo-baseline.js", {
      BENCH_DATA_FILE: dataFile,
      BENCH_RESPONSE_CACHE: cached ? "1" : "0",
    });
    try {
      const first = await bench.verifyRead(server.url, undefined, items, kind);
      bench.check(
        `${kind} returns the service's bytes`,
        first.body === reference,
        first.body === reference
          ? `identical ${Buffer.byteLength(first.body)} bytes`
          : `differs: ${Buffer.byteLength(first.body)} vs ${Buffer.byteLength(reference)} bytes`,
      );
      if (cached) {
        const second = await bench.verifyRead(server.url, undefined, items, kind);
        const age = second.headers.get("age");
        bench.check(
          "b' answers repeats from the response cache",
          age !== null,
          age !== null ? `"age: ${age}" on the second request` : "no age header on a repeat",
        );
      }
      const callsBefore = Number((await server.child.ask("stats")).resolverCalls);
      const result = await bench.measure(
        bench.readSpec(server.url, undefined, first.body),
        {
          kind,
          label: cached
            ? "@apollo/server + response-cache plugin"
            : "@apollo/server, SDL schema, constant",
          db: "-",
          statuses: MAIN_SIZE,
          items,
        },
        server.child,
        false,
      );
      const calls = Number((await server.child.ask("stats")).resolverCalls) - callsBefore;
      const load = result.load.requests;
      if (cached) {
        bench.check(
          "b' resolver runs during warm-up + measured load",
          calls <= 2,
          `${calls} resolver call(s) for ${load}+ requests (cache hits)`,
        );
      } else {
        bench.check(
          "b resolver runs once per request",
          calls >= load,
          `${calls} resolver calls for ${load} measured requests (+ warm-up)`,
        );
      }
    } finally {
      await server.child.stop();
    }
  }
}
