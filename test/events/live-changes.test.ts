/**
 * Live changes across instances: two apps on one MariaDB database, their event buses on one
 * Redis server (B's through a TCP proxy the test cuts and restores). A change committed through
 * one app is heard by the change log subscribers of the other; while B's Redis is unreachable,
 * B's /readyz says so and its queries and mutations go on; once it is back, B is ready again.
 */
import type { Redis } from "ioredis";
import { ChangeLog, type ChangeEvent } from "../../src/changes/change-log";
import { parseRedisUrl } from "../../src/config";
import {
  createTestDatabase,
  TestServer,
  testDatabases,
  type TestDatabase,
} from "../support/harness";
import { REDIS_TEST_URL, redisAvailable, redisClient, uniqueChannelPrefix } from "../support/redis";
import { TcpProxy } from "../support/tcp-proxy";
import { liveClient } from "../live/ws-client";

const describeBoth =
  testDatabases().includes("mariadb") && redisAvailable() ? describe : describe.skip;

/** Waits until `check()` holds, failing with `what` after `timeoutMs`. */
async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function readyz(server: TestServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL("/readyz", server.url));
  return { status: response.status, body: await response.json() };
}

/** The default account, where the bootstrap ADMIN key acts. */
const ACCOUNT = 1;

describeBoth("changes across instances through Redis [mariadb]", () => {
  const prefix = uniqueChannelPrefix();
  const proxy = new TcpProxy(parseRedisUrl(REDIS_TEST_URL));
  const a = new TestServer("mariadb");
  const b = new TestServer("mariadb");
  let database: TestDatabase;
  let proxiedUrl: string;
  let client: Redis;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    const url = new URL(REDIS_TEST_URL);
    url.hostname = "127.0.0.1";
    url.port = String(await proxy.start());
    proxiedUrl = url.toString();
    client = redisClient();
    database = await createTestDatabase("mariadb");
    await a.start({ events: { redisUrl: REDIS_TEST_URL, channelPrefix: prefix } }, { database });
    servers.push(a);
    await b.start({ events: { redisUrl: proxiedUrl, channelPrefix: prefix } }, { database });
    servers.push(b);
  });

  afterAll(async () => {
    for (const server of servers.reverse()) await server.stop();
    await proxy.stop();
    client?.disconnect();
    await database?.drop();
  });

  /** Listens to the account's change events in `server`'s container until the test ends. */
  function listen(server: TestServer): ChangeEvent[] {
    const events: ChangeEvent[] = [];
    const stop = server.app.container
      .get(ChangeLog)
      .subscribe(ACCOUNT, (event) => events.push(event));
    afterListening.push(stop);
    return events;
  }
  const afterListening: Array<() => void> = [];
  afterEach(() => afterListening.splice(0).forEach((stop) => stop()));

  /** Until Redis has (at least) `count` connections subscribed to the account's channel. */
  async function subscribed(count: number): Promise<void> {
    await eventually(async () => {
      const [, n] = (await client.pubsub("NUMSUB", `${prefix}changes:${ACCOUNT}`)) as [
        string,
        number,
      ];
      return Number(n) >= count;
    }, `${count} subscribed connections`);
  }

  async function createCallStatus(server: TestServer, title: string): Promise<number> {
    const { createCallStatus } = await server.ok<{ createCallStatus: { id: string } }>(
      `mutation($title: String!) { createCallStatus(input: { title: $title }) { id } }`,
      { title },
    );
    return Number(createCallStatus.id);
  }

  /** Whether `events` holds the creation of call status `id`. */
  const heardCreation = (events: ChangeEvent[], id: number) =>
    events.some((event) =>
      event.changes.some((c) => c.type === "call_status.created" && c.entityId === id),
    );

  it("a change committed through one instance is heard by the other's subscribers, both ways", async () => {
    const onB = listen(b);
    const onA = listen(a);
    await subscribed(2);

    const fromA = await createCallStatus(a, "Busy");
    await eventually(() => heardCreation(onB, fromA), "B heard A's change", 1000);
    expect(onB.every((event) => event.accountId === ACCOUNT)).toBe(true);

    const fromB = await createCallStatus(b, "No answer");
    await eventually(() => heardCreation(onA, fromB), "A heard B's change", 1000);
    // Each instance hears its own changes through Redis as well.
    await eventually(() => heardCreation(onA, fromA) && heardCreation(onB, fromB), "own changes");
  });

  it("a WebSocket subscriber of B gets the new list as soon as a change commits through A", async () => {
    const subscriber = liveClient(b.url, { "X-Api-Key": b.adminKey });
    try {
      const sub = subscriber.subscribe<{
        callStatusesChanged: { revision: string; callStatuses: Array<{ title: string }> };
      }>(`subscription { callStatusesChanged { revision callStatuses { title } } }`);
      const [first] = await sub.waitFor(1);
      await subscribed(1);
      await createCallStatus(a, "Through A");
      // B's own copy of the lists is older than the change: it must load them again, at once.
      const [, second] = await sub.waitFor(2, 1000);
      const change = second.data!.callStatusesChanged;
      expect(change.callStatuses.map((s) => s.title)).toContain("Through A");
      expect(Number(change.revision)).toBe(Number(first.data!.callStatusesChanged.revision) + 1);
    } finally {
      await subscriber.dispose();
    }
  });

  it("B loads its lists once for all its subscribers when a change comes from A", async () => {
    const subscribers = Array.from({ length: 20 }, () =>
      liveClient(b.url, { "X-Api-Key": b.adminKey }),
    );
    try {
      const subs = subscribers.map((subscriber) =>
        subscriber.subscribe<{ callStatusesChanged: { callStatuses: Array<{ title: string }> } }>(
          `subscription { callStatusesChanged { callStatuses { title } } }`,
        ),
      );
      for (const sub of subs) await sub.waitFor(1);
      await subscribed(1);
      b.resetQueries();
      await createCallStatus(a, "Seen by twenty");
      for (const sub of subs) {
        const [, second] = await sub.waitFor(2, 2000);
        expect(second.data!.callStatusesChanged.callStatuses.map((s) => s.title)).toContain(
          "Seen by twenty",
        );
      }
      // B's copy was older than the change: read again once, not once per subscriber.
      expect(b.queries.filter((sql) => /FROM `call_statuses`/i.test(sql)).length).toBe(1);
    } finally {
      for (const subscriber of subscribers) await subscriber.dispose();
    }
  });

  it("a subscriber of B gets the list it missed while B's Redis was cut, once Redis is back", async () => {
    const subscriber = liveClient(b.url, { "X-Api-Key": b.adminKey });
    try {
      const sub = subscriber.subscribe<{
        callStatusesChanged: { callStatuses: Array<{ title: string }> };
      }>(`subscription { callStatusesChanged { callStatuses { title } } }`);
      await sub.waitFor(1);
      await subscribed(1);
      proxy.cut();
      await eventually(async () => (await readyz(b)).status === 503, "B not ready");
      await createCallStatus(a, "Made while B was cut off");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sub.received).toHaveLength(1);
      proxy.restore();
      // No other change: the resumed bus makes B read its lists again and send what changed.
      const [, healed] = await sub.waitFor(2, 10_000);
      expect(healed.data!.callStatusesChanged.callStatuses.map((s) => s.title)).toContain(
        "Made while B was cut off",
      );
    } finally {
      proxy.restore();
      await subscriber.dispose();
    }
  });

  it("while B's Redis is cut: /readyz 503 with the reason, queries and mutations answered; then ready again, and resumed", async () => {
    const onB = listen(b);
    let resumed = 0;
    const stopResume = b.app.container.get(ChangeLog).onResume(() => (resumed += 1));
    afterListening.push(stopResume);
    await subscribed(1);
    expect(await readyz(b)).toEqual({ status: 200, body: { status: "ready" } });

    proxy.cut();
    await eventually(async () => (await readyz(b)).status === 503, "B not ready");
    expect(await readyz(b)).toEqual({
      status: 503,
      body: { status: "unavailable", reason: "redis unreachable" },
    });
    expect((await readyz(a)).status).toBe(200);
    const query = await b.gql(`{ callStatuses { code } }`);
    expect(query.status).toBe(200);
    expect(query.errors).toBeUndefined();
    const created = await createCallStatus(b, "Voicemail"); // its announcement is dropped
    expect(created).toBeGreaterThan(0);
    expect(resumed).toBe(0);

    proxy.restore();
    await eventually(async () => (await readyz(b)).status === 200, "B ready again");
    expect(resumed).toBe(1);
    await subscribed(1);
    const fromA = await createCallStatus(a, "Wrong number");
    await eventually(() => heardCreation(onB, fromA), "B hears A again", 1000);
    expect(heardCreation(onB, created)).toBe(false);
  });

  it("starts while its Redis is unreachable: serving, not ready until Redis answers", async () => {
    proxy.cut();
    const c = new TestServer("mariadb");
    await c.start({ events: { redisUrl: proxiedUrl, channelPrefix: prefix } }, { database });
    servers.push(c);
    expect(await readyz(c)).toEqual({
      status: 503,
      body: { status: "unavailable", reason: "redis unreachable" },
    });
    const query = await c.gql(`{ callStatuses { code } }`);
    expect(query.status).toBe(200);
    expect(query.errors).toBeUndefined();

    proxy.restore();
    await eventually(async () => (await readyz(c)).status === 200, "C ready once Redis answers");
    await eventually(async () => (await readyz(b)).status === 200, "B ready too");
  });
});
