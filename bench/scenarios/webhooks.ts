/**
 * Webhooks on MariaDB, to a local receiver (an HTTP server in the bench process answering 204
 * at once), through one production instance of the service:
 *
 * - (e) recordCallResult with no webhook endpoint, then with one active endpoint taking
 *   `call.recorded` and `lead.updated` (every call moves its lead, so two deliveries per call);
 *   the endpoint's deliveries are made meanwhile by the same instance;
 * - commit-to-delivery latency: calls recorded one at a time at a steady pace, each timed from
 *   its mutation's response (the commit is acknowledged) to the arrival of its `call.recorded`
 *   at the receiver (a delivery that arrives before the response counts as 0);
 * - deliveries per second: a backlog queued while the endpoint is off, then sent at once when it
 *   is turned on, timed from the switch to the last arrival.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Bench } from "../lib/bench";
import { addCleanup } from "../lib/cleanups";
import { createApiKey, createLeads, recordBody } from "../lib/fixtures";
import { jsonHeaders, mustRequest, post } from "../lib/graphql";
import { summarizeLatency } from "../lib/latency";
import { createDatabase, dropDatabase, type MysqlServer } from "../lib/mysql";
import type { WebhooksOptions } from "../lib/options";
import { progress } from "../lib/output";
import type { WebhooksResult } from "../lib/results";
import { createAdminKey, startService } from "../lib/service";
import { sleep } from "../lib/util";

/** The receiver: arrival time (ms, performance.now) per event id and per call id. */
class Receiver {
  readonly arrivals = new Map<string, number>();
  readonly callArrivals = new Map<string, number>();
  received = 0;
  lastArrival = 0;
  url = "";
  private server?: http.Server;

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const at = performance.now();
        response.writeHead(204).end();
        this.received += 1;
        this.lastArrival = at;
        const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          id: string;
          type: string;
          entityId: string;
        };
        if (!this.arrivals.has(event.id)) this.arrivals.set(event.id, at);
        if (event.type === "call.recorded" && !this.callArrivals.has(event.entityId)) {
          this.callArrivals.set(event.entityId, at);
        }
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async waitFor(count: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.arrivals.size < count) {
      if (performance.now() > deadline) {
        throw new Error(
          `webhooks: ${this.arrivals.size} of ${count} events arrived in ${timeoutMs} ms`,
        );
      }
      await sleep(5);
    }
    return performance.now();
  }

  /** Waits until nothing has arrived for `quietMs`; answers the last arrival's time. */
  async quiet(quietMs: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() - this.lastArrival < quietMs) {
      if (performance.now() > deadline) throw new Error("webhooks: the deliveries never stopped");
      await sleep(50);
    }
    return this.lastArrival;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const SET_ACTIVE =
  "mutation Active($id: ID!, $active: Boolean!) { updateWebhookEndpoint(id: $id, input: { active: $active }) { id active } }";

export async function webhooksScenario(
  bench: Bench,
  server: MysqlServer,
  options: WebhooksOptions,
): Promise<WebhooksResult> {
  const name = await createDatabase(server);
  addCleanup(() => dropDatabase(server, name));
  const databaseUrl = `${server.base}/${name}`;
  const receiver = new Receiver();
  await receiver.start();
  addCleanup(() => receiver.stop());
  const adminKey = await createAdminKey(databaseUrl);
  const service = await startService("webhooks service", databaseUrl, true, {
    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: "true",
  });
  try {
    const systemKey = await createApiKey(service.url, adminKey, "SYSTEM");
    const leads = await createLeads(service.url, systemKey, bench.options.leads);
    await bench.probeRecord("e", service.url, systemKey, leads);

    // (e) without, then with one active endpoint: not rows of the main table.
    const recordCalls = (prefix: string, label: string) =>
      bench.measure(
        bench.writeSpec(service.url, systemKey, leads, prefix),
        { kind: "e", label, db: "mariadb", statuses: null, items: null },
        service.child,
        true,
        false,
      );
    const without = await recordCalls("e-no-webhooks", "recordCallResult, no webhook endpoint");
    const { createWebhookEndpoint } = await mustRequest<{
      createWebhookEndpoint: { endpoint: { id: string } };
    }>(
      service.url,
      adminKey,
      'mutation Hook($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["call.recorded", "lead.updated"] }) { endpoint { id } } }',
      { url: receiver.url },
    );
    const endpointId = createWebhookEndpoint.endpoint.id;
    const beforeWith = receiver.received;
    const withOne = await recordCalls("e-webhooks", "recordCallResult, one active endpoint");
    // What the load queued is sent: how far behind the deliveries were when it ended.
    const loadEnded = performance.now();
    const lastOfLoad = await receiver.quiet(3000, 600_000);
    const drainSeconds = Math.max(0, lastOfLoad - loadEnded) / 1000;
    const deliveredWithLoad = receiver.received - beforeWith;
    const logged = await deliveriesOf(service.url, adminKey, endpointId);
    bench.check(
      "webhooks: every delivery of (e) arrived once",
      logged === deliveredWithLoad && receiver.arrivals.size === receiver.received,
      `${logged} in the delivery log, ${deliveredWithLoad} received, ${receiver.received - receiver.arrivals.size} twice`,
    );
    progress(
      `webhooks: ${deliveredWithLoad} deliveries during and after (e); the last ${fmt(drainSeconds)} s after the load ended`,
    );

    // Commit-to-delivery latency, one call at a time at a steady pace.
    const latencies: number[] = [];
    const gap = 1000 / options.pacedRate;
    for (let i = 0; i < options.pacedCalls; i += 1) {
      const started = performance.now();
      const input = bench.nextRecord(leads, "paced");
      const reply = await post(service.url, recordBody(input), jsonHeaders(systemKey));
      const answered = performance.now();
      const callId = /"call":\{"id":"(\d+)"/.exec(reply.text)?.[1];
      if (reply.status !== 200 || !callId)
        throw new Error(`webhooks: paced call failed: ${reply.text.slice(0, 300)}`);
      const deadline = answered + 30_000;
      while (!receiver.callArrivals.has(callId)) {
        if (performance.now() > deadline)
          throw new Error(`webhooks: call ${callId} was not delivered within 30 s`);
        await sleep(1);
      }
      latencies.push(Math.max(0, receiver.callArrivals.get(callId)! - answered));
      const wait = started + gap - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const latency = summarizeLatency(latencies);
    progress(
      `webhooks: commit → delivery p50 ${latency.p50} ms, p99 ${latency.p99} ms (${latency.n} calls)`,
    );

    // Deliveries per second: a backlog queued while the endpoint is off, then sent at once.
    await mustRequest(service.url, adminKey, SET_ACTIVE, { id: endpointId, active: false });
    const backlogFrom = receiver.arrivals.size;
    for (let i = 0; i < options.backlogCalls; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, options.backlogCalls - i) }, () =>
          post(service.url, recordBody(bench.nextRecord(leads, "backlog")), jsonHeaders(systemKey)),
        ),
      );
    }
    await sleep(1500); // every entry numbered; the endpoint, off, keeps its cursor meanwhile
    const switched = performance.now();
    await mustRequest(service.url, adminKey, SET_ACTIVE, { id: endpointId, active: true });
    const events = options.backlogCalls * 2;
    const last = await receiver.waitFor(backlogFrom + events, 600_000);
    const backlogSeconds = (last - switched) / 1000;
    const perSecond = Math.round(events / backlogSeconds);
    progress(
      `webhooks: a backlog of ${events} events delivered in ${fmt(backlogSeconds)} s (${perSecond}/s)`,
    );

    const ratio = Math.round((withOne.load.rps / without.load.rps) * 100) / 100;
    return {
      concurrency: 16,
      e: {
        without: { rps: without.load.rps, p99: without.load.latencyMs.p99 },
        withEndpoint: { rps: withOne.load.rps, p99: withOne.load.latencyMs.p99 },
        ratio,
        serverCpuWithout: without.cpu.server,
        serverCpuWith: withOne.cpu.server,
        deliveredWithLoad,
        drainSeconds: Math.round(drainSeconds * 10) / 10,
      },
      latency,
      pacedRate: options.pacedRate,
      backlog: { events, seconds: Math.round(backlogSeconds * 100) / 100, perSecond },
    };
  } finally {
    await service.stop();
  }
}

/** How many deliveries the endpoint has (its log holds one row per event sent). */
async function deliveriesOf(url: string, adminKey: string, endpointId: string): Promise<number> {
  // The log is paged by 100: count its rows through the pages.
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const page: {
      webhookDeliveries: {
        edges: unknown[];
        pageInfo: { endCursor: string | null; hasNextPage: boolean };
      };
    } = await mustRequest(
      url,
      adminKey,
      "query Log($id: ID!, $after: String) { webhookDeliveries(endpointId: $id, first: 100, after: $after) { edges { cursor } pageInfo { endCursor hasNextPage } } }",
      { id: endpointId, after },
    );
    count += page.webhookDeliveries.edges.length;
    if (!page.webhookDeliveries.pageInfo.hasNextPage) return count;
    after = page.webhookDeliveries.pageInfo.endCursor;
  }
}

function fmt(value: number): string {
  return value.toFixed(1);
}
