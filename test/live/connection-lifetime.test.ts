/**
 * How long a live connection lasts: it must authenticate within the init timeout, it closes at
 * its token's expiry, and when its account is turned off (within the credential re-check).
 */
import { SignJWT } from "jose";
import WebSocket from "ws";
import {
  describeEachDatabaseKind,
  testDatabases,
  TestServer,
  type TestDatabase,
} from "../support/harness";
import { startBehindProxy } from "../support/database-proxy";
import type { TcpProxy } from "../support/tcp-proxy";
import { liveClient, type LiveClient } from "./ws-client";

const SECRET = "live-connection-secret-".padEnd(40, "x");
const CALL_STATUSES = `subscription { callStatusesChanged { revision } }`;

describeEachDatabaseKind("the lifetime of a live connection", (kind) => {
  const server = new TestServer(kind);
  const clients: LiveClient[] = [];

  beforeAll(() =>
    server.start({
      auth: {
        apiKeyCacheSeconds: 1,
        jwt: {
          secret: SECRET,
          roleClaim: "role",
          accountClaim: "account",
          maxAgeSeconds: 3600,
        },
      },
      subscriptions: { maxPerConnection: 20, maxPerCredential: 200, connectionInitTimeoutMs: 500 },
    }),
  );
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
  });
  afterAll(() => server.stop());

  it("closes a connection that does not authenticate in time (4408)", async () => {
    const socket = new WebSocket(server.url.replace(/^http/, "ws"), "graphql-transport-ws");
    const closed = await new Promise<number>((resolve) =>
      socket.on("close", (code) => resolve(code)),
    );
    expect(closed).toBe(4408);
  });

  it("closes a token's connection when the token expires (4403)", async () => {
    const token = await new SignJWT({ role: "AGENT" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setSubject("live-agent")
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(SECRET));
    const client = liveClient(server.url, { Authorization: `Bearer ${token}` });
    clients.push(client);
    const [first] = await client
      .subscribe<{ callStatusesChanged: { revision: string } }>(CALL_STATUSES)
      .waitFor(1);
    expect(first.data?.callStatusesChanged.revision).toEqual(expect.any(String));
    expect((await client.closed).code).toBe(4403);
  });

  it("closes the connections of an account that is turned off (4403)", async () => {
    const platform = await server.createPlatformKey();
    const asPlatform = { "x-api-key": platform };
    const { createAccount } = await server.ok<{ createAccount: { id: string } }>(
      `mutation { createAccount(input: { code: "closing_live", name: "Closing" }) { id } }`,
      {},
      asPlatform,
    );
    const { createApiKey } = await server.ok<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(input: { name: "agent", role: AGENT, accountCode: "closing_live" }) { secret } }`,
      {},
      asPlatform,
    );
    const client = liveClient(server.url, { "X-Api-Key": createApiKey.secret });
    clients.push(client);
    await client.subscribe(CALL_STATUSES).waitFor(1);
    await server.ok(
      `mutation($id: ID!) { updateAccount(id: $id, input: { active: false }) { active } }`,
      { id: createAccount.id },
      asPlatform,
    );
    expect((await client.closed).code).toBe(4403);
  });
});

const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("a live connection while the database is away [mariadb]", () => {
  let proxy: TcpProxy;
  const server = new TestServer("mariadb");
  let database: TestDatabase;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    ({ proxy, database } = await startBehindProxy(server, { auth: { apiKeyCacheSeconds: 1 } }));
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await server.stop();
    await proxy.stop();
    await database.drop();
  });

  it("stays open when its credential cannot be checked for a while, and goes on delivering", async () => {
    const client = liveClient(server.url, { "X-Api-Key": server.adminKey });
    clients.push(client);
    const sub = client.subscribe<{
      callStatusesChanged: { callStatuses: Array<{ title: string }> };
    }>(`subscription { callStatusesChanged { callStatuses { title } } }`);
    await sub.waitFor(1);
    let closed = false;
    void client.closed.then(() => (closed = true));
    // Several re-checks (every second) fail to reach the database: not a refused credential.
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 3500));
    proxy.restore();
    expect(closed).toBe(false);
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const created = await server.gql(
        `mutation { createCallStatus(input: { title: "After the outage" }) { id } }`,
      );
      if (!created.errors) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const [, change] = await sub.waitFor(2, 5000);
    expect(change.data!.callStatusesChanged.callStatuses.map((s) => s.title)).toContain(
      "After the outage",
    );
    expect(closed).toBe(false);
  }, 30_000);
});
