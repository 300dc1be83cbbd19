import { createTestDatabase, type TestDatabase, type TestServer } from "./harness";
import { mysqlServer } from "./mysql";
import { TcpProxy } from "./tcp-proxy";
import type { AppConfig } from "../../src/config";

/**
 * Starts `server` on a fresh MariaDB database reached through a TCP proxy the test can cut or
 * blackhole (an outage), with short connect and statement timeouts so that it notices fast.
 * Answers the proxy and the database (stop the server, then the proxy, then drop the database).
 */
export async function startBehindProxy(
  server: TestServer,
  overrides: Partial<AppConfig> = {},
): Promise<{ proxy: TcpProxy; database: TestDatabase }> {
  const proxy = new TcpProxy(mysqlServer());
  const port = await proxy.start();
  const database = await createTestDatabase("mariadb");
  await server.start(
    {
      ...overrides,
      database: {
        ...(database.config as Extract<TestDatabase["config"], { kind: "mysql" }>),
        port,
        connectTimeoutMs: 1000,
        queryTimeoutMs: 1000,
      },
    },
    { database },
  );
  return { proxy, database };
}
