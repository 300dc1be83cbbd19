/**
 * Durability of webhook deliveries across a crash: the compiled service (`dist/src/main.js`)
 * as a child process, killed with SIGKILL between a change's commit and its delivery, then
 * started again on the same database — the change is delivered.
 */
import path from "node:path";
import {
  API_KEY_PATTERN,
  cleanupProcesses,
  MAIN,
  postGraphQL,
  requireBuild,
  startReadyService,
  stopService,
  tempDir,
  withTimeout,
  type Running,
} from "../support/processes";
import {
  createTestDatabase,
  describeEachDatabaseKind,
  testDatabaseUrl,
  type TestDatabase,
} from "../support/harness";
import { WebhookReceiver } from "../support/webhook-receiver";

afterEach(cleanupProcesses);

async function gql<T>(url: string, key: string, query: string): Promise<T> {
  const response = await postGraphQL<T>(url, query, { key });
  if (response.body.errors?.length || !response.body.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.body.errors)}`);
  }
  return response.body.data;
}

async function kill(running: Running): Promise<void> {
  running.child.kill("SIGKILL");
  const exit = await withTimeout(running.exited, 10_000, "exit after SIGKILL");
  expect(exit.signal).toBe("SIGKILL");
}

describeEachDatabaseKind("webhooks through a crash", (kind) => {
  let database: TestDatabase | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    requireBuild(MAIN);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await database?.drop();
  });

  it("delivers a change whose process was killed -9 after its commit, once the service is back", async () => {
    const cwd = tempDir("cls-webhook-crash-");
    const databaseUrl =
      kind === "sqlite"
        ? `sqlite:${path.join(cwd, "statuses.db")}`
        : testDatabaseUrl((database = await createTestDatabase("mariadb")));
    const env = {
      DATABASE_URL: databaseUrl,
      NODE_ENV: "development",
      WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: "true",
      // A claim lasts 2 × 1 s + 5 s: an attempt cut by the crash is made again 7 s later.
      WEBHOOKS_TIMEOUT_SECONDS: "1",
    };
    let service = await startReadyService(cwd, env);
    const key = API_KEY_PATTERN.exec(service.running.stdout())?.[0];
    if (!key) throw new Error("no bootstrap key was logged");

    // The receiver takes the first attempt and never answers it.
    receiver.answer = (_request, index) => (index === 0 ? "hang" : { status: 200 });
    const { createWebhookEndpoint } = await gql<{
      createWebhookEndpoint: { endpoint: { id: string } };
    }>(
      service.url,
      key,
      `mutation { createWebhookEndpoint(input: { url: "${receiver.url}", events: ["call.recorded"] }) { endpoint { id } } }`,
    );
    const endpointId = createWebhookEndpoint.endpoint.id;
    const { createLead } = await gql<{ createLead: { id: string } }>(
      service.url,
      key,
      `mutation { createLead(input: { name: "Crash Lead" }) { id } }`,
    );
    // Answered while the receiver holds the delivery: the write never waits for it.
    const { recordCallResult } = await gql<{ recordCallResult: { call: { id: string } } }>(
      service.url,
      key,
      `mutation { recordCallResult(input: { leadId: "${createLead.id}", callStatusCode: "qualified" }) { call { id } } }`,
    );
    const callId = recordCallResult.call.id;
    const [hung] = await receiver.waitFor((all) => all.length >= 1);
    expect(hung).toMatchObject({ answered: "hung" });
    expect(hung.json).toMatchObject({ type: "call.recorded", entityId: callId });

    // Killed mid-attempt: nothing about it was recorded. Back up, it is sent again.
    await kill(service.running);
    service = await startReadyService(cwd, env);
    const delivered = await receiver.waitFor(
      (all) => all.some((r) => r.json.id === hung.json.id && r.answered === 200),
      30_000,
      "the delivery cut by the crash",
    );
    expect(delivered.filter((r) => r.json.id === hung.json.id)).toHaveLength(2);

    // Killed at once after the commit (before or during its delivery, whichever came first):
    // delivered once the service is back.
    const { recordCallResult: second } = await gql<{ recordCallResult: { call: { id: string } } }>(
      service.url,
      key,
      `mutation { recordCallResult(input: { leadId: "${createLead.id}", callStatusCode: "voicemail" }) { call { id } } }`,
    );
    await kill(service.running);
    service = await startReadyService(cwd, env);
    await receiver.waitFor(
      (all) => all.some((r) => r.json.entityId === second.call.id && r.answered === 200),
      30_000,
      "the change committed right before the crash",
    );

    const { webhookDeliveries } = await gql<{
      webhookDeliveries: {
        edges: Array<{ node: { eventId: string; status: string; attempts: number } }>;
      };
    }>(
      service.url,
      key,
      `{ webhookDeliveries(endpointId: "${endpointId}") { edges { node { eventId status attempts } } } }`,
    );
    const nodes = webhookDeliveries.edges.map((edge) => edge.node);
    expect(nodes).toHaveLength(2);
    // The attempt the crash cut short was never recorded: one attempt, succeeded.
    expect(nodes.find((n) => n.eventId === hung.json.id)).toEqual({
      eventId: hung.json.id,
      status: "SUCCEEDED",
      attempts: 1,
    });
    expect(nodes.every((n) => n.status === "SUCCEEDED")).toBe(true);
    expect(await stopService(service.running)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
