/** Whether the Redis server of the live scenario's REDIS_URL run answers. */
import { Redis } from "ioredis";

/** The server's version when `url` answers a PING within 2 s; null otherwise. */
export async function redisVersion(url: string): Promise<string | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== "PONG") return null;
    const info = await client.info("server");
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? "?";
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}
