/**
 * The accounts scenario's SQL statements per request, by purpose, and the share of requests
 * answered with a stored response: counted from the log of separate LOG_LEVEL=trace instances
 * (not the measured ones), for the first requests of a few accounts and for short loads.
 */
import {
  everyAccountOnce,
  LONG_REFRESH_MS,
  REFRESH_MS,
  sqlKind,
  type SeededAccounts,
} from "../lib/accounts";
import type { Bench } from "../lib/bench";
import type { Child } from "../lib/children";
import { runLoad, type LoadSpec } from "../lib/load";
import { progress } from "../lib/output";
import { problems } from "../lib/report";
import type { StatementCount } from "../lib/results";
import { startService } from "../lib/service";
import { inParallel, sleep } from "../lib/util";

/**
 * Counts what a service started with LOG_LEVEL=trace logs: the SQL statements (one `"msg":"sql"`
 * line each), by purpose, and the requests (one `"msg":"request"` line each, written once the
 * response is sent), with those answered by a stored response (`"cache":"hit"`). Only on
 * instances that are not measured: the logging costs time.
 */
class StatementCounter {
  private requests = 0;
  private hits = 0;
  private total = 0;
  private byKind: Record<string, number> = {};
  private lastLineAt = Date.now();
  readonly stop: () => void;

  constructor(child: Child) {
    this.stop = child.onStdoutLine((line) => {
      this.lastLineAt = Date.now();
      if (line.includes('"msg":"request"')) {
        this.requests += 1;
        if (line.includes('"cache":"hit"')) this.hits += 1;
        return;
      }
      if (!line.includes('"msg":"sql"')) return;
      let sql = "";
      try {
        sql = String((JSON.parse(line) as { sql?: unknown }).sql ?? "");
      } catch {
        return;
      }
      this.total += 1;
      const kind = sqlKind(sql);
      this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    });
  }

  /**
   * Waits until nothing was logged for `quietMs` since the later of the last line and `from`,
   * and at least `requests` request lines have arrived (at most `maxMs`).
   */
  async quiet(quietMs: number, from = 0, requests = 0, maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (
      Date.now() < deadline &&
      (this.requests < requests || Date.now() - Math.max(this.lastLineAt, from) < quietMs)
    ) {
      await sleep(10);
    }
  }

  /**
   * What was logged during `work` (after which the log is let go quiet). `expectRequests`: how
   * many requests `work` makes, if known (their log lines come after their responses).
   */
  async during(
    phase: string,
    work: () => Promise<void>,
    { quietMs = 200, expectRequests = 0 } = {},
  ): Promise<StatementCount> {
    await this.quiet(quietMs);
    const before = { requests: this.requests, hits: this.hits, total: this.total };
    const byKind = { ...this.byKind };
    await work();
    await this.quiet(quietMs, Date.now(), before.requests + expectRequests);
    return {
      phase,
      requests: this.requests - before.requests,
      storedAnswers: this.hits - before.hits,
      total: this.total - before.total,
      byKind: Object.fromEntries(
        Object.entries(this.byKind)
          .map(([kind, n]) => [kind, n - (byKind[kind] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      ),
    };
  }
}

/** The SQL statements behind each case, on instances that log every statement. */
export async function accountsStatements(
  bench: Bench,
  seeded: SeededAccounts,
): Promise<StatementCount[]> {
  const opts = bench.options.accounts!;
  const count = opts.count;
  const { databaseUrl, codes, aiKeys, items, expected } = seeded;
  const rr = seeded.label;
  const statements: StatementCount[] = [];
  const window = bench.options.quick ? 1 : 3;
  const countedLoad = async (
    counter: StatementCounter,
    phase: string,
    makeSpec: () => Omit<LoadSpec, "connections">,
  ) => {
    // One spec for the warm-up and the counted window: a round robin goes on where it was.
    const spec = { ...makeSpec(), connections: bench.options.connections };
    await runLoad(spec, 1);
    statements.push(
      await counter.during(`${phase} (${window} s load)`, async () => {
        const load = await runLoad(spec, window);
        if (load.errors + load.non2xx + load.badBodies > 0) {
          throw new Error(`accounts, trace: ${phase}: ${problems(load)} under load`);
        }
      }),
    );
  };
  const traced = await startService(
    `service sqlite accounts trace cache ${opts.largeCache}`,
    databaseUrl,
    true,
    { LOG_LEVEL: "trace", STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache) },
  );
  try {
    const counter = new StatementCounter(traced.child);
    const sample = Array.from({ length: Math.min(10, count) }, (_, i) => i);
    const request = async (i: number) => {
      const reply = await bench.verifyRead(traced.url, aiKeys[i], items, codes[i]);
      if (reply.body !== expected[i]) throw new Error(`accounts: ${codes[i]} differs`);
    };
    // The log is let go quiet for 100 ms around each: the 2nd and 3rd requests still come
    // within half of STATUS_CACHE_REFRESH_MS of the 1st (no background check yet).
    const once = (phase: string, i: number) =>
      counter.during(phase, () => request(i), { quietMs: 100, expectRequests: 1 });
    // As the probes above, one account after the other; the log is let go quiet in between.
    for (const i of sample) {
      statements.push(await once("1st request of an account", i));
      statements.push(await once("2nd request, right after", i));
      statements.push(await once("3rd request, right after", i));
    }
    await sleep(REFRESH_MS + 200);
    for (const i of sample) {
      statements.push(await once(`4th request, ${REFRESH_MS / 1000} s+ later`, i));
    }
    await inParallel(
      Array.from({ length: count }, (_, i) => i),
      bench.options.connections,
      async (i) => {
        await request(i);
        await request(i);
      },
    );
    await countedLoad(counter, `one account (${codes[0]})`, () =>
      bench.readSpec(traced.url, aiKeys[0], expected[0]),
    );
    await countedLoad(counter, `${rr}, cache ${opts.largeCache}`, () =>
      bench.roundRobinSpec(traced.url, aiKeys, expected),
    );
    counter.stop();
  } finally {
    await traced.stop();
  }
  // Round robin on fresh traced instances: every account cached and confirmed for 60 s (two
  // requests each first, so that the answers are stored), and evicting.
  const tracedLoad = async (
    env: Record<string, string>,
    phase: string,
    requestsEach: number,
  ): Promise<void> => {
    const service = await startService(
      `service sqlite accounts trace ${phase}`,
      databaseUrl,
      true,
      { LOG_LEVEL: "trace", ...env },
    );
    try {
      const counter = new StatementCounter(service.child);
      for (let k = 0; k < requestsEach; k += 1) await everyAccountOnce(bench, service.url, seeded);
      await countedLoad(counter, phase, () => bench.roundRobinSpec(service.url, aiKeys, expected));
      counter.stop();
    } finally {
      await service.stop();
    }
  };
  await tracedLoad(
    {
      STATUS_CACHE_MAX_ACCOUNTS: String(opts.largeCache),
      STATUS_CACHE_REFRESH_MS: String(LONG_REFRESH_MS),
    },
    `${rr}, cache ${opts.largeCache}, refresh ${LONG_REFRESH_MS / 1000} s`,
    2,
  );
  await tracedLoad(
    { STATUS_CACHE_MAX_ACCOUNTS: String(opts.smallCache) },
    `${rr}, cache ${opts.smallCache}`,
    1,
  );
  // Requests one at a time: one entry per request; merged per phase.
  const merged: StatementCount[] = [];
  for (const entry of statements) {
    const same = merged.find((m) => m.phase === entry.phase);
    if (!same) {
      merged.push({ ...entry, byKind: { ...entry.byKind } });
      continue;
    }
    same.requests += entry.requests;
    same.storedAnswers += entry.storedAnswers;
    same.total += entry.total;
    for (const [kind, n] of Object.entries(entry.byKind))
      same.byKind[kind] = (same.byKind[kind] ?? 0) + n;
  }
  for (const m of merged) {
    progress(
      `accounts, SQL: ${m.phase}: ${(m.total / Math.max(1, m.requests)).toFixed(3)} statements per request ` +
        `(${Object.entries(m.byKind)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(", ")}; ${m.requests} requests)`,
    );
  }
  return merged;
}
