import net from "node:net";
import { mysqlServer } from "./support/mysql";
import {
  createTestDatabase,
  expectError,
  testDatabases,
  TestServer,
  type TestDatabase,
} from "./support/harness";

/** A TCP proxy in front of MariaDB that can cut every connection and refuse new ones. */
class Proxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private readonly server = net.createServer((client) => {
    if (!this.up) return client.destroy();
    const target = mysqlServer();
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("database outage [mariadb]", () => {
  const proxy = new Proxy();
  const server = new TestServer("mariadb");
  let database: TestDatabase;

  beforeAll(async () => {
    const port = await proxy.start();
    database = await createTestDatabase("mariadb");
    await server.start(
      {
        database: {
          ...(database.config as Extract<TestDatabase["config"], { kind: "mysql" }>),
          port,
        },
      },
      { database },
    );
  });

  afterAll(async () => {
    await server.stop();
    await proxy.stop();
    await database.drop();
  });

  const readyz = async () => (await fetch(`${new URL(server.url).origin}/readyz`)).status;

  it("fails fast with SERVICE_UNAVAILABLE while the database is away, and recovers without a restart", async () => {
    expect(
      (await server.ok<{ callStatuses: unknown[] }>(`{ callStatuses { code } }`)).callStatuses,
    ).toHaveLength(7);

    proxy.cut();
    const started = Date.now();
    const response = await server.gql(`{ callStatuses { code } }`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(response.status).not.toBe(500);
    expectError(response, "SERVICE_UNAVAILABLE");
    expect(await readyz()).toBe(503);
    expect((await fetch(`${new URL(server.url).origin}/healthz`)).status).toBe(200);

    proxy.restore();
    let recovered = false;
    for (let attempt = 0; attempt < 40 && !recovered; attempt += 1) {
      const again = await server.gql<{ callStatuses: unknown[] }>(`{ callStatuses { code } }`);
      recovered = again.data?.callStatuses?.length === 7;
      if (!recovered) await new Promise((r) => setTimeout(r, 250));
    }
    expect(recovered).toBe(true);
    expect(await readyz()).toBe(200);
  });
});
