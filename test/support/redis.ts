import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { parseRedisUrl } from "../../src/config";

/** Server used by the tests of the Redis event bus. */
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Set by the global setup when that server answered. */
export const REDIS_AVAILABLE_FLAG = "TEST_REDIS_AVAILABLE";

/** Whether the global setup reached Redis (the Redis tests are skipped otherwise, never in CI). */
export function redisAvailable(): boolean {
  return process.env[REDIS_AVAILABLE_FLAG] === "1";
}

/**
 * A channel prefix of this test run's own: sessions sharing one Redis server (pub/sub channels
 * are server-wide) do not hear each other.
 */
export function uniqueChannelPrefix(): string {
  return `cls-test:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A plain client of the test server, for checks (PUBSUB NUMSUB, PING); quit it after use. */
export function redisClient(): Redis {
  const { tls, ...endpoint } = parseRedisUrl(REDIS_TEST_URL);
  return new Redis({
    ...endpoint,
    ...(tls && { tls: {} }),
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

/** Answers once Redis has answered a PING; rejects with the reason when it is unreachable. */
export async function pingRedis(): Promise<void> {
  const client = redisClient();
  let cause: Error | undefined;
  client.on("error", (error: Error) => (cause ??= error));
  try {
    await client.ping();
  } catch (error) {
    // The command only says the connection closed; the error event said why.
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
}
