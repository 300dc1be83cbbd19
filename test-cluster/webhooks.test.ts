/**
 * Webhooks on the Galera cluster: the instances on the three nodes all deliver, so their claims
 * on one delivery row race through three nodes (a certification conflict for all but one);
 * each event still arrives once, and each lead's events in the order of the feed.
 */
import { WebhookReceiver } from "../test/support/webhook-receiver";
import { clusterState, ok, sleep, type InstanceName } from "./support/cluster";

const state = clusterState();
const key = state.adminKey;
const url = (name: InstanceName) => state.instances[name].url;
const receiver = new WebhookReceiver();

beforeAll(() => receiver.start());
afterAll(() => receiver.stop());

describe("webhooks on the cluster", () => {
  it("delivers each event once, in order per lead, with instances on every node claiming", async () => {
    receiver.answer = () => ({ status: 200, delayMs: 5 });
    const { createWebhookEndpoint } = await ok<{
      createWebhookEndpoint: { endpoint: { id: string } };
    }>(
      url("node1"),
      key,
      `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["call.recorded", "lead.created"] }) { endpoint { id } } }`,
      { url: receiver.url },
    );
    const nodes: InstanceName[] = ["node1", "node2", "node3"];
    const leads: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const { createLead } = await ok<{ createLead: { id: string } }>(
        url(nodes[i % 3]),
        key,
        `mutation($name: String!) { createLead(input: { name: $name }) { id } }`,
        { name: `Cluster Webhook Lead ${i}` },
      );
      leads.push(createLead.id);
    }
    const writes: Array<Promise<unknown>> = [];
    for (let round = 0; round < 5; round += 1) {
      leads.forEach((lead, i) =>
        writes.push(
          ok(
            url(nodes[(i + round) % 3]),
            key,
            `mutation($lead: ID!) { recordCallResult(input: { leadId: $lead, callStatusCode: "voicemail" }) { call { id } } }`,
            { lead },
          ),
        ),
      );
    }
    await Promise.all(writes);
    const expected = leads.length + writes.length;
    // The endpoint also gets what entered the feed after its creation but was committed just
    // before it (the earlier tests' last changes): only this test's leads are counted.
    const ours = () => receiver.received.filter((r) => leads.includes(String(r.json.leadId)));
    await receiver.waitFor(
      () => new Set(ours().map((r) => r.json.id)).size >= expected,
      60_000,
      "every event",
    );
    await sleep(2_000); // a duplicate would have come by now
    const ids = ours().map((r) => String(r.json.id));
    expect(new Set(ids).size).toBe(expected);
    expect(ids).toHaveLength(expected);
    // Nothing at all came twice.
    const all = receiver.received.map((r) => String(r.json.id));
    expect(new Set(all).size).toBe(all.length);
    for (const lead of leads) {
      const order = receiver.received
        .filter((r) => r.json.leadId === lead)
        .map((r) => Number(r.json.id));
      expect(order).toHaveLength(6);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    const { webhookDeliveries } = await ok<{
      webhookDeliveries: { edges: Array<{ node: { status: string; attempts: number } }> };
    }>(
      url("node3"),
      key,
      `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) { edges { node { status attempts } } } }`,
      { id: createWebhookEndpoint.endpoint.id },
    );
    expect(webhookDeliveries.edges).toHaveLength(all.length);
    expect(
      webhookDeliveries.edges.every((e) => e.node.status === "SUCCEEDED" && e.node.attempts === 1),
    ).toBe(true);
  });
});
