/**
 * One account on MariaDB: (c) and (d) at 100 statuses on a fresh database, then, on the same
 * database, (e) recordCallResult through the cache-on service and (f) the same statements with
 * raw mysql2 behind bare node:http.
 */
import type { Bench } from "../lib/bench";
import { addCleanup } from "../lib/cleanups";
import { startBenchServer } from "../lib/children";
import { createApiKey, createLeads } from "../lib/fixtures";
import { createDatabase, dropDatabase, type MysqlServer } from "../lib/mysql";
import { MAIN_SIZE } from "../lib/options";
import type { RunningService } from "../lib/service";
import { sleep } from "../lib/util";
import { serviceRuns } from "./reads";

/** c and d at 100 statuses, e on the same cache-on instance, then f. */
export async function mariadbScenarios(bench: Bench, server: MysqlServer): Promise<void> {
  const name = await createDatabase(server);
  addCleanup(() => dropDatabase(server, name));
  const databaseUrl = `${server.base}/${name}`;
  let leads: string[] = [];
  let serviceReply = "";
  await serviceRuns(bench, "mariadb", databaseUrl, MAIN_SIZE, async (service, keys) => {
    const systemKey = await createApiKey(service.url, keys.admin, "SYSTEM");
    leads = await createLeads(service.url, systemKey, bench.options.leads);
    serviceReply = await recordThroughService(bench, service, systemKey, leads);
  });
  await sleep(500);
  await recordRaw(bench, databaseUrl, leads, serviceReply);
}

/** (e) recordCallResult through the service, on its cache-on MariaDB instance. */
async function recordThroughService(
  bench: Bench,
  service: RunningService,
  systemKey: string,
  leads: string[],
): Promise<string> {
  const probe = await bench.probeRecord("e", service.url, systemKey, leads);
  await bench.measure(
    bench.writeSpec(service.url, systemKey, leads, "e"),
    { kind: "e", label: "service recordCallResult", db: "mariadb", statuses: null, items: null },
    service.child,
    true,
  );
  return probe.text;
}

/** (f) the raw mysql2 equivalent, on the same database. */
async function recordRaw(
  bench: Bench,
  databaseUrl: string,
  leads: string[],
  serviceReply: string,
): Promise<void> {
  const raw = await startBenchServer("raw mysql2", "raw-mysql.js", {
    BENCH_MYSQL_DATABASE_URL: databaseUrl,
  });
  try {
    const probe = await bench.probeRecord("f", raw.url, undefined, leads);
    bench.check(
      "f answers in the shape of e",
      shapeOf(probe.text) === shapeOf(serviceReply),
      `${probe.text.slice(0, 160)}…`,
    );
    await bench.measure(
      bench.writeSpec(raw.url, undefined, leads, "f"),
      {
        kind: "f",
        label: "raw mysql2 transaction behind node:http",
        db: "mariadb",
        statuses: null,
        items: null,
      },
      raw.child,
      true,
    );
  } finally {
    await raw.child.stop();
  }
}

/** The structure of a JSON text: keys and value types, not values. */
function shapeOf(text: string): string {
  const shape = (value: unknown): unknown =>
    value === null
      ? "null"
      : Array.isArray(value)
        ? value.map(shape)
        : typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
          : typeof value;
  return JSON.stringify(shape(JSON.parse(text)));
}
