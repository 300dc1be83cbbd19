import type { MysqlEndpoint } from "../../src/config";
import { adminConnection } from "../support/mysql";
import {
  createTestDatabase,
  testDatabases,
  TestServer,
  type TestDatabase,
} from "../support/harness";

/**
 * Read replicas (DATABASE_REPLICA_URLS). Besides the primary-as-its-own-replica setup, the
 * routing itself is shown with a "replica" that is a separate database holding an older copy of
 * the data: whatever a query reads comes from it, whatever a mutation reads comes from the
 * primary.
 */
const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

type MysqlConfig = Extract<TestDatabase["config"], { kind: "mysql" }>;

function endpoint(database: TestDatabase): MysqlEndpoint {
  const { host, port, username, password, database: name } = database.config as MysqlConfig;
  return { host, port, username, password, database: name };
}

const CREATE_STATUS = `mutation($input: CreateCallStatusInput!) {
  createCallStatus(input: $input) { id code title version leadStatus { code } }
}`;
const UPDATE_STATUS = `mutation($id: ID!, $input: UpdateCallStatusInput!) {
  updateCallStatus(id: $id, input: $input) { id title version }
}`;
const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id status { code } } }`;
const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id status { code } } lead { id status { code } } leadStatusChanged }
}`;

/** The same write flow, whose every step reads back what the step before wrote. */
async function writeFlow(server: TestServer, suffix: string) {
  const created = await server.ok<{
    createCallStatus: { id: string; code: string; title: string; version: number };
  }>(CREATE_STATUS, {
    input: { code: `replica_${suffix}`, title: `Replica ${suffix}`, leadStatusCode: "qualified" },
  });
  expect(created.createCallStatus).toMatchObject({
    code: `replica_${suffix}`,
    title: `Replica ${suffix}`,
    version: 1,
  });
  // `expectedVersion` is checked against the primary's row, not a replica's copy.
  const updated = await server.ok<{ updateCallStatus: { title: string; version: number } }>(
    UPDATE_STATUS,
    { id: created.createCallStatus.id, input: { title: `Renamed ${suffix}`, expectedVersion: 1 } },
  );
  expect(updated.updateCallStatus).toMatchObject({ title: `Renamed ${suffix}`, version: 2 });

  const lead = await server.ok<{ createLead: { id: string; status: { code: string } } }>(
    CREATE_LEAD,
    { input: { name: `Lead ${suffix}` } },
  );
  expect(lead.createLead.status.code).toBe("new");

  const input = {
    leadId: lead.createLead.id,
    callStatusCode: `replica_${suffix}`,
    idempotencyKey: `replica-${suffix}`,
  };
  type Recorded = {
    recordCallResult: {
      call: { id: string; status: { code: string } };
      lead: { id: string; status: { code: string } };
      leadStatusChanged: boolean;
    };
  };
  const first = await server.ok<Recorded>(RECORD, { input });
  expect(first.recordCallResult.lead.status.code).toBe("qualified");
  expect(first.recordCallResult.leadStatusChanged).toBe(true);
  // The replay finds the original call on the primary.
  const replay = await server.ok<Recorded>(RECORD, { input });
  expect(replay.recordCallResult.call.id).toBe(first.recordCallResult.call.id);
  return { statusId: created.createCallStatus.id, leadId: lead.createLead.id };
}

describeMysql("read replicas [mariadb]", () => {
  describe("the primary listed as its own replica", () => {
    const server = new TestServer("mariadb");
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase("mariadb");
      await server.start(
        { database: { ...(database.config as MysqlConfig), replicas: [endpoint(database)] } },
        { database },
      );
    });
    afterAll(async () => {
      await server.stop();
      await database.drop();
    });

    it("serves writes, reads after writes and queries as without replicas", async () => {
      const { leadId } = await writeFlow(server, "self");
      const { lead } = await server.ok<{ lead: { status: { code: string } } | null }>(
        `query($id: ID!) { lead(id: $id) { status { code } } }`,
        { id: leadId },
      );
      expect(lead?.status.code).toBe("qualified");
      const { callStatuses } = await server.ok<{ callStatuses: Array<{ title: string }> }>(
        `{ callStatuses(filter: { search: "replica_self" }) { title } }`,
      );
      expect(callStatuses).toEqual([{ title: "Renamed self" }]);
    });
  });

  describe("a replica that lags behind the primary", () => {
    const server = new TestServer("mariadb");
    let primary: TestDatabase;
    let replica: TestDatabase;

    beforeAll(async () => {
      primary = await createTestDatabase("mariadb");
      replica = await createTestDatabase("mariadb");
      // The replica holds the schema and the seeded statuses: a copy from before any change.
      const migrate = new TestServer("mariadb");
      await migrate.start({}, { database: replica });
      await migrate.stop();
      await server.start(
        { database: { ...(primary.config as MysqlConfig), replicas: [endpoint(replica)] } },
        { database: primary },
      );
      // Keys are looked up like any read: the replica must know the test's ADMIN key.
      const admin = await adminConnection();
      try {
        await admin.query(`DELETE FROM \`${endpoint(replica).database}\`.api_keys`);
        await admin.query(
          `INSERT INTO \`${endpoint(replica).database}\`.api_keys SELECT * FROM \`${endpoint(primary).database}\`.api_keys`,
        );
      } finally {
        await admin.end();
      }
    });
    afterAll(async () => {
      await server.stop();
      await primary.drop();
      await replica.drop();
    });

    it("makes every read of a mutation on the primary, though the replica has none of its rows", async () => {
      await writeFlow(server, "lagging");
    });

    it("answers queries from the replica", async () => {
      // A lead created now exists on the primary only: queries do not find it yet.
      const { createLead } = await server.ok<{ createLead: { id: string } }>(CREATE_LEAD, {
        input: { name: "Replica lead" },
      });
      const LEAD = `query($id: ID!) { lead(id: $id) { id } }`;
      const before = await server.ok<{ lead: { id: string } | null }>(LEAD, { id: createLead.id });
      expect(before.lead).toBeNull();

      // Once the row reaches the replica, queries see it.
      const admin = await adminConnection();
      try {
        await admin.query(
          `INSERT INTO \`${endpoint(replica).database}\`.leads SELECT * FROM \`${endpoint(primary).database}\`.leads WHERE id = ?`,
          [Number(createLead.id)],
        );
      } finally {
        await admin.end();
      }
      const after = await server.ok<{ lead: { id: string } | null }>(LEAD, { id: createLead.id });
      expect(after.lead).toEqual({ id: createLead.id });
    });
  });
});
