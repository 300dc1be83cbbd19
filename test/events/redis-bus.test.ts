/**
 * The Redis event bus against a real Redis server: two buses stand for two instances of the
 * service. Outages go through a TCP proxy in front of Redis that the test cuts (connections
 * closed, new ones refused) or blackholes (nothing forwarded), and restores.
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { parseRedisUrl } from "../../src/config";
import {
  MAX_PUBLISHES_IN_FLIGHT,
  RedisBus,
  type RedisBusOptions,
} from "../../src/events/redis-bus";
import { createLogger } from "../../src/logger";
import { REDIS_TEST_URL, redisAvailable, redisClient, uniqueChannelPrefix } from "../support/redis";
import { TcpProxy } from "../support/tcp-proxy";

const describeRedis = redisAvailable() ? describe : describe.skip;

/** Waits until `check()` holds, failing with `what` after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger whose lines (parsed) the test reads. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const logger = createLogger(
    { logLevel: "info" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
          lines.push(JSON.parse(line));
        }
        done();
      },
    }),
  );
  return { logger, lines };
}

describeRedis("the Redis event bus", () => {
  const prefix = uniqueChannelPrefix();
  const buses: RedisBus[] = [];
  const proxies: TcpProxy[] = [];
  let client: Redis;
  let channelCount = 0;

  /** A channel of this test alone. */
  const newChannel = () => `test-${(channelCount += 1)}`;

  function newBus(
    url = REDIS_TEST_URL,
    options: RedisBusOptions = {},
    logger = capturedLogger().logger,
  ): RedisBus {
    const bus = new RedisBus(url, logger, { channelPrefix: prefix, ...options });
    buses.push(bus);
    return bus;
  }

  /** A proxy to the test server, and the URL of Redis through it. */
  async function newProxy(): Promise<{ proxy: TcpProxy; url: string }> {
    const endpoint = parseRedisUrl(REDIS_TEST_URL);
    const proxy = new TcpProxy(endpoint);
    proxies.push(proxy);
    const port = await proxy.start();
    const url = new URL(REDIS_TEST_URL);
    url.hostname = "127.0.0.1";
    url.port = String(port);
    return { proxy, url: url.toString() };
  }

  /** How many connections Redis has subscribed to the channel (PUBSUB NUMSUB). */
  async function subscribers(channel: string): Promise<number> {
    const [, count] = (await client.pubsub("NUMSUB", prefix + channel)) as [string, number];
    return Number(count);
  }

  async function subscribersReach(channel: string, count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await subscribers(channel)) !== count) {
      if (Date.now() > deadline) throw new Error(`${channel}: never ${count} subscribers`);
      await pause(10);
    }
  }

  beforeAll(() => {
    client = redisClient();
  });

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    client.disconnect();
  });

  it("delivers a message published on one instance to the listeners of both", async () => {
    const [one, two] = [newBus(), newBus()];
    await Promise.all([one.started, two.started]);
    expect([one.healthy, two.healthy]).toEqual([true, true]);
    expect([one.problem, two.problem]).toEqual([undefined, undefined]);
    const channel = newChannel();
    const heard = { one: [] as string[], two: [] as string[] };
    one.subscribe(channel, (message) => heard.one.push(message));
    two.subscribe(channel, (message) => heard.two.push(message));
    await subscribersReach(channel, 2);

    one.publish(channel, "hello");
    await eventually(() => heard.one.length === 1 && heard.two.length === 1, "both heard it");
    expect(heard).toEqual({ one: ["hello"], two: ["hello"] });
  });

  it("keeps channels apart", async () => {
    const [one, two] = [newBus(), newBus()];
    await Promise.all([one.started, two.started]);
    const [first, second] = [newChannel(), newChannel()];
    const heard = { first: [] as string[], second: [] as string[] };
    two.subscribe(first, (message) => heard.first.push(message));
    two.subscribe(second, (message) => heard.second.push(message));
    await Promise.all([subscribersReach(first, 1), subscribersReach(second, 1)]);

    // In order on one connection: once the second message is heard, so was the first.
    one.publish(second, "for the second");
    one.publish(first, "for the first");
    await eventually(() => heard.first.length === 1, "the first channel's message");
    expect(heard).toEqual({ first: ["for the first"], second: ["for the second"] });
  });

  it("subscribes a channel for its first local listener and unsubscribes it with its last", async () => {
    const [one, two] = [newBus(), newBus()];
    await Promise.all([one.started, two.started]);
    const channel = newChannel();
    const heard = { a: [] as string[], b: [] as string[], other: [] as string[] };
    const stopA = two.subscribe(channel, (message) => heard.a.push(message));
    const stopB = two.subscribe(channel, (message) => heard.b.push(message));
    one.subscribe(channel, (message) => heard.other.push(message));
    await subscribersReach(channel, 2); // one connection per bus, whatever its listeners

    stopA();
    stopA(); // twice changes nothing
    expect(await subscribers(channel)).toBe(2);
    one.publish(channel, "first");
    await eventually(() => heard.b.length === 1 && heard.other.length === 1, "first heard");

    stopB();
    await subscribersReach(channel, 1);
    one.publish(channel, "second");
    await eventually(() => heard.other.length === 2, "the other instance heard the second");
    await pause(50);
    expect(heard).toEqual({ a: [], b: ["first"], other: ["first", "second"] });
  });

  it("through an outage: not healthy, publishes dropped and not queued; back: resumed once, messages flow", async () => {
    const { proxy, url } = await newProxy();
    const { logger, lines } = capturedLogger();
    const cut = newBus(url, { timeoutMs: 1000, maxRetryDelayMs: 200 }, logger);
    const direct = newBus();
    await Promise.all([cut.started, direct.started]);
    expect(cut.healthy).toBe(true);
    const channel = newChannel();
    const heard = { cut: [] as string[], direct: [] as string[] };
    let resumed = 0;
    cut.onResume(() => (resumed += 1));
    cut.subscribe(channel, (message) => heard.cut.push(message));
    direct.subscribe(channel, (message) => heard.direct.push(message));
    await subscribersReach(channel, 2);

    proxy.cut();
    await eventually(() => !cut.healthy, "unhealthy once cut");
    expect(cut.problem).toBe("redis unreachable");
    expect(direct.healthy).toBe(true);
    const droppedBefore = cut.dropped;
    for (let i = 0; i < MAX_PUBLISHES_IN_FLIGHT + 500; i += 1) {
      expect(() => cut.publish(channel, `while down ${i}`)).not.toThrow();
    }
    expect(cut.dropped - droppedBefore).toBe(MAX_PUBLISHES_IN_FLIGHT + 500);
    direct.publish(channel, "missed");
    await eventually(() => heard.direct.includes("missed"), "the direct instance heard its own");
    await pause(1500); // several attempts to reconnect, each refused
    expect(cut.healthy).toBe(false);
    expect(resumed).toBe(0);

    proxy.restore();
    await eventually(() => cut.healthy, "healthy again once restored");
    expect(cut.problem).toBeUndefined();
    expect(resumed).toBe(1);
    await subscribersReach(channel, 2);
    cut.publish(channel, "from the cut one");
    direct.publish(channel, "from the direct one");
    await eventually(
      () => heard.cut.length === 2 && heard.direct.length === 3,
      "both heard both after the outage",
    );
    // Nothing published while down was kept for later, nor replayed.
    expect(heard.direct[0]).toBe("missed");
    expect(heard.direct.slice(1).sort()).toEqual(["from the cut one", "from the direct one"]);
    expect([...heard.cut].sort()).toEqual(["from the cut one", "from the direct one"]);
    // And it stays up: nothing the refused attempts left behind cuts the new connection (a
    // timer of ioredis's own socketTimeout did, about 0.7 s after such a recovery).
    await pause(1200);
    expect(cut.healthy).toBe(true);
    expect(resumed).toBe(1);

    // One line when it went, one when it came back, whatever the attempts in between.
    const states = lines.filter((line) => line.msg.startsWith("event bus:"));
    expect(states.map((line) => [line.level, line.msg])).toEqual([
      [30, "event bus: connected to Redis"],
      [40, expect.stringContaining("event bus: Redis unreachable")],
      [30, expect.stringContaining("event bus: Redis reachable again")],
    ]);
    expect(states[2]).toMatchObject({ dropped: MAX_PUBLISHES_IN_FLIGHT + 500 });
  });

  it("notices a link gone silent (no close, no reset) by its heartbeat", async () => {
    const { proxy, url } = await newProxy();
    const silent = newBus(url, { heartbeatMs: 100, timeoutMs: 300, maxRetryDelayMs: 200 });
    const direct = newBus();
    await Promise.all([silent.started, direct.started]);
    const channel = newChannel();
    const heard: string[] = [];
    let resumed = 0;
    silent.onResume(() => (resumed += 1));
    silent.subscribe(channel, (message) => heard.push(message));
    await subscribersReach(channel, 1);

    proxy.blackhole();
    await eventually(() => !silent.healthy, "unhealthy once the link is silent");
    expect(() => silent.publish(channel, "into the void")).not.toThrow();

    proxy.restore();
    await eventually(() => silent.healthy, "healthy again");
    expect(resumed).toBe(1);
    await subscribersReach(channel, 1);
    direct.publish(channel, "after");
    await eventually(() => heard.length === 1, "heard after the silence");
    expect(heard).toEqual(["after"]);
  });

  it("starts while Redis is unreachable, and connects (and resumes) when it comes", async () => {
    const { proxy, url } = await newProxy();
    proxy.cut();
    const { logger, lines } = capturedLogger();
    const late = newBus(url, { timeoutMs: 500, maxRetryDelayMs: 200 }, logger);
    const direct = newBus();
    await Promise.all([late.started, direct.started]);
    expect(late.healthy).toBe(false);
    expect(late.problem).toBe("redis unreachable");
    let resumed = 0;
    late.onResume(() => (resumed += 1));
    const channel = newChannel();
    const heard: string[] = [];
    late.subscribe(channel, (message) => heard.push(message));
    expect(() => late.publish(channel, "dropped")).not.toThrow();
    await pause(500);

    proxy.restore();
    await eventually(() => late.healthy, "healthy once Redis answers");
    expect(resumed).toBe(1);
    // The listener that came while it was down is subscribed now.
    await subscribersReach(channel, 1);
    direct.publish(channel, "now");
    await eventually(() => heard.length === 1, "heard once connected");
    expect(heard).toEqual(["now"]);
    const states = lines.filter((line) => line.msg.startsWith("event bus:"));
    expect(states.map((line) => line.level)).toEqual([40, 30]);
    expect(states[0]).toMatchObject({
      redis: expect.stringMatching(/^Redis 127\.0\.0\.1:\d+\/0$/),
    });
  });

  it("closes both connections, also while Redis is unreachable, and then tries no more", async () => {
    const up = newBus();
    await up.started;
    const channel = newChannel();
    up.subscribe(channel, () => undefined);
    await subscribersReach(channel, 1);
    await up.close();
    await subscribersReach(channel, 0);
    expect(up.healthy).toBe(false);
    expect(() => up.publish(channel, "after close")).not.toThrow();

    const { proxy, url } = await newProxy();
    proxy.cut();
    const down = newBus(url, { timeoutMs: 500, maxRetryDelayMs: 100 });
    await down.started;
    await down.close();
    await pause(100); // a first connection under way at the close may still arrive
    const attempts = proxy.accepted;
    await pause(500);
    expect(proxy.accepted).toBe(attempts);
  });
});
