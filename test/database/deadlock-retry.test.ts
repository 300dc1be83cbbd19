import type mysql from "mysql2/promise";
import type { DataSource, EntityManager } from "typeorm";
import type { DatabaseConfig } from "../../src/config";
import { setTransactionAttempts, runTransaction } from "../../src/db/writes";
import { clientErrorCode } from "../../src/graphql/errors";
import { adminConnection } from "../support/mysql";
import {
  createTestDatabase,
  describeEachDatabase,
  expectError,
  testDatabases,
  TestServer,
  type GraphQLResponse,
  type TestDatabase,
} from "../support/harness";

interface Status {
  id: string;
  code: string;
  title: string;
  version: number;
  history: Array<{ action: string }>;
}

const STATUS_FIELDS = `id code title version history { action }`;
const CREATE = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { ${STATUS_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { ${STATUS_FIELDS} } }`;

async function createStatus(server: TestServer, code: string): Promise<Status> {
  const data = await server.ok<{ createCallStatus: Status }>(CREATE, {
    input: { code, title: `Before ${code}` },
  });
  return data.createCallStatus;
}

async function statusById(server: TestServer, id: string): Promise<Status> {
  const data = await server.ok<{ callStatus: Status }>(
    `query($id: ID) { callStatus(id: $id) { ${STATUS_FIELDS} } }`,
    { id },
  );
  return data.callStatus;
}

/** How many statements of the app (since `resetQueries`) begin, commit, roll back a transaction. */
function transactions(server: TestServer) {
  const count = (pattern: RegExp) => server.queries.filter((sql) => pattern.test(sql)).length;
  return {
    begun: count(/^(START TRANSACTION|BEGIN)\b/i),
    committed: count(/^COMMIT\b/i),
    rolledBack: count(/^ROLLBACK\b/i),
  };
}

/** Rows the test's own transaction writes first, so that InnoDB rolls back the app's instead. */
const BALLAST_ROWS = 500;

/**
 * Bounded wait for a condition checked with the admin connection. InnoDB refreshes what its
 * information_schema tables show only when they were not read for 100 ms: a faster poll would
 * keep seeing the first answer.
 */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Until a transaction of the app in `database` waits for the status_revision row (which the
 * test holds): its thread. Read from PROCESSLIST, which is current — InnoDB's own tables may show
 * what they showed up to 100 ms ago, another test's transaction included.
 */
async function waitingAppThread(connection: mysql.Connection, database: string): Promise<number> {
  let thread = 0;
  await waitFor("the app's transaction to wait for the status_revision row", async () => {
    const [rows] = await connection.query(
      `SELECT ID AS thread FROM information_schema.PROCESSLIST
        WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE 'UPDATE%status_revision%'`,
      [database],
    );
    thread = Number((rows as Array<{ thread: number }>)[0]?.thread ?? 0);
    return thread > 0;
  });
  return thread;
}

/**
 * Sends `updateCallStatus` while the test's own transaction holds the status_revision row, and
 * once the app's transaction waits for it (holding the call_statuses row), runs `meanwhile`;
 * then rolls its transaction back, which lets a retry of the app's go on. `first` runs in the
 * test's transaction before it takes the row.
 */
async function updateWhileRevisionHeld(
  server: TestServer,
  id: string,
  title: string,
  steps: {
    /** Before the test's transaction begins (DDL, which would end it). */
    setup?: (connection: mysql.Connection) => Promise<void>;
    first?: (connection: mysql.Connection) => Promise<void>;
    meanwhile: (connection: mysql.Connection, appThread: number) => Promise<void>;
  },
): Promise<GraphQLResponse<{ updateCallStatus: Status | null }>> {
  const database = server.database.config as Extract<DatabaseConfig, { kind: "mysql" }>;
  const connection: mysql.Connection = await adminConnection();
  try {
    await connection.query(`USE \`${database.database}\``);
    await steps.setup?.(connection);
    await connection.query("START TRANSACTION");
    await steps.first?.(connection);
    await connection.query("SELECT revision FROM status_revision WHERE account_id = 1 FOR UPDATE");
    const response = server.gql<{ updateCallStatus: Status | null }>(UPDATE, {
      id,
      input: { title },
    });
    response.catch(() => undefined); // awaited below, unless the wait fails first
    await steps.meanwhile(connection, await waitingAppThread(connection, database.database));
    await connection.query("ROLLBACK");
    return await response;
  } finally {
    await connection.query("ROLLBACK").catch(() => undefined);
    await connection.end();
  }
}

/**
 * Makes the transaction of `updateCallStatus` the victim of a real InnoDB deadlock: the test's
 * transaction first writes `BALLAST_ROWS` rows (InnoDB rolls back the lighter of two deadlocked
 * transactions: that must be the app's), then, once the app's waits for status_revision, asks
 * for the call_statuses row the app's holds — a cycle, which InnoDB breaks by rolling back the
 * app's transaction.
 */
function updateThroughDeadlock(server: TestServer, id: string, title: string) {
  return updateWhileRevisionHeld(server, id, title, {
    setup: async (connection) => {
      await connection.query(
        "CREATE TABLE IF NOT EXISTS deadlock_ballast (id INT AUTO_INCREMENT PRIMARY KEY, filler VARCHAR(64) NOT NULL) ENGINE=InnoDB",
      );
    },
    first: async (connection) => {
      await connection.query("INSERT INTO deadlock_ballast (filler) VALUES ?", [
        Array.from({ length: BALLAST_ROWS }, (_, index) => [`ballast ${index}`]),
      ]);
    },
    // This returns (rather than failing with a deadlock itself, or waiting) only because InnoDB
    // rolled back the app's transaction, releasing the call_statuses row.
    meanwhile: async (connection) => {
      await connection.query("SELECT id FROM call_statuses WHERE id = ? FOR UPDATE", [Number(id)]);
    },
  });
}

/**
 * Kills the database connection of `updateCallStatus` while its transaction waits for the row
 * lock the test holds: before COMMIT, nothing of it is written.
 */
function updateThroughKilledConnection(server: TestServer, id: string, title: string) {
  return updateWhileRevisionHeld(server, id, title, {
    meanwhile: async (connection, appThread) => {
      await connection.query(`KILL CONNECTION ${appThread}`);
    },
  });
}

async function revision(server: TestServer): Promise<number> {
  const rows: Array<{ revision: number }> = await server.app.dataSource.query(
    "SELECT revision FROM status_revision WHERE account_id = 1",
  );
  return Number(rows[0].revision);
}

// A deadlock needs two connections holding row locks; SQLite has neither (the service drives it
// through one connection, every transaction one at a time behind the write gate of
// src/db/writes.ts, and it locks the whole database, not rows). So these run on MariaDB only.
const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("a transaction that loses a deadlock, or its connection [mariadb]", () => {
  async function startServer(transactionAttempts?: number) {
    const server = new TestServer("mariadb");
    const database: TestDatabase = await createTestDatabase("mariadb");
    const config = database.config as Extract<DatabaseConfig, { kind: "mysql" }>;
    await server.start(
      { database: transactionAttempts === undefined ? config : { ...config, transactionAttempts } },
      { database },
    );
    return { server, database };
  }

  describe("with the default attempts", () => {
    let server: TestServer;
    let database: TestDatabase;
    beforeAll(async () => ({ server, database } = await startServer()));
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
    });

    it("is run again from the start and succeeds: the client sees no error, one change is written", async () => {
      const before = await createStatus(server, "deadlock_retried");
      const revisionBefore = await revision(server);
      server.resetQueries();

      const response = await updateThroughDeadlock(server, before.id, "After retry");

      expect(response.errors).toBeUndefined();
      expect(response.status).toBe(200);
      expect(response.data?.updateCallStatus).toMatchObject({
        title: "After retry",
        version: before.version + 1,
      });
      // Two tries of the transaction: the one rolled back by InnoDB, the one committed.
      expect(transactions(server)).toEqual({ begun: 2, committed: 1, rolledBack: 1 });
      const after = await statusById(server, before.id);
      expect(after.title).toBe("After retry");
      expect(after.version).toBe(before.version + 1);
      expect(after.history.map((entry) => entry.action)).toEqual(["CREATE", "UPDATE"]);
      expect(await revision(server)).toBe(revisionBefore + 1);
    });

    it("is run again on another connection when its connection is lost before COMMIT: the client sees no error, one change is written", async () => {
      const before = await createStatus(server, "connection_lost");
      const revisionBefore = await revision(server);
      server.resetQueries();

      const response = await updateThroughKilledConnection(server, before.id, "After reconnect");

      expect(response.errors).toBeUndefined();
      expect(response.data?.updateCallStatus).toMatchObject({
        title: "After reconnect",
        version: before.version + 1,
      });
      // Two tries: the one whose connection was killed (never committed), the one committed.
      expect(transactions(server)).toMatchObject({ begun: 2, committed: 1 });
      const after = await statusById(server, before.id);
      expect(after.title).toBe("After reconnect");
      expect(after.history.map((entry) => entry.action)).toEqual(["CREATE", "UPDATE"]);
      expect(await revision(server)).toBe(revisionBefore + 1);
    });
  });

  describe("with transactionAttempts: 1", () => {
    let server: TestServer;
    let database: TestDatabase;
    beforeAll(async () => ({ server, database } = await startServer(1)));
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
    });

    it("fails with one SERVICE_UNAVAILABLE (HTTP 503) and leaves nothing written", async () => {
      const before = await createStatus(server, "deadlock_refused");
      const revisionBefore = await revision(server);
      server.resetQueries();

      const response = await updateThroughDeadlock(server, before.id, "Never stored");

      const error = expectError(response, "SERVICE_UNAVAILABLE");
      expect(error.message).toBe("The database is unavailable right now. Try again shortly.");
      expect(response.data ?? null).toBeNull();
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(transactions(server)).toEqual({ begun: 1, committed: 0, rolledBack: 1 });
      const after = await statusById(server, before.id);
      expect(after).toEqual({ ...before, history: [{ action: "CREATE" }] });
      expect(await revision(server)).toBe(revisionBefore);
    });
  });
});

describeEachDatabase("a transaction without lock conflicts", (server) => {
  it("runs once: one transaction, one change, one audit entry (SQLite: unaffected by retries)", async () => {
    const before = await createStatus(server, "plain_update");
    const revisionBefore = await revision(server);
    server.resetQueries();

    const response = await server.gql<{ updateCallStatus: Status }>(UPDATE, {
      id: before.id,
      input: { title: "Plainly updated" },
    });

    expect(response.errors).toBeUndefined();
    expect(response.data?.updateCallStatus).toMatchObject({
      title: "Plainly updated",
      version: before.version + 1,
      history: [{ action: "CREATE" }, { action: "UPDATE" }],
    });
    expect(transactions(server)).toEqual({ begun: 1, committed: 1, rolledBack: 0 });
    expect(await revision(server)).toBe(revisionBefore + 1);
  });
});

describe("runTransaction's retries (no database)", () => {
  /** A stand-in data source whose transactions just run the callback. */
  function fakeDataSource(type: string): DataSource {
    return {
      options: { type },
      transaction: (work: (manager: EntityManager) => Promise<unknown>) =>
        work({} as EntityManager),
    } as unknown as DataSource;
  }
  const driverError = (code: string, errno: number) =>
    Object.assign(new Error(code), { driverError: { code, errno } });

  it.each([
    ["a deadlock", "ER_LOCK_DEADLOCK", 1213],
    ["a lock wait timeout", "ER_LOCK_WAIT_TIMEOUT", 1205],
  ])(
    "tries %s up to transactionAttempts times, then answers SERVICE_UNAVAILABLE",
    async (_, code, errno) => {
      const dataSource = fakeDataSource("mariadb");
      setTransactionAttempts(dataSource, 3);
      let tries = 0;
      const failing = runTransaction(dataSource, async () => {
        tries += 1;
        throw driverError(code, errno);
      });
      await expect(failing).rejects.toMatchObject({ driverError: { code } });
      expect(tries).toBe(3);
      expect(clientErrorCode(await failing.catch((error: unknown) => error))).toBe(
        "SERVICE_UNAVAILABLE",
      );

      tries = 0;
      const recovered = await runTransaction(dataSource, async () => {
        tries += 1;
        if (tries < 3) throw driverError(code, errno);
        return "done";
      });
      expect(recovered).toBe("done");
      expect(tries).toBe(3);
    },
  );

  const unavailable = [
    ["a Galera node not ready for clients", "ER_UNKNOWN_COM_ERROR", 1047],
    ["a killed connection (MariaDB)", "ER_CONNECTION_KILLED", 1927],
    [
      "an error during COMMIT (a node losing the primary component)",
      "ER_ERROR_DURING_COMMIT",
      1180,
    ],
    ["a server shutting down", "ER_SERVER_SHUTDOWN", 1053],
    ["a network read error on the server's side", "ER_NET_READ_ERROR", 1158],
    ["a connection lost (mysql2)", "PROTOCOL_CONNECTION_LOST", 0],
  ] as const;

  it.each(unavailable)(
    "tries once more after %s before COMMIT, then answers SERVICE_UNAVAILABLE",
    async (_, code, errno) => {
      const dataSource = fakeDataSource("mariadb");
      setTransactionAttempts(dataSource, 3);
      let tries = 0;
      const failing = runTransaction(dataSource, async () => {
        tries += 1;
        throw driverError(code, errno);
      });
      const error = await failing.catch((caught: unknown) => caught);
      // Once more only, whatever transactionAttempts says: a database that is down for good
      // is not asked again and again.
      expect(tries).toBe(2);
      expect(clientErrorCode(error)).toBe("SERVICE_UNAVAILABLE");
      if (errno > 0) {
        // By number alone, whatever name the driver gives it.
        expect(clientErrorCode(driverError("SOMETHING_ELSE", errno))).toBe("SERVICE_UNAVAILABLE");
      }

      tries = 0;
      const recovered = await runTransaction(dataSource, async () => {
        tries += 1;
        if (tries === 1) throw driverError(code, errno);
        return "done";
      });
      expect(recovered).toBe("done");
      expect(tries).toBe(2);
    },
  );

  it.each(unavailable)(
    "answers %s at COMMIT as SERVICE_UNAVAILABLE, without retrying it (it may have been applied)",
    async (_, code, errno) => {
      let tries = 0;
      const dataSource = {
        options: { type: "mariadb" },
        // The work resolves; the COMMIT after it fails.
        transaction: async (work: (manager: EntityManager) => Promise<unknown>) => {
          await work({} as EntityManager);
          throw driverError(code, errno);
        },
      } as unknown as DataSource;
      const error = await runTransaction(dataSource, async () => {
        tries += 1;
      }).catch((caught: unknown) => caught);
      expect(tries).toBe(1);
      expect(clientErrorCode(error)).toBe("SERVICE_UNAVAILABLE");
    },
  );

  it("does not retry other errors, nor anything on SQLite", async () => {
    const mariadb = fakeDataSource("mariadb");
    let tries = 0;
    await expect(
      runTransaction(mariadb, async () => {
        tries += 1;
        throw driverError("ER_DUP_ENTRY", 1062);
      }),
    ).rejects.toThrow("ER_DUP_ENTRY");
    expect(tries).toBe(1);

    const sqlite = fakeDataSource("better-sqlite3");
    tries = 0;
    await expect(
      runTransaction(sqlite, async () => {
        tries += 1;
        throw driverError("ER_LOCK_DEADLOCK", 1213);
      }),
    ).rejects.toThrow("ER_LOCK_DEADLOCK");
    expect(tries).toBe(1);
  });
});
