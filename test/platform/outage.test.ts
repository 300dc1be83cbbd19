import { expectError, testDatabases, TestServer, type TestDatabase } from "../support/harness";
import { startBehindProxy } from "../support/database-proxy";
import type { TcpProxy } from "../support/tcp-proxy";

const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("database outage [mariadb]", () => {
  // In front of MariaDB: cut (connections closed, new ones refused) or blackholed (a dead network).
  let proxy: TcpProxy;
  const server = new TestServer("mariadb");
  let database: TestDatabase;

  beforeAll(async () => {
    ({ proxy, database } = await startBehindProxy(server));
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
