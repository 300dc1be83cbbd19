/**
 * Two instances on one MariaDB database deliver each event once per attempt: claims are
 * conditional UPDATEs (one instance wins each), fan-out moves each endpoint's cursor once.
 * (SQLite serves one instance: its database is a file of one process.)
 */
import { inAccount } from "../../src/db/account-scope";
import { runTransaction } from "../../src/db/writes";
import { WebhookRepository, newDelivery } from "../../src/webhooks/webhook.repository";
import type { WebhookDelivery } from "../../src/webhooks/webhook-delivery.entity";
import {
  createTestDatabase,
  TestServer,
  testDatabases,
  type TestDatabase,
} from "../support/harness";
import { WebhookReceiver } from "../support/webhook-receiver";

const describeOnMariaDb = testDatabases().includes("mariadb") ? describe : describe.skip;

describeOnMariaDb("webhooks from two instances [mariadb]", () => {
  let database: TestDatabase;
  const a = new TestServer("mariadb");
  const b = new TestServer("mariadb");
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    database = await createTestDatabase("mariadb");
    await a.start({}, { database });
    await b.start({}, { database });
  });
  afterAll(async () => {
    await b.stop();
    await a.stop();
    await database?.drop();
    await receiver.stop();
  });

  async function createLead(server: TestServer, name: string): Promise<string> {
    const { createLead } = await server.ok<{ createLead: { id: string } }>(
      `mutation($name: String!) { createLead(input: { name: $name }) { id } }`,
      { name },
    );
    return createLead.id;
  }

  it("sends each event once when every attempt succeeds, whichever instance committed it", async () => {
    receiver.answer = () => ({ status: 200, delayMs: 5 });
    const { createWebhookEndpoint } = await a.ok<{
      createWebhookEndpoint: { endpoint: { id: string } };
    }>(
      `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["call.recorded", "lead.created"] }) { endpoint { id } } }`,
      { url: receiver.url },
    );
    const leads = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createLead(i % 2 ? a : b, `Two Instances ${i}`)),
    );
    const writes: Array<Promise<unknown>> = [];
    for (let round = 0; round < 5; round += 1) {
      leads.forEach((leadId, i) =>
        writes.push(
          (i % 2 ? b : a).ok(
            `mutation($lead: ID!) { recordCallResult(input: { leadId: $lead, callStatusCode: "voicemail" }) { call { id } } }`,
            { lead: leadId },
          ),
        ),
      );
    }
    await Promise.all(writes);
    const expected = leads.length + writes.length;
    await receiver.waitFor((all) => new Set(all.map((r) => r.json.id)).size >= expected, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // any duplicate would have come
    const ids = receiver.received.map((r) => r.json.id as string);
    expect(ids).toHaveLength(expected);
    expect(new Set(ids).size).toBe(expected);
    // Each lead's events arrived in the order of the feed.
    for (const leadId of leads) {
      const order = receiver.received
        .filter((r) => r.json.leadId === leadId)
        .map((r) => Number(r.json.id));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    const { webhookDeliveries } = await b.ok<{
      webhookDeliveries: { edges: Array<{ node: { status: string; attempts: number } }> };
    }>(
      `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) { edges { node { status attempts } } } }`,
      { id: createWebhookEndpoint.endpoint.id },
    );
    expect(webhookDeliveries.edges).toHaveLength(expected);
    expect(
      webhookDeliveries.edges.every((e) => e.node.status === "SUCCEEDED" && e.node.attempts === 1),
    ).toBe(true);
    await a.ok(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { active: false }) { id } }`,
      {
        id: createWebhookEndpoint.endpoint.id,
      },
    );
  }, 60_000);

  it("gives each delivery to one claimant when both instances claim the same ones at once", async () => {
    const { createWebhookEndpoint } = await a.ok<{
      createWebhookEndpoint: { endpoint: { id: string } };
    }>(
      `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["lead.created"] }) { endpoint { id } } }`,
      { url: receiver.url },
    );
    const endpointId = Number(createWebhookEndpoint.endpoint.id);
    // Turned off, so that no dispatcher takes the rows while the test claims them itself.
    await a.ok(
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { active: false }) { id } }`,
      {
        id: String(endpointId),
      },
    );
    const repositoryA = a.app.container.get(WebhookRepository);
    const repositoryB = b.app.container.get(WebhookRepository);
    const now = Date.now();
    const entries = Array.from({ length: 60 }, (_, i) => ({
      id: 900_000 + i,
      seq: 900_000 + i,
      type: "lead.created" as const,
      entityId: 900_000 + i,
      leadId: 900_000 + i,
    }));
    await inAccount(1, () =>
      runTransaction(a.app.dataSource, (tx) =>
        repositoryA.insertDeliveries(
          tx,
          entries.map((entry) => newDelivery(endpointId, entry as never, now)),
        ),
      ),
    );
    const candidates = (await repositoryA.due(now + 1, 1000)).length; // none: the endpoint is off
    expect(candidates).toBe(0);
    const rows = (await a.app.dataSource.query(
      "SELECT * FROM webhook_deliveries WHERE endpoint_id = ?",
      [endpointId],
    )) as Array<{ id: number }>;
    const stubs = rows.map((row) => ({ id: Number(row.id) }) as WebhookDelivery);
    const claims = await Promise.all([
      repositoryA.claim(stubs, now, now + 60_000),
      repositoryB.claim(stubs, now, now + 60_000),
      repositoryA.claim(stubs, now, now + 60_000),
      repositoryB.claim(stubs, now, now + 60_000),
    ]);
    const claimed = claims.flatMap((claim) => claim.claimed.map((d) => Number(d.id)));
    expect(claimed.sort((x, y) => x - y)).toEqual(stubs.map((s) => s.id).sort((x, y) => x - y));
    // Held: nobody claims them again until the claims run out.
    expect((await repositoryB.claim(stubs, now + 1, now + 60_000)).claimed).toEqual([]);
    expect((await repositoryB.claim(stubs, now + 60_001, now + 120_000)).claimed).toHaveLength(60);
  });
});
