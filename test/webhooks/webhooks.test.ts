/**
 * Webhooks over HTTP, against a local receiver: endpoints (the secret once, validation,
 * audit), signed deliveries that verify with the `standardwebhooks` library, the payload equal
 * to the change feed's, retries with backoff (500, then 200), order per lead, endpoints turned
 * off after failures, redelivery, secret rotation, and the delivery log.
 */
import fs from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { Webhook } from "standardwebhooks";
import { webhookDefaults, type AppConfig } from "../../src/config";
import { describeEachDatabaseKind, expectError, TestServer } from "../support/harness";
import { createLead, recordCall } from "../support/leads-and-calls";
import { WebhookReceiver, type Received } from "../support/webhook-receiver";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Quick retries, so that a test sees the schedule run out in seconds. */
const QUICK: Partial<AppConfig> = {
  webhooks: {
    ...webhookDefaults,
    allowPrivateAddresses: true,
    timeoutMs: 2_000,
    firstRetryDelayMs: 100,
    maxRetryDelayMs: 200,
    retryForMs: 600,
    disableAfterFailures: 2,
  },
};

const ENDPOINT_FIELDS =
  "id url description events active disabledReason failedInRow previousSecretExpiresAt createdAt updatedAt";

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  active: boolean;
  disabledReason: string | null;
  failedInRow: number;
  previousSecretExpiresAt: string | null;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  completedAt: string | null;
  redelivery: boolean;
}

async function createEndpoint(
  server: TestServer,
  input: { url: string; events: string[]; description?: string },
): Promise<{ endpoint: Endpoint; secret: string }> {
  const { createWebhookEndpoint } = await server.ok<{
    createWebhookEndpoint: { endpoint: Endpoint; secret: string };
  }>(
    `mutation($input: CreateWebhookEndpointInput!) {
      createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } }
    }`,
    { input },
  );
  return createWebhookEndpoint;
}

async function updateEndpoint(server: TestServer, id: string, input: Record<string, unknown>) {
  const { updateWebhookEndpoint } = await server.ok<{ updateWebhookEndpoint: Endpoint }>(
    `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {
      updateWebhookEndpoint(id: $id, input: $input) { ${ENDPOINT_FIELDS} }
    }`,
    { id, input },
  );
  return updateWebhookEndpoint;
}

async function deliveries(server: TestServer, endpointId: string): Promise<Delivery[]> {
  const { webhookDeliveries } = await server.ok<{
    webhookDeliveries: { edges: Array<{ node: Delivery }> };
  }>(
    `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) { edges { node {
      id eventId eventType status attempts lastStatusCode lastError lastLatencyMs lastAttemptAt
      nextAttemptAt completedAt redelivery } } } }`,
    { id: endpointId },
  );
  return webhookDeliveries.edges.map((edge) => edge.node);
}

async function waitForDeliveries(
  server: TestServer,
  endpointId: string,
  predicate: (list: Delivery[]) => boolean,
  ms = 15_000,
): Promise<Delivery[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const list = await deliveries(server, endpointId);
    if (predicate(list)) return list;
    if (Date.now() > deadline)
      throw new Error(`deliveries not as expected: ${JSON.stringify(list)}`);
    await sleep(50);
  }
}

/** True when `entry` is the `call.recorded` event of `callId`. */
function isCall(entry: Received, callId: string): boolean {
  return entry.json.type === "call.recorded" && entry.json.entityId === callId;
}

/** The headers a receiver verifies, as the library wants them. */
function signed(entry: Received): Record<string, string> {
  return {
    "webhook-id": String(entry.headers["webhook-id"]),
    "webhook-timestamp": String(entry.headers["webhook-timestamp"]),
    "webhook-signature": String(entry.headers["webhook-signature"]),
  };
}

function verifies(secret: string, entry: Received): boolean {
  try {
    new Webhook(secret).verify(entry.body, signed(entry));
    return true;
  } catch {
    return false;
  }
}

/** The JSON Schema of each event type, as documented (docs/webhook-events/<type>.v1.json). */
const SCHEMA_DIR = path.join(__dirname, "..", "..", "docs", "webhook-events");
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true }));
const validators = new Map(
  fs.readdirSync(SCHEMA_DIR).map((file) => {
    const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), "utf8")) as {
      properties: { type: { const: string } };
    };
    return [schema.properties.type.const, ajv.compile(schema)] as const;
  }),
);

/** The schema problems of one payload (none when it matches its type's schema). */
function schemaProblems(payload: Record<string, unknown>): string[] {
  const validate = validators.get(String(payload.type));
  if (!validate) return [`no schema for type ${String(payload.type)}`];
  return validate(payload)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describeEachDatabaseKind("webhooks", (kind) => {
  const server = new TestServer(kind);
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    await server.start(QUICK);
  });
  afterAll(async () => {
    await server.stop();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.answer = () => ({ status: 200 });
  });

  describe("endpoints", () => {
    it("creates an endpoint and shows its secret once; lists it without; audits it", async () => {
      const { endpoint, secret } = await createEndpoint(server, {
        url: `${receiver.url}?list`,
        events: ["call.recorded", "call.recorded", "lead.updated"],
        description: "  CRM sync ",
      });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(endpoint).toMatchObject({
        url: `${receiver.url}?list`,
        description: "CRM sync",
        events: ["call.recorded", "lead.updated"],
        active: true,
        disabledReason: null,
        failedInRow: 0,
        previousSecretExpiresAt: null,
      });
      const { webhookEndpoints } = await server.ok<{ webhookEndpoints: Endpoint[] }>(
        `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
      );
      expect(webhookEndpoints.find((e) => e.id === endpoint.id)).toEqual(endpoint);
      // The type has no field that could hold the secret.
      const { __type } = await server.ok<{ __type: { fields: Array<{ name: string }> } }>(
        `{ __type(name: "WebhookEndpoint") { fields { name } } }`,
      );
      expect(__type.fields.map((f) => f.name).filter((n) => /secret/i.test(n))).toEqual([
        "previousSecretExpiresAt",
      ]);

      const { auditLog } = await server.ok<{
        auditLog: { edges: Array<{ node: { action: string; changes: unknown[] } }> };
      }>(
        `query($id: ID) { auditLog(filter: { entityType: WEBHOOK_ENDPOINT, entityId: $id }) {
          edges { node { action changes } } } }`,
        { id: endpoint.id },
      );
      expect(auditLog.edges.map((e) => e.node.action)).toEqual(["CREATE"]);
      expect(JSON.stringify(auditLog.edges)).not.toContain(secret);
      await updateEndpoint(server, endpoint.id, { active: false });
    });

    it("refuses bad input, naming the field, and writes nothing", async () => {
      const before = (
        await server.ok<{ webhookEndpoints: Endpoint[] }>(`{ webhookEndpoints { id } }`)
      ).webhookEndpoints.length;
      const create = (input: Record<string, unknown>) =>
        server.gql(
          `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
          { input },
        );
      expectError(
        await create({ url: receiver.url, events: ["call.made"] }),
        "BAD_USER_INPUT",
        "events",
      );
      expectError(await create({ url: receiver.url, events: [] }), "BAD_USER_INPUT", "events");
      expectError(
        await create({ url: "not a url", events: ["call.recorded"] }),
        "BAD_USER_INPUT",
        "url",
      );
      expectError(
        await create({ url: "ftp://example.com/hooks", events: ["call.recorded"] }),
        "BAD_USER_INPUT",
        "url",
      );
      expectError(
        await create({ url: "https://user:pw@example.com/hooks", events: ["call.recorded"] }),
        "BAD_USER_INPUT",
        "url",
      );
      expectError(
        await create({ url: `https://example.com/${"a".repeat(2048)}`, events: ["call.recorded"] }),
        "BAD_USER_INPUT",
        "url",
      );
      expectError(
        await create({ url: "https://no-such-host.invalid/hooks", events: ["call.recorded"] }),
        "BAD_USER_INPUT",
        "url",
      );
      const agentKey = await server.createKey("AGENT");
      const forbidden = await server.gql(`{ webhookEndpoints { id } }`, undefined, {
        "x-api-key": agentKey,
      });
      expectError(forbidden, "FORBIDDEN");
      const systemKey = await server.createKey("SYSTEM");
      expectError(
        await server.gql(
          `mutation { createWebhookEndpoint(input: { url: "${receiver.url}", events: ["call.recorded"] }) { secret } }`,
          undefined,
          { "x-api-key": systemKey },
        ),
        "FORBIDDEN",
      );
      expectError(
        await server.gql(
          `mutation { updateWebhookEndpoint(id: "999999", input: { active: false }) { id } }`,
        ),
        "NOT_FOUND",
      );
      const after = (
        await server.ok<{ webhookEndpoints: Endpoint[] }>(`{ webhookEndpoints { id } }`)
      ).webhookEndpoints.length;
      expect(after).toBe(before);
    });
  });

  describe("deliveries", () => {
    let endpoint: Endpoint;
    let secret: string;

    beforeAll(async () => {
      ({ endpoint, secret } = await createEndpoint(server, {
        url: receiver.url,
        events: ["call.recorded", "lead.updated", "lead.created", "call_status.updated"],
      }));
    });
    afterAll(() => updateEndpoint(server, endpoint.id, { active: false }));

    it("POSTs each change signed (Standard Webhooks), its body the change as the feed gives it", async () => {
      const start = receiver.received.length;
      const leadId = await createLead(server, "Webhook Lead");
      const callId = await recordCall(server, leadId, "qualified", "Interested");
      const got = await receiver.waitFor(
        (all) => all.slice(start).filter((r) => r.json.leadId === leadId).length >= 3,
      );
      const mine = got.slice(start).filter((r) => r.json.leadId === leadId);
      expect(mine.map((r) => r.json.type)).toEqual([
        "lead.created",
        "call.recorded",
        "lead.updated",
      ]);
      for (const entry of mine) {
        expect(verifies(secret, entry)).toBe(true);
        expect(entry.headers["webhook-id"]).toBe(entry.json.id);
        expect(entry.headers["content-type"]).toBe("application/json");
        expect(
          Math.abs(Number(entry.headers["webhook-timestamp"]) - Date.now() / 1000),
        ).toBeLessThan(60);
      }
      // Tampered bodies and other secrets do not verify.
      expect(
        verifies(secret, { ...mine[1], body: mine[1].body.replace("Interested", "Declined") }),
      ).toBe(false);
      expect(verifies("whsec_" + Buffer.alloc(32, 7).toString("base64"), mine[1])).toBe(false);

      const recorded = mine[1].json;
      expect(recorded).toMatchObject({
        type: "call.recorded",
        version: 1,
        entityId: callId,
        leadId,
      });
      expect(recorded.data.call).toMatchObject({
        id: callId,
        comment: "Interested",
        outcome: { code: "qualified" },
      });
      // The same change, through the feed: the same fields and values.
      const { changes } = await server.ok<{
        changes: { edges: Array<{ node: Record<string, unknown> }> };
      }>(
        `{ changes(first: 100, types: ["call.recorded"]) { edges { node { id type version occurredAt entityId leadId data } } } }`,
      );
      const node = changes.edges.map((e) => e.node).find((n) => n.id === recorded.id);
      expect(node).toEqual(recorded);

      const log = await waitForDeliveries(server, endpoint.id, (list) =>
        mine.every((r) => list.some((d) => d.eventId === r.json.id && d.status === "SUCCEEDED")),
      );
      const delivery = log.find((d) => d.eventId === recorded.id)!;
      expect(delivery).toMatchObject({
        eventType: "call.recorded",
        status: "SUCCEEDED",
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        redelivery: false,
      });
      expect(delivery.lastLatencyMs).toBeGreaterThanOrEqual(0);
      expect(delivery.completedAt).not.toBeNull();
    });

    it("sends every event type in the shape its JSON Schema documents", async () => {
      const all = await createEndpoint(server, {
        url: `${receiver.url}?all`,
        events: [
          "call.recorded",
          "lead.created",
          "lead.updated",
          "call_status.created",
          "call_status.updated",
          "lead_status.created",
          "lead_status.updated",
        ],
      });
      const start = receiver.received.length;
      const { createLeadStatus } = await server.ok<{ createLeadStatus: { id: string } }>(
        `mutation { createLeadStatus(input: { title: "Schema Lead Status", category: QUALIFIED, color: "#00AA00" }) { id } }`,
      );
      await server.ok(
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "Schema Lead Status 2" }) { id } }`,
        { id: createLeadStatus.id },
      );
      const { createCallStatus } = await server.ok<{
        createCallStatus: { id: string; code: string };
      }>(
        `mutation($ls: String) { createCallStatus(input: { title: "Schema Outcome", leadStatusCode: $ls, commentRequired: true }) { id code } }`,
        { ls: "qualified" },
      );
      await server.ok(
        `mutation($id: ID!) { updateCallStatus(id: $id, input: { description: "documented", agentVisibility: AFTER_CALL_TRANSFER }) { id } }`,
        { id: createCallStatus.id },
      );
      const leadId = await createLead(server, "Schema Lead");
      await recordCall(server, leadId, createCallStatus.code, "schema");
      await receiver.waitFor(
        (got) =>
          new Set(
            got
              .slice(start)
              .filter((r) => r.answered === 200)
              .map((r) => r.json.type),
          ).size >= 7,
      );
      const payloads = receiver.received.slice(start).map((r) => r.json);
      expect(new Set(payloads.map((p) => p.type)).size).toBe(7);
      for (const payload of payloads)
        expect([payload.type, schemaProblems(payload)]).toEqual([payload.type, []]);
      // The change feed's nodes are the same documents.
      const { changes } = await server.ok<{
        changes: { edges: Array<{ node: Record<string, unknown> }> };
      }>(
        `{ changes(first: 100) { edges { node { id type version occurredAt entityId leadId data } } } }`,
      );
      for (const { node } of changes.edges.filter((e) =>
        payloads.some((p) => p.id === e.node.id),
      )) {
        expect(schemaProblems(node)).toEqual([]);
      }
      await updateEndpoint(server, all.endpoint.id, { active: false });
    });

    it("sends only the endpoint's event types", async () => {
      const start = receiver.received.length;
      // lead_status.updated is not among the endpoint's types; call_status.updated is.
      const { leadStatus } = await server.ok<{ leadStatus: { id: string } }>(
        `{ leadStatus(code: "new") { id } }`,
      );
      await server.ok(
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { color: "#123456" }) { id } }`,
        {
          id: leadStatus.id,
        },
      );
      const { callStatus } = await server.ok<{ callStatus: { id: string } }>(
        `{ callStatus(code: "voicemail") { id } }`,
      );
      await server.ok(
        `mutation($id: ID!) { updateCallStatus(id: $id, input: { sort: 77 }) { id } }`,
        {
          id: callStatus.id,
        },
      );
      await receiver.waitFor((all) =>
        all.slice(start).some((r) => r.json.type === "call_status.updated"),
      );
      await sleep(300);
      expect(receiver.received.slice(start).map((r) => r.json.type)).toEqual([
        "call_status.updated",
      ]);
    });

    it("retries with backoff: a receiver answering 500, then 200, gets the event twice; the log says so", async () => {
      const start = receiver.received.length;
      let failed = false;
      receiver.answer = ({ json }) => {
        if (json.type === "call.recorded" && !failed) {
          failed = true;
          return { status: 500, body: "database down\nretry later" };
        }
        return { status: 200 };
      };
      const leadId = await createLead(server, "Retry Lead");
      const callId = await recordCall(server, leadId, "voicemail");
      const got = await receiver.waitFor(
        (all) => all.slice(start).filter((r) => isCall(r, callId)).length >= 2,
      );
      const attempts = got.slice(start).filter((r) => isCall(r, callId));
      expect(attempts.map((r) => r.answered)).toEqual([500, 200]);
      // The same message each time (receivers deduplicate by webhook-id), each attempt signed.
      expect(new Set(attempts.map((r) => r.headers["webhook-id"])).size).toBe(1);
      expect(attempts.every((r) => verifies(secret, r))).toBe(true);
      const log = await waitForDeliveries(server, endpoint.id, (list) =>
        list.some(
          (d) =>
            d.eventType === "call.recorded" &&
            d.eventId === attempts[0].json.id &&
            d.status === "SUCCEEDED",
        ),
      );
      expect(log.find((d) => d.eventId === attempts[0].json.id)).toMatchObject({
        attempts: 2,
        lastStatusCode: 200,
      });
      // The lead's later event (lead.updated for voicemail? it may not move) waited behind it.
      const order = got
        .slice(start)
        .filter((r) => r.json.leadId === leadId)
        .map((r) => [r.json.type, r.answered]);
      expect(order[0]).toEqual(["lead.created", 200]);
    });

    it("keeps a lead's events in order, also when one of them is retried", async () => {
      const start = receiver.received.length;
      let first = true;
      receiver.answer = ({ json }) => {
        if (json.type === "call.recorded" && first) {
          first = false;
          return { status: 503, headers: { "retry-after": "0" } };
        }
        return { status: 200, delayMs: 20 };
      };
      const leadId = await createLead(server, "Ordered Lead");
      const calls: string[] = [];
      for (const code of ["voicemail", "call_terminated", "voicemail", "qualified"]) {
        calls.push(await recordCall(server, leadId, code, "ordered"));
      }
      await receiver.waitFor((all) =>
        calls.every((id) => all.slice(start).some((r) => isCall(r, id) && r.answered === 200)),
      );
      const delivered = receiver.received
        .slice(start)
        .filter((r) => r.json.leadId === leadId && r.answered === 200)
        .map((r) => Number(r.json.id));
      expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
      const sent = receiver.received
        .slice(start)
        .filter((r) => r.json.type === "call.recorded")
        .map((r) => r.json.entityId);
      // The first call's event failed once and was sent again before any later call's.
      expect(sent.slice(0, 2)).toEqual([calls[0], calls[0]]);
    });

    it("redelivers one event, or a time range, as new deliveries of the same message", async () => {
      const start = receiver.received.length;
      const leadId = await createLead(server, "Redelivered Lead");
      const callId = await recordCall(server, leadId, "qualified", "again");
      const [event] = (
        await receiver.waitFor((all) => all.slice(start).some((r) => isCall(r, callId)))
      )
        .slice(start)
        .filter((r) => isCall(r, callId));

      const redeliver = (input: Record<string, unknown>, id = endpoint.id) =>
        server.gql<{ redeliverWebhookEvents: number }>(
          `mutation($id: ID!, $input: RedeliverWebhookEventsInput!) { redeliverWebhookEvents(endpointId: $id, input: $input) }`,
          { id, input },
        );
      const once = await redeliver({ eventId: event.json.id });
      expect(once.data?.redeliverWebhookEvents).toBe(1);
      const again = await receiver.waitFor(
        (all) => all.filter((r) => r.json.id === event.json.id).length >= 2,
      );
      const copies = again.filter((r) => r.json.id === event.json.id);
      expect(copies[1].body).toBe(copies[0].body);
      expect(verifies(secret, copies[1])).toBe(true);
      const log = await waitForDeliveries(server, endpoint.id, (list) =>
        list.some((d) => d.eventId === event.json.id && d.redelivery && d.status === "SUCCEEDED"),
      );
      expect(log.filter((d) => d.eventId === event.json.id)).toHaveLength(2);

      // A range: every event of the endpoint's types committed in it.
      const from = new Date(Date.now() - 60_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const range = await redeliver({ from, to });
      expect(range.data?.redeliverWebhookEvents).toBeGreaterThanOrEqual(3);

      expectError(await redeliver({}), "BAD_USER_INPUT");
      expectError(await redeliver({ eventId: event.json.id, from, to }), "BAD_USER_INPUT");
      expectError(await redeliver({ from: to, to: from }), "BAD_USER_INPUT");
      expectError(await redeliver({ eventId: "987654321" }), "NOT_FOUND");
      expectError(await redeliver({ eventId: event.json.id }, "999999"), "NOT_FOUND");
      // An event of a type the endpoint does not take.
      const { changes } = await server.ok<{ changes: { edges: Array<{ node: { id: string } }> } }>(
        `{ changes(first: 1, types: ["lead_status.updated"]) { edges { node { id } } } }`,
      );
      expectError(
        await redeliver({ eventId: changes.edges[0].node.id }),
        "BAD_USER_INPUT",
        "eventId",
      );
    });

    it("rotates the secret: during the overlap both secrets verify, after it only the new one", async () => {
      const rotate = async (overlapSeconds: number) =>
        (
          await server.ok<{ rotateWebhookEndpointSecret: { secret: string; endpoint: Endpoint } }>(
            `mutation($id: ID!, $s: Int) { rotateWebhookEndpointSecret(id: $id, overlapSeconds: $s) {
              secret endpoint { previousSecretExpiresAt } } }`,
            { id: endpoint.id, s: overlapSeconds },
          )
        ).rotateWebhookEndpointSecret;
      const rotated = await rotate(3600);
      expect(rotated.secret).not.toBe(secret);
      expect(Date.parse(rotated.endpoint.previousSecretExpiresAt!)).toBeGreaterThan(
        Date.now() + 3500_000,
      );
      let start = receiver.received.length;
      const leadId = await createLead(server, "Rotated Lead");
      const [during] = (
        await receiver.waitFor((all) => all.slice(start).some((r) => r.json.leadId === leadId))
      ).slice(start);
      expect(verifies(rotated.secret, during)).toBe(true);
      expect(verifies(secret, during)).toBe(true);
      expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);

      const immediate = await rotate(0);
      expect(immediate.endpoint.previousSecretExpiresAt).toBeNull();
      start = receiver.received.length;
      const other = await createLead(server, "Rotated Again");
      const [after] = (
        await receiver.waitFor((all) => all.slice(start).some((r) => r.json.leadId === other))
      ).slice(start);
      expect(verifies(immediate.secret, after)).toBe(true);
      expect(verifies(rotated.secret, after)).toBe(false);
      secret = immediate.secret;

      expectError(
        await server.gql(
          `mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id, overlapSeconds: -1) { secret } }`,
          {
            id: endpoint.id,
          },
        ),
        "BAD_USER_INPUT",
        "overlapSeconds",
      );
    });
  });

  it("turns an endpoint off after its run of failed deliveries, audited as the service; on again, it resumes", async () => {
    const failing = new WebhookReceiver();
    await failing.start();
    failing.answer = () => ({ status: 500 });
    try {
      const { endpoint } = await createEndpoint(server, {
        url: failing.url,
        events: ["lead.created"],
      });
      await createLead(server, "Failing 1");
      await createLead(server, "Failing 2");
      const log = await waitForDeliveries(
        server,
        endpoint.id,
        (list) => list.filter((d) => d.status === "FAILED").length >= 2,
      );
      for (const delivery of log) {
        expect(delivery).toMatchObject({
          status: "FAILED",
          lastStatusCode: 500,
          nextAttemptAt: null,
        });
        expect(delivery.attempts).toBeGreaterThanOrEqual(2);
      }
      const { webhookEndpoints } = await server.ok<{ webhookEndpoints: Endpoint[] }>(
        `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
      );
      const off = webhookEndpoints.find((e) => e.id === endpoint.id)!;
      expect(off).toMatchObject({ active: false, failedInRow: 2 });
      expect(off.disabledReason).toMatch(/2 deliveries in a row failed/);
      const { auditLog } = await server.ok<{
        auditLog: {
          edges: Array<{
            node: {
              action: string;
              actorId: string;
              changes: Array<{ field: string; after: unknown }>;
            };
          }>;
        };
      }>(
        `query($id: ID) { auditLog(filter: { entityType: WEBHOOK_ENDPOINT, entityId: $id }) {
          edges { node { action actorId changes } } } }`,
        { id: endpoint.id },
      );
      const disabled = auditLog.edges[0].node;
      expect(disabled).toMatchObject({ action: "UPDATE", actorId: "system" });
      expect(disabled.changes[0]).toMatchObject({ field: "active", after: false });

      // While off, nothing is sent; on again, new events go out and the count starts over.
      const sent = failing.received.length;
      const quiet = await createLead(server, "While Off");
      await sleep(500);
      expect(failing.received.length).toBe(sent);
      failing.answer = () => ({ status: 204 });
      const on = await updateEndpoint(server, endpoint.id, { active: true });
      expect(on).toMatchObject({ active: true, disabledReason: null, failedInRow: 0 });
      await failing.waitFor((all) =>
        all.some((r) => r.json.leadId === quiet && r.answered === 204),
      );
    } finally {
      await failing.stop();
    }
  });

  it("fails a delivery whose event was pruned before it could go, without counting it against the endpoint", async () => {
    const { endpoint } = await createEndpoint(server, {
      url: receiver.url,
      events: ["lead.created"],
    });
    await updateEndpoint(server, endpoint.id, { active: false });
    const leadId = await createLead(server, "Pruned Lead");
    // Its event, once the feed has numbered it (within about a second).
    let event: { id: string; leadId: string | null } | undefined;
    for (let tries = 0; !event && tries < 200; tries += 1) {
      const { changes } = await server.ok<{
        changes: { edges: Array<{ node: { id: string; leadId: string | null } }> };
      }>(`{ changes(first: 100, types: ["lead.created"]) { edges { node { id leadId } } } }`);
      event = changes.edges.map((e) => e.node).find((n) => n.leadId === leadId);
      if (!event) await sleep(25);
    }
    if (!event) throw new Error("the lead's event never showed in the feed");
    const queued = await server.gql<{ redeliverWebhookEvents: number }>(
      `mutation($id: ID!, $event: ID!) { redeliverWebhookEvents(endpointId: $id, input: { eventId: $event }) }`,
      { id: endpoint.id, event: event.id },
    );
    expect(queued.data?.redeliverWebhookEvents).toBe(1);
    // As the retention would: the entry goes while the endpoint is off.
    await server.app.dataSource.query("DELETE FROM change_log WHERE id = ?", [Number(event.id)]);
    const start = receiver.received.length;
    await updateEndpoint(server, endpoint.id, { active: true });
    const log = await waitForDeliveries(server, endpoint.id, (list) =>
      list.some((d) => d.eventId === event.id && d.status === "FAILED"),
    );
    expect(log.find((d) => d.eventId === event.id)).toMatchObject({
      attempts: 1,
      lastStatusCode: null,
      lastError: "the event is no longer kept (CHANGE_LOG_RETENTION_DAYS)",
    });
    const { webhookEndpoints } = await server.ok<{ webhookEndpoints: Endpoint[] }>(
      `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
    );
    expect(webhookEndpoints.find((e) => e.id === endpoint.id)).toMatchObject({
      active: true,
      failedInRow: 0,
    });
    expect(receiver.received.slice(start).filter((r) => r.json.id === event.id)).toEqual([]);
    await updateEndpoint(server, endpoint.id, { active: false });
  });

  it("changes an endpoint (URL, types, description), audits each field, and moves deliveries to the new URL", async () => {
    const other = new WebhookReceiver();
    await other.start("/other");
    try {
      const { endpoint } = await createEndpoint(server, {
        url: receiver.url,
        events: ["lead.created"],
      });
      const changed = await updateEndpoint(server, endpoint.id, {
        url: other.url,
        events: ["lead.created", "call.recorded"],
        description: "moved",
      });
      expect(changed).toMatchObject({
        url: other.url,
        events: ["lead.created", "call.recorded"],
        description: "moved",
      });
      const leadId = await createLead(server, "Moved Lead");
      await other.waitFor((all) => all.some((r) => r.json.leadId === leadId));
      const { auditLog } = await server.ok<{
        auditLog: { edges: Array<{ node: { action: string; changes: Array<{ field: string }> } }> };
      }>(
        `query($id: ID) { auditLog(filter: { entityType: WEBHOOK_ENDPOINT, entityId: $id }) {
          edges { node { action changes } } } }`,
        { id: endpoint.id },
      );
      expect(auditLog.edges[0].node.action).toBe("UPDATE");
      expect(auditLog.edges[0].node.changes).toEqual([
        { field: "url", before: receiver.url, after: other.url },
        { field: "events", before: ["lead.created"], after: ["lead.created", "call.recorded"] },
        { field: "description", before: null, after: "moved" },
      ]);
      await updateEndpoint(server, endpoint.id, { active: false });
    } finally {
      await other.stop();
    }
  });
});

describeEachDatabaseKind("webhooks to private addresses", (kind) => {
  const server = new TestServer(kind);
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    await server.start({
      webhooks: { ...webhookDefaults, ...QUICK.webhooks!, allowPrivateAddresses: false },
    });
  });
  afterAll(async () => {
    await server.stop();
    await receiver.stop();
  });

  it("refuses endpoints on loopback, private, link-local and metadata addresses", async () => {
    for (const url of [
      receiver.url,
      "http://localhost:8080/hooks",
      "http://10.1.2.3/hooks",
      "http://192.168.0.10/hooks",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/hooks",
      "http://[fd00:ec2::254]/hooks",
      "http://[::ffff:127.0.0.1]/hooks",
      "http://0.0.0.0/hooks",
    ]) {
      const response = await server.gql(
        `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["lead.created"] }) { secret } }`,
        { url },
      );
      expectError(response, "BAD_USER_INPUT", "url");
      expect(response.errors![0].message).toMatch(/private or reserved address/);
      // A name's addresses are not told: the service's internal DNS is not the customer's.
      if (url.includes("localhost")) expect(response.errors![0].message).not.toMatch(/127\.|::1/);
    }
    const { webhookEndpoints } = await server.ok<{ webhookEndpoints: Endpoint[] }>(
      `{ webhookEndpoints { id } }`,
    );
    expect(webhookEndpoints).toEqual([]);
  });

  it("checks again at delivery: an endpoint whose host now resolves to a private address gets nothing", async () => {
    // As if the name had resolved to a public address when the endpoint was saved (DNS
    // rebinding): the row is written directly, past the check at creation.
    const { WebhookEndpoint } = await import("../../src/webhooks/webhook-endpoint.entity");
    const { inAccount, scoped } = await import("../../src/db/account-scope");
    const { runTransaction } = await import("../../src/db/writes");
    const now = new Date();
    now.setUTCMilliseconds(0);
    const id = await inAccount(1, () =>
      runTransaction(server.app.dataSource, (tx) =>
        scoped(tx, WebhookEndpoint).insert({
          url: receiver.url.replace("127.0.0.1", "localhost"),
          description: null,
          eventsJson: JSON.stringify(["lead.created"]),
          active: true,
          disabledReason: null,
          secret: "whsec_" + Buffer.alloc(32, 1).toString("base64"),
          previousSecret: null,
          previousSecretUntil: null,
          cursorSeq: 0,
          failedInRow: 0,
          createdAt: now,
          updatedAt: now,
        }),
      ),
    );
    await createLead(server, "Rebound Lead");
    const log = await waitForDeliveries(server, String(id), (list) =>
      list.some((d) => d.attempts >= 1),
    );
    expect(log[0]).toMatchObject({ lastStatusCode: null });
    expect(log[0].lastError).toMatch(
      /refused: localhost resolves to a private or reserved address/,
    );
    // The address itself is not told (the service's internal DNS is not the customer's to read).
    expect(log[0].lastError).not.toMatch(/127\.0\.0\.1|::1/);
    await sleep(300);
    expect(receiver.received).toEqual([]);
  });
});

describeEachDatabaseKind("webhook secrets sealed at rest (WEBHOOKS_SECRET_KEY)", (kind) => {
  const server = new TestServer(kind);
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    await server.start({
      webhooks: { ...QUICK.webhooks!, secretKey: Buffer.alloc(32, 7) },
    });
  });
  afterAll(async () => {
    await server.stop();
    await receiver.stop();
  });

  it("stores the secret sealed, signs with it as given, and keeps the overlap's old one sealed too", async () => {
    const { endpoint, secret } = await createEndpoint(server, {
      url: receiver.url,
      events: ["lead.created"],
    });
    const stored = async () =>
      (
        (await server.app.dataSource.query(
          "SELECT secret, previous_secret FROM webhook_endpoints WHERE id = ?",
          [Number(endpoint.id)],
        )) as Array<{ secret: string; previous_secret: string | null }>
      )[0];
    const row = await stored();
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.secret).not.toContain(secret.slice(6));
    const leadId = await createLead(server, "Sealed Lead");
    const [delivered] = await receiver.waitFor((all) => all.some((r) => r.json.leadId === leadId));
    expect(verifies(secret, delivered)).toBe(true);

    const { rotateWebhookEndpointSecret } = await server.ok<{
      rotateWebhookEndpointSecret: { secret: string };
    }>(`mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret } }`, {
      id: endpoint.id,
    });
    const rotated = await stored();
    expect(rotated.previous_secret).toBe(row.secret);
    expect(rotated.secret).toMatch(/^enc:v1:/);
    const start = receiver.received.length;
    const other = await createLead(server, "Sealed Again");
    const [during] = (
      await receiver.waitFor((all) => all.slice(start).some((r) => r.json.leadId === other))
    ).slice(start);
    expect(verifies(rotateWebhookEndpointSecret.secret, during)).toBe(true);
    expect(verifies(secret, during)).toBe(true);
  });
});
