/**
 * The change feed (`Query.changes`): the account's committed changes, oldest first, each with
 * what it was at commit; paged by cursor without gaps or repeats — also when a transaction
 * commits after a later one, under concurrent writes, with two instances numbering — and
 * numbered even when the process that committed never did.
 */
import type mysql from "mysql2/promise";
import type { DatabaseConfig } from "../../src/config";
import { adminConnection } from "../support/mysql";
import {
  createTestDatabase,
  describeEachDatabase,
  expectError,
  TestServer,
  testDatabases,
  type TestDatabase,
} from "../support/harness";
import { createLead, recordCall } from "../support/leads-and-calls";

interface ChangeNode {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  entityId: string;
  leadId: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked by shape
  data: Record<string, any> | null;
}

interface ChangesPage {
  changes: {
    edges: Array<{ cursor: string; node: ChangeNode }>;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
    totalCount?: number;
  };
}

const CHANGES = `query($after: String, $first: Int, $types: [String!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { id type version occurredAt entityId leadId data } }
    pageInfo { endCursor hasNextPage }
  }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every change after `after` (paging by `first`), once the feed holds at least `atLeast`. */
async function readFeed(
  server: TestServer,
  options: { after?: string | null; first?: number; atLeast?: number; types?: string[] } = {},
  headers?: Record<string, string>,
): Promise<{ nodes: ChangeNode[]; cursor: string | null }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const nodes: ChangeNode[] = [];
    let cursor = options.after ?? null;
    for (;;) {
      const { changes } = await server.ok<ChangesPage>(
        CHANGES,
        { after: cursor, first: options.first ?? 100, types: options.types },
        headers,
      );
      nodes.push(...changes.edges.map((edge) => edge.node));
      if (changes.pageInfo.endCursor) cursor = changes.pageInfo.endCursor;
      if (!changes.pageInfo.hasNextPage) break;
    }
    if (nodes.length >= (options.atLeast ?? 0) || Date.now() > deadline) return { nodes, cursor };
    await sleep(50);
  }
}

/** The cursor after everything in the feed now. */
async function endOfFeed(server: TestServer): Promise<string | null> {
  return (await readFeed(server)).cursor;
}

async function callStatusId(server: TestServer, code: string): Promise<string> {
  const { callStatus } = await server.ok<{ callStatus: { id: string } }>(
    `query($code: String) { callStatus(code: $code) { id } }`,
    { code },
  );
  return callStatus.id;
}

describeEachDatabase("the change feed", (server) => {
  it("gives each committed change oldest first, with what it was at commit", async () => {
    const after = await endOfFeed(server);
    const qualified = await callStatusId(server, "qualified");
    await server.ok(
      `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Qualified (feed)" }) { id } }`,
      { id: qualified },
    );
    const leadId = await createLead(server, "Feed Lead");
    const callId = await recordCall(server, leadId, "qualified", "Interested");
    // Renamed again later: the recorded call's event keeps the title it had.
    await server.ok(
      `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Qualified" }) { id } }`,
      { id: qualified },
    );

    const { nodes } = await readFeed(server, { after, atLeast: 5 });
    expect(nodes.map((n) => n.type)).toEqual([
      "call_status.updated",
      "lead.created",
      "call.recorded",
      "lead.updated",
      "call_status.updated",
    ]);
    const [renamed, created, recorded, moved] = nodes;
    expect(nodes.every((n) => n.version === 1 && !Number.isNaN(Date.parse(n.occurredAt)))).toBe(
      true,
    );
    expect(renamed).toMatchObject({ entityId: qualified, leadId: null });
    expect(renamed.data).toMatchObject({
      callStatus: { id: qualified, code: "qualified", title: "Qualified (feed)" },
      changes: [{ field: "title", before: "Qualified", after: "Qualified (feed)" }],
    });
    expect(created).toMatchObject({ entityId: leadId, leadId });
    expect(created.data).toMatchObject({
      lead: { id: leadId, externalId: "Feed Lead", name: "Feed Lead", status: { code: "new" } },
    });
    expect(recorded).toMatchObject({ entityId: callId, leadId });
    expect(recorded.data).toEqual({
      call: {
        id: callId,
        leadId,
        outcome: { id: qualified, code: "qualified", title: "Qualified (feed)" },
        comment: "Interested",
        afterCallTransfer: false,
        nextCallAt: null,
        recordedAt: expect.any(String),
        recordedByRole: "ADMIN",
        recordedBy: expect.stringMatching(/^key:/),
      },
      lead: { id: leadId, externalId: "Feed Lead" },
      leadStatus: {
        before: expect.objectContaining({ code: "new" }),
        after: expect.objectContaining({ code: "qualified", category: "QUALIFIED" }),
        changed: true,
      },
    });
    expect(moved.data).toMatchObject({
      lead: { id: leadId, status: { code: "qualified" } },
      changes: [{ field: "statusId" }],
      callId,
    });
  });

  it("pages without gaps or repeats, filters by type, and refuses what it cannot serve", async () => {
    const after = await endOfFeed(server);
    const leadId = await createLead(server, "Pager");
    for (const code of ["disqualified", "qualified", "disqualified"]) {
      await recordCall(server, leadId, code);
    }
    const whole = await readFeed(server, { after, atLeast: 7 });
    const paged = await readFeed(server, { after, first: 2, atLeast: 7 });
    expect(paged.nodes.map((n) => n.id)).toEqual(whole.nodes.map((n) => n.id));
    const calls = await readFeed(server, { after, types: ["call.recorded"], atLeast: 3 });
    expect(calls.nodes.map((n) => n.type)).toEqual([
      "call.recorded",
      "call.recorded",
      "call.recorded",
    ]);

    expectError(await server.gql(CHANGES, { types: ["call.deleted"] }), "BAD_USER_INPUT", "types");
    expectError(await server.gql(CHANGES, { types: [] }), "BAD_USER_INPUT", "types");
    expectError(
      await server.gql(CHANGES, { after: "bm90IGEgY3Vyc29y" }),
      "BAD_USER_INPUT",
      "after",
    );
    const { leads } = await server.ok<{ leads: { pageInfo: { endCursor: string } } }>(
      `{ leads(first: 1) { pageInfo { endCursor } } }`,
    );
    expectError(
      await server.gql(CHANGES, { after: leads.pageInfo.endCursor }),
      "BAD_USER_INPUT",
      "after",
    );
    const agent = await server.createKey("AGENT");
    expectError(await server.gql(CHANGES, {}, { "x-api-key": agent }), "FORBIDDEN");
    const system = await server.createKey("SYSTEM");
    const bySystem = await readFeed(server, { after, atLeast: 7 }, { "x-api-key": system });
    expect(bySystem.nodes.map((n) => n.id)).toEqual(whole.nodes.map((n) => n.id));
  });

  it("under concurrent writes, a reader paging along sees every change once, in feed order", async () => {
    const start = await endOfFeed(server);
    const leads = await Promise.all([1, 2, 3, 4].map((n) => createLead(server, `Busy ${n}`)));
    const writes = Promise.all(
      leads.map(async (leadId) => {
        for (let n = 0; n < 5; n += 1) {
          await recordCall(server, leadId, n % 2 === 0 ? "qualified" : "disqualified");
        }
      }),
    );
    const seen: ChangeNode[] = [];
    let cursor = start;
    let done = false;
    void writes.then(() => (done = true));
    // Read while the writes go on, then once more after the last.
    for (let quiet = 0; quiet < 3;) {
      const page = await readFeed(server, { after: cursor, first: 3 });
      seen.push(...page.nodes);
      cursor = page.cursor;
      if (done) quiet += 1;
      await sleep(done ? 300 : 5);
    }
    await writes;
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    // 4 leads created, 20 calls recorded, and a lead.updated for each call that moved its lead.
    const everything = await readFeed(server, { after: start });
    expect(ids).toEqual(everything.nodes.map((n) => n.id));
    expect(seen.filter((n) => n.type === "call.recorded")).toHaveLength(20);
    expect(seen.filter((n) => n.type === "lead.created")).toHaveLength(4);
  });
});

const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("the change feed's order [mariadb]", () => {
  let database: TestDatabase;
  const a = new TestServer("mariadb");
  const b = new TestServer("mariadb");
  let admin: mysql.Connection;

  beforeAll(async () => {
    database = await createTestDatabase("mariadb");
    await a.start({}, { database });
    await b.start({}, { database });
    admin = await adminConnection();
    const config = database.config as Extract<DatabaseConfig, { kind: "mysql" }>;
    await admin.query(`USE \`${config.database}\``);
  });
  afterAll(async () => {
    await admin?.end();
    await b.stop();
    await a.stop();
    await database?.drop();
  });

  it("gives a change that commits after a later one its place after it, and misses neither", async () => {
    const before = await endOfFeed(a);
    // A transaction that takes its entry's id first and commits last.
    await admin.query("START TRANSACTION");
    const [inserted] = await admin.query(
      "INSERT INTO change_log (account_id, type, entity_id, lead_id, data) VALUES (1, 'lead.updated', 424242, 424242, '{\"slow\":true}')",
    );
    const slowId = String((inserted as { insertId: number }).insertId);
    const leadId = await createLead(a, "Fast");
    const first = await readFeed(a, { after: before, atLeast: 1 });
    expect(first.nodes.map((n) => n.entityId)).toEqual([leadId]);
    expect(Number(first.nodes[0].id)).toBeGreaterThan(Number(slowId));
    await admin.query("COMMIT");
    // Read on from where the reader stopped: the slow one is there, after the fast one.
    const next = await readFeed(a, { after: first.cursor, atLeast: 1 });
    expect(next.nodes.map((n) => n.id)).toEqual([slowId]);
    expect(next.nodes[0].data).toEqual({ slow: true });
  });

  it("numbers a change whose process never did (committed, then killed), within a second", async () => {
    const before = await endOfFeed(a);
    await admin.query(
      "INSERT INTO change_log (account_id, type, entity_id, lead_id, data) VALUES (1, 'lead.updated', 434343, 434343, '{}')",
    );
    const started = Date.now();
    const { nodes } = await readFeed(a, { after: before, atLeast: 1 });
    expect(nodes.map((n) => n.entityId)).toEqual(["434343"]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("with two instances writing, each change has one place, the places follow each other", async () => {
    const before = await endOfFeed(a);
    const leads = await Promise.all([
      createLead(a, "Through A 1"),
      createLead(b, "Through B 1"),
      createLead(a, "Through A 2"),
      createLead(b, "Through B 2"),
    ]);
    const viaA = await readFeed(a, { after: before, atLeast: 4 });
    const viaB = await readFeed(b, { after: before, atLeast: 4 });
    expect(viaA.nodes.map((n) => n.entityId).sort()).toEqual([...leads].sort());
    expect(viaB.nodes.map((n) => n.id)).toEqual(viaA.nodes.map((n) => n.id));
    const [rows] = await admin.query(
      "SELECT seq FROM change_log WHERE account_id = 1 AND seq IS NOT NULL ORDER BY seq",
    );
    const seqs = (rows as Array<{ seq: number | string }>).map((row) => Number(row.seq));
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  });
});
