/**
 * The event bus over Redis pub/sub (`REDIS_URL`), so that a change committed through one instance
 * is heard by the subscribers of every instance, this one included (its own messages come back
 * through Redis like anyone's).
 *
 * Two connections: one publishes, one is in subscriber mode (Redis allows nothing else on it).
 * A channel is subscribed when its first local listener comes and unsubscribed when its last
 * goes. Nothing waits for Redis and nothing queues for it: a message published while it is
 * unreachable is dropped (the change log in the database is what must not be lost), and once it
 * is back every `onResume` listener is called, after the channels are subscribed again, so that
 * subscribers can read the current state.
 */
import { Redis, type RedisOptions } from "ioredis";
import { describeRedis, parseRedisUrl } from "../config";
import type { Logger } from "../logger";
import { Listeners, type EventBus } from "./event-bus";

export interface RedisBusOptions {
  /** Put before every channel name on Redis (`REDIS_CHANNEL_PREFIX`); default none. */
  channelPrefix?: string;
  /** How often each connection is checked with a PING, in ms (default 5000). */
  heartbeatMs?: number;
  /**
   * How long connecting, and any command's answer, may take, in ms (default 2000); then the
   * command fails, and its connection, if it is still the current one, is dropped and made again.
   */
  timeoutMs?: number;
  /** The longest pause between two attempts to connect again, in ms (default 2000). */
  maxRetryDelayMs?: number;
}

/**
 * Publishes sent and not yet answered, at most: beyond that (Redis slow or the link silently
 * gone, before the timeout notices) a message is dropped rather than held in memory.
 */
export const MAX_PUBLISHES_IN_FLIGHT = 1000;

/** What `/readyz` says while the bus cannot deliver. */
export const REDIS_PROBLEM = "redis unreachable";

type State = "starting" | "up" | "down";

export class RedisBus implements EventBus {
  private readonly listeners = new Listeners();
  private readonly resumeListeners = new Set<() => void>();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly target: string;
  private readonly heartbeat: NodeJS.Timeout;
  /** The last state logged: "starting" until the first connection attempt has ended. */
  private state: State = "starting";
  /** Whether the local listeners' channels are subscribed on the subscriber's current connection. */
  private subscribed = false;
  /** Lost connections of each, so that what an earlier connection left behind is told apart. */
  private readonly epochs = new Map<Redis, number>();
  private inFlight = 0;
  private droppedCount = 0;
  private droppedSinceUp = 0;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;
  private settleStart!: () => void;

  /**
   * Resolves once the first attempt to connect has ended, either way: connected, or unreachable
   * (logged; the bus goes on trying). The service waits for it at start so that a normal start
   * is ready at once, and a start without Redis is not held up.
   */
  readonly started: Promise<void>;

  constructor(
    url: string,
    private readonly logger: Logger,
    options: RedisBusOptions = {},
  ) {
    const endpoint = parseRedisUrl(url);
    const timeoutMs = options.timeoutMs ?? 2000;
    const maxRetryDelayMs = options.maxRetryDelayMs ?? 2000;
    this.prefix = options.channelPrefix ?? "";
    this.target = describeRedis(endpoint);
    this.started = new Promise((resolve) => (this.settleStart = resolve));

    const connection = (name: string): Redis =>
      new Redis({
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.username,
        password: endpoint.password,
        db: endpoint.db,
        ...(endpoint.tls && { tls: {} }),
        connectionName: name,
        // Fail at once while not connected, rather than queue without bound for later.
        enableOfflineQueue: false,
        // The channels are subscribed again by this class (resubscribe), which knows when
        // that is done; a command cut off by a lost connection is not sent again.
        autoResubscribe: false,
        autoResendUnfulfilledCommands: false,
        connectTimeout: timeoutMs,
        disconnectTimeout: timeoutMs,
        // Not ioredis's socketTimeout: its timer outlives the connection that armed it and cuts
        // the next one (see watch).
        commandTimeout: timeoutMs,
        // Forever, 0.1 s more each time, at most maxRetryDelayMs apart.
        retryStrategy: (attempt: number) => Math.min(attempt * 100, maxRetryDelayMs),
      } satisfies RedisOptions);

    this.publisher = connection("statuses-events-publish");
    this.subscriber = connection("statuses-events-subscribe");
    for (const redis of [this.publisher, this.subscriber]) {
      this.epochs.set(redis, 0);
      // ioredis reports each failed attempt here; the state change is logged once, on close.
      redis.on("error", (error: Error) => (this.lastError = error.message));
      redis.on("close", () => this.lost(redis));
    }
    this.publisher.on("ready", () => this.checkUp());
    this.subscriber.on("ready", () => void this.resubscribe());
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel.startsWith(this.prefix)) {
        this.listeners.deliver(channel.slice(this.prefix.length), message);
      }
    });

    // A link that went silent (no reset, no close) is noticed by a PING left unanswered.
    this.heartbeat = setInterval(() => {
      for (const redis of [this.publisher, this.subscriber]) {
        if (redis.status === "ready") this.watch(redis, () => redis.ping()).catch(() => undefined);
      }
    }, options.heartbeatMs ?? 5000);
    this.heartbeat.unref();
  }

  get healthy(): boolean {
    return (
      !this.closing &&
      this.subscribed &&
      this.publisher.status === "ready" &&
      this.subscriber.status === "ready"
    );
  }

  get problem(): string | undefined {
    return this.healthy ? undefined : REDIS_PROBLEM;
  }

  /** How many messages were dropped (Redis unreachable or too slow) since the bus was made. */
  get dropped(): number {
    return this.droppedCount;
  }

  publish(channel: string, message: string): void {
    if (
      this.closing ||
      this.publisher.status !== "ready" ||
      this.inFlight >= MAX_PUBLISHES_IN_FLIGHT
    ) {
      this.drop();
      return;
    }
    this.inFlight += 1;
    // Settles within the command timeout, even when the connection is lost meanwhile.
    this.watch(this.publisher, () => this.publisher.publish(this.prefix + channel, message)).then(
      () => (this.inFlight -= 1),
      () => {
        this.inFlight -= 1;
        this.drop();
      },
    );
  }

  subscribe(channel: string, listener: (message: string) => void): () => void {
    const { first, stop } = this.listeners.add(channel, listener);
    if (first) this.send("subscribe", channel);
    return () => {
      if (stop()) this.send("unsubscribe", channel);
    };
  }

  onResume(listener: () => void): () => void {
    const own = () => listener();
    this.resumeListeners.add(own);
    return () => void this.resumeListeners.delete(own);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      this.resumeListeners.clear();
      this.settleStart();
      await Promise.all(
        [this.publisher, this.subscriber].map(async (redis) => {
          if (redis.status === "ready") await redis.quit().catch(() => undefined);
          // Also stops the attempts to reconnect when Redis was unreachable.
          redis.disconnect();
        }),
      );
    })();
    return this.closing;
  }

  /**
   * SUBSCRIBE or UNSUBSCRIBE one channel now, when connected. When not, there is nothing to do:
   * each new connection subscribes the channels that have listeners then (resubscribe).
   */
  private send(command: "subscribe" | "unsubscribe", channel: string): void {
    if (this.closing || this.subscriber.status !== "ready") return;
    const name = this.prefix + channel;
    const redis = this.subscriber;
    this.watch(redis, () =>
      command === "subscribe" ? redis.subscribe(name) : redis.unsubscribe(name),
    ).catch(() => undefined);
  }

  /** On each new subscriber connection: the channels with listeners, then up (and resume). */
  private async resubscribe(): Promise<void> {
    const redis = this.subscriber;
    const epoch = this.epochs.get(redis);
    const channels = this.listeners.channels.map((channel) => this.prefix + channel);
    try {
      if (channels.length > 0) await this.watch(redis, () => redis.subscribe(...channels));
    } catch {
      // Connected, and refused all the same (an ACL without these channels, say): not up.
      if (epoch === this.epochs.get(redis) && redis.status === "ready") this.enter("down");
      return;
    }
    if (epoch !== this.epochs.get(redis) || this.closing) return;
    this.subscribed = true;
    this.checkUp();
  }

  private lost(redis: Redis): void {
    if (this.closing) return;
    this.epochs.set(redis, (this.epochs.get(redis) ?? 0) + 1);
    if (redis === this.subscriber) this.subscribed = false;
    this.enter("down");
  }

  private checkUp(): void {
    if (this.healthy) this.enter("up");
  }

  /** Logs each change of state once; back up after being down, calls the resume listeners. */
  private enter(next: "up" | "down"): void {
    const previous = this.state;
    if (previous === next || this.closing) return;
    this.state = next;
    this.settleStart();
    if (next === "down") {
      this.logger.warn(
        { redis: this.target, reason: this.lastError ?? "connection closed" },
        "event bus: Redis unreachable; changes are not announced to live subscriptions until it is back",
      );
      return;
    }
    this.lastError = undefined;
    if (previous === "starting") {
      this.logger.info({ redis: this.target }, "event bus: connected to Redis");
      return;
    }
    this.logger.info(
      { redis: this.target, dropped: this.droppedSinceUp },
      "event bus: Redis reachable again; live subscriptions read the current state",
    );
    this.droppedSinceUp = 0;
    for (const listener of [...this.resumeListeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own (listeners handle their errors).
      }
    }
  }

  private drop(): void {
    this.droppedCount += 1;
    this.droppedSinceUp += 1;
  }

  /**
   * Sends a command and watches its answer. A failure is kept as the reason for the log. No
   * answer within the timeout, on a connection still the current one and thought ready, means
   * the link went silent: that connection is dropped, and ioredis makes a new one. (A timeout of
   * a command sent on an earlier connection says nothing about the current one.)
   */
  private watch<T>(redis: Redis, send: () => Promise<T>): Promise<T> {
    const epoch = this.epochs.get(redis);
    let sent: Promise<T>;
    try {
      sent = send();
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.catch((error: unknown) => {
      this.lastError = error instanceof Error ? error.message : String(error);
      const silent = error instanceof Error && error.message === "Command timed out";
      if (silent && !this.closing && epoch === this.epochs.get(redis) && redis.status === "ready") {
        this.lastError = "no answer in time";
        redis.disconnect(true);
      }
      throw error;
    });
  }
}
