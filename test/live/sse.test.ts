/**
 * Live changes over server-sent events (graphql-sse, "distinct connections": one request per
 * subscription, with the request's own credentials), on the same path as every request.
 */
import { describeEachDatabase, TestServer } from "../support/harness";

interface Event {
  event: string;
  data: {
    data?: Record<string, unknown>;
    errors?: Array<{ extensions?: { code?: string } }>;
  } | null;
}

/** Opens a subscription as an event stream; `next(n)` waits for the first `n` events. */
async function stream(url: string, query: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  const events: Event[] = [];
  let buffer = "";
  let ended = false;
  const reading = (async () => {
    if (!response.body || !response.headers.get("content-type")?.includes("text/event-stream"))
      return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) events.push({ event, data: data ? JSON.parse(data) : null });
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    response,
    events,
    get ended() {
      return ended;
    },
    async next(count: number, ms = 5000) {
      const deadline = Date.now() + ms;
      while (events.filter((e) => e.event === "next").length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} events: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events.filter((e) => e.event === "next").slice(0, count);
    },
    async done(ms = 5000) {
      const deadline = Date.now() + ms;
      while (!ended && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      return ended;
    },
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

const CALL_STATUSES = `subscription { callStatusesChanged { revision callStatuses { code title } } }`;

describeEachDatabase("subscriptions over server-sent events", (server) => {
  let agentKey: string;
  beforeAll(async () => {
    agentKey = await server.createKey("AGENT");
  });

  it("streams the caller's list at once and after a change it can see", async () => {
    const live = await stream(server.url, CALL_STATUSES, { "x-api-key": agentKey });
    try {
      expect(live.response.status).toBe(200);
      const [first] = await live.next(1);
      const list = (
        first.data!.data!.callStatusesChanged as { callStatuses: Array<{ code: string }> }
      ).callStatuses;
      expect(list.map((s) => s.code)).toEqual(["qualified", "disqualified"]);
      const { callStatus } = await server.ok<{ callStatus: { id: string } }>(
        `{ callStatus(code: "disqualified") { id } }`,
      );
      await server.ok(
        `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Not a match (SSE)" }) { id } }`,
        { id: callStatus.id },
      );
      const [, second] = await live.next(2);
      expect(JSON.stringify(second.data)).toContain("Not a match (SSE)");
    } finally {
      await live.close();
    }
  });

  it("answers a request without a valid credential with 401 in the usual JSON shape", async () => {
    const live = await stream(server.url, CALL_STATUSES, { "x-api-key": "csk_00000000_nope" });
    expect(live.response.status).toBe(401);
    const body = (await live.response.json()) as {
      errors: Array<{ extensions: { code: string } }>;
    };
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("refuses a query as an event stream, and a bad document, with 400", async () => {
    for (const query of [`{ statusesRevision }`, `subscription { nothing }`]) {
      const live = await stream(server.url, query, { "x-api-key": agentKey });
      expect(live.response.status).toBe(400);
      const body = (await live.response.json()) as {
        errors: Array<{ extensions: { code: string } }>;
      };
      expect(["BAD_REQUEST", "GRAPHQL_VALIDATION_FAILED"]).toContain(
        body.errors[0].extensions.code,
      );
    }
  });

  it("ends every stream of a key once it is revoked, and only those", async () => {
    const { createApiKey } = await server.ok<{
      createApiKey: { apiKey: { id: string }; secret: string };
    }>(
      `mutation { createApiKey(input: { name: "sse revoked", role: AGENT }) { apiKey { id } secret } }`,
    );
    const revoked = { "x-api-key": createApiKey.secret };
    const streams = [
      await stream(server.url, CALL_STATUSES, revoked),
      await stream(server.url, CALL_STATUSES, revoked),
    ];
    const other = await stream(server.url, CALL_STATUSES, { "x-api-key": agentKey });
    try {
      for (const live of [...streams, other]) await live.next(1);
      await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
        id: createApiKey.apiKey.id,
      });
      for (const live of streams) {
        expect(await live.done(12_000)).toBe(true);
        expect(live.events.at(-1)?.event).toBe("complete");
      }
      // Another key's stream goes on.
      expect(await other.done(100)).toBe(false);
    } finally {
      for (const live of [...streams, other]) await live.close();
    }
  }, 20_000);
});

describe("shutting down with live streams open", () => {
  const server = new TestServer("sqlite");
  beforeAll(() => server.start({ shutdownTimeoutSeconds: 60 }));
  afterAll(() => server.stop());

  it("ends them first, rather than waiting for them until the shutdown timeout", async () => {
    const live = await stream(server.url, CALL_STATUSES, { "x-api-key": server.adminKey });
    await live.next(1);
    // Waiting for the stream would take the shutdown timeout (60 s), past this test's own (15 s).
    await server.stop();
    expect(await live.done(1000)).toBe(true);
  }, 15_000);
});
