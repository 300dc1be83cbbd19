import net from "node:net";
import { mysqlServer } from "../support/mysql";
import {
  createTestDatabase,
  expectError,
  testDatabases,
  TestServer,
  type TestDatabase,
} from "../support/harness";

/**
 * A TCP proxy in front of MariaDB that can cut every connection and refuse new ones, or
 * blackhole them: connections stay open but no byte gets through either way (a dead network).
 */
class Proxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private blackholed = false;
  private readonly server = net.createServer((client) => {
    if (!this.up) return client.destroy();
    const target = mysqlServer();
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(from);
      from.on("close", () => {
        this.sockets.delete(from);
        to.destroy();
      });
      from.on("error", () => from.destroy());
      from.on("data", (chunk) => {
        if (!this.blackholed) to.write(chunk);
      });
    }
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  blackhole(): void {
    this.blackholed = true;
  }

  restore(): void {
    this.up = true;
    this.blackholed = false;
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
          connectTimeoutMs: 1000,
          queryTimeoutMs: 1000,
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

  const LEADS = `{ leads(first: 1) { totalCount } }`;
  const CREATE = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { code } }`;

  async function waitForRecovery(): Promise<boolean> {
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const again = await server.gql<{ leads: { totalCount: number } }>(LEADS);
      if (again.data?.leads) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  it("fails fast with SERVICE_UNAVAILABLE while the database is away, and recovers without a restart", async () => {
    // Writes acknowledged before the outage must all be there after it.
    const acknowledged: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const data = await server.ok<{ createCallStatus: { code: string } }>(CREATE, {
        input: { code: `before_cut_${index}`, title: `Before cut ${index}` },
      });
      acknowledged.push(data.createCallStatus.code);
    }

    proxy.cut();
    const response = await server.gql(LEADS);
    expect(response.status).toBe(503);
    expectError(response, "SERVICE_UNAVAILABLE");
    const write = await server.gql(CREATE, { input: { code: "during_cut", title: "During cut" } });
    expectError(write, "SERVICE_UNAVAILABLE");
    expect(await readyz()).toBe(503);
    expect((await fetch(`${new URL(server.url).origin}/healthz`)).status).toBe(200);

    proxy.restore();
    expect(await waitForRecovery()).toBe(true);
    expect(await readyz()).toBe(200);
    const { callStatuses } = await server.ok<{ callStatuses: Array<{ code: string }> }>(
      `{ callStatuses(filter: { search: "cut" }) { code } }`,
    );
    expect(callStatuses.map((s) => s.code).sort()).toEqual(acknowledged);
  });

  it("bounds a statement's wait when the network goes silent (no reset, no answer), then recovers", async () => {
    expect(await waitForRecovery()).toBe(true);
    proxy.blackhole();
    // Without the statement timeout these would wait for TCP to give up (many minutes): the
    // test's own time limit is what fails then.
    const read = await server.gql(LEADS);
    expectError(read, "SERVICE_UNAVAILABLE");
    expect(read.status).toBe(503);
    const write = await server.gql(CREATE, {
      input: { code: "during_blackhole", title: "During blackhole" },
    });
    expectError(write, "SERVICE_UNAVAILABLE");
    expect(await readyz()).toBe(503);

    proxy.restore();
    // The connections that hung were thrown away, so none of them blocks what comes next.
    expect(await waitForRecovery()).toBe(true);
    const again = await server.ok<{ createCallStatus: { code: string } }>(CREATE, {
      input: { code: "after_blackhole", title: "After blackhole" },
    });
    expect(again.createCallStatus.code).toBe("after_blackhole");
    const { callStatus } = await server.ok<{ callStatus: { code: string } | null }>(
      `{ callStatus(code: "during_blackhole") { code } }`,
    );
    expect(callStatus).toBeNull();
  }, 30_000);
});
