/** The cluster scenario, (g) and (g'), on the Galera cluster of scripts/galera.sh (lib/cluster.ts). */
import type { Bench } from "../lib/bench";
import { addCleanup, removeCleanup } from "../lib/cleanups";
import { clusterNodePids, ensureCluster, HAPROXY_PORT } from "../lib/cluster";
import { createApiKey, createLeads } from "../lib/fixtures";
import { createDatabase, dropDatabase, parseServer } from "../lib/mysql";
import { progress } from "../lib/output";
import { createAdminKey, startService } from "../lib/service";

/**
 * (g) and (g'): recordCallResult as in (e), through one instance whose database is the Galera
 * cluster behind HAProxy (connections spread over the three nodes), with causal reads (the
 * default) and without.
 */
export async function recordOnCluster(bench: Bench): Promise<void> {
  const cluster = await ensureCluster();
  if (cluster.started) addCleanup(cluster.stop);
  progress(
    cluster.started ? "started the Galera cluster (scripts/galera.sh)" : "Galera cluster up",
  );
  const server = parseServer(`mysql://root@127.0.0.1:${HAPROXY_PORT}`);
  const name = await createDatabase(server);
  addCleanup(() => dropDatabase(server, name));
  const databaseUrl = `${server.base}/${name}`;
  const adminKey = await createAdminKey(databaseUrl);
  let leads: string[] = [];
  let systemKey = "";
  for (const causal of [true, false]) {
    const kind = causal ? "g" : "g'";
    const service = await startService(`service cluster ${kind}`, databaseUrl, true, {
      DATABASE_CAUSAL_READS: String(causal),
    });
    try {
      if (leads.length === 0) {
        systemKey = await createApiKey(service.url, adminKey, "SYSTEM");
        leads = await createLeads(service.url, systemKey, bench.options.leads);
      }
      await bench.probeRecord("e", service.url, systemKey, leads);
      await bench.measure(
        bench.writeSpec(service.url, systemKey, leads, kind),
        {
          kind,
          label: causal
            ? "service recordCallResult, HAProxy + 3 nodes"
            : "(g) with DATABASE_CAUSAL_READS=false",
          db: "galera",
          statuses: null,
          items: null,
        },
        service.child,
        clusterNodePids(),
      );
    } finally {
      await service.stop();
    }
  }
  if (cluster.started) {
    removeCleanup(cluster.stop);
    await cluster.stop();
  }
}
