/**
 * Keys and identifiers clients pass match exactly on every database: case, accents and emoji
 * count. On MySQL/MariaDB that is the `utf8mb4_bin` collation the ExactKeys migration gives those
 * columns (the database itself is `utf8mb4_unicode_ci`, as docs/OPERATIONS.md says to create it).
 */
import type { DataSource } from "typeorm";
import { createAppDataSource, DATABASE_MODEL } from "../../src/app";

const MIGRATIONS = DATABASE_MODEL.migrations;
import { createLogger } from "../../src/logger";
import { ExactKeys1764100000006 } from "../../migrations/1764100000006-ExactKeys";
import {
  createTestDatabase,
  describeEachDatabase,
  pendingSchemaChanges,
  testDatabases,
  type TestDatabase,
} from "../support/harness";

interface LeadData {
  id: string;
  externalId: string | null;
}

interface RecordData {
  recordCallResult: { call: { id: string } };
}

const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id externalId } }`;
const SEARCH_LEADS = `query($externalId: String) {
  leads(filter: { externalId: $externalId }, first: 100) { totalCount edges { node { id externalId } } }
}`;
const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id } }
}`;
const CALLS_OF_LEAD = `query($leadId: ID!) {
  calls(filter: { leadId: $leadId }, first: 100) { totalCount edges { node { id } } }
}`;

describeEachDatabase("exact keys", (server) => {
  async function leadsWithExternalId(externalId: string): Promise<LeadData[]> {
    const data = await server.ok<{ leads: { edges: Array<{ node: LeadData }> } }>(SEARCH_LEADS, {
      externalId,
    });
    return data.leads.edges.map((e) => e.node).filter((lead) => lead.externalId === externalId);
  }

  it.each([
    ["two different emoji", "😀", "😁"],
    ["the same letters in another case", "abc", "ABC"],
    ["a letter with and without an accent", "e", "é"],
  ])("creates two leads whose externalIds are %s, each found by its own", async (_what, a, b) => {
    const first = await server.ok<{ createLead: LeadData }>(CREATE_LEAD, {
      input: { externalId: a },
    });
    const second = await server.gql<{ createLead: LeadData }>(CREATE_LEAD, {
      input: { externalId: b },
    });
    expect(second.errors).toBeUndefined();
    expect(first.createLead.externalId).toBe(a);
    expect(second.data!.createLead.externalId).toBe(b);
    expect(second.data!.createLead.id).not.toBe(first.createLead.id);

    expect(await leadsWithExternalId(a)).toEqual([first.createLead]);
    expect(await leadsWithExternalId(b)).toEqual([second.data!.createLead]);

    // Exact duplicates are still refused.
    const again = await server.gql(CREATE_LEAD, { input: { externalId: b } });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it.each([
    ["case", "retry-key-abc", "RETRY-KEY-ABC"],
    ["accent", "retry-cafe", "retry-café"],
  ])(
    "records two separate calls for idempotency keys that differ only in %s",
    async (_what, keyA, keyB) => {
      const lead = (
        await server.ok<{ createLead: LeadData }>(CREATE_LEAD, { input: { name: "Idempotent" } })
      ).createLead;
      const input = { leadId: lead.id, callStatusCode: "voicemail" };
      const first = await server.ok<RecordData>(RECORD, {
        input: { ...input, idempotencyKey: keyA },
      });
      const second = await server.ok<RecordData>(RECORD, {
        input: { ...input, idempotencyKey: keyB },
      });
      expect(second.recordCallResult.call.id).not.toBe(first.recordCallResult.call.id);

      // Each key still replays its own call.
      const replayA = await server.ok<RecordData>(RECORD, {
        input: { ...input, idempotencyKey: keyA },
      });
      const replayB = await server.ok<RecordData>(RECORD, {
        input: { ...input, idempotencyKey: keyB },
      });
      expect(replayA.recordCallResult.call.id).toBe(first.recordCallResult.call.id);
      expect(replayB.recordCallResult.call.id).toBe(second.recordCallResult.call.id);

      const calls = await server.ok<{ calls: { totalCount: number } }>(CALLS_OF_LEAD, {
        leadId: lead.id,
      });
      expect(calls.calls.totalCount).toBe(2);
    },
  );

  it("finds a status by its exact code only", async () => {
    const data = await server.ok<Record<string, { code: string } | null>>(`{
      upper: callStatus(code: "QUALIFIED") { code }
      exact: callStatus(code: "qualified") { code }
      leadUpper: leadStatus(code: "Qualified") { code }
      leadExact: leadStatus(code: "qualified") { code }
    }`);
    expect(data).toEqual({
      upper: null,
      exact: { code: "qualified" },
      leadUpper: null,
      leadExact: { code: "qualified" },
    });
  });

  it("filters the audit trail by the exact actor id", async () => {
    await server.createKey("AGENT", "audited by the exact actor id");
    const { viewer } = await server.ok<{ viewer: { actorId: string } }>(`{ viewer { actorId } }`);
    const count = async (actorId: string) =>
      (
        await server.ok<{ auditLog: { totalCount: number } }>(
          `query($actorId: String) { auditLog(filter: { actorId: $actorId }) { totalCount } }`,
          { actorId },
        )
      ).auditLog.totalCount;
    expect(viewer.actorId).toMatch(/^key:\d+$/);
    expect(await count(viewer.actorId)).toBeGreaterThan(0);
    expect(await count(viewer.actorId.toUpperCase())).toBe(0);
  });

  if (server.kind === "sqlite") {
    it("applies the migration on SQLite without changing any table (SQLite compares exactly)", async () => {
      const ds = server.app.dataSource;
      const applied: Array<{ name: string }> = await ds.query("SELECT name FROM migrations");
      expect(applied.map((m) => m.name)).toContain("ExactKeys1764100000006");
      const tables: Array<{ sql: string }> = await ds.query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL",
      );
      for (const table of tables) expect(table.sql).not.toMatch(/COLLATE/i);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The migration itself, on a MariaDB database built by the earlier migrations.

/** The key columns, as the earlier migrations define them. */
const KEY_COLUMNS = [
  ["lead_statuses", "code"],
  ["call_statuses", "code"],
  ["leads", "external_id"],
  ["calls", "idempotency_hash"],
  ["api_keys", "prefix"],
  ["audit_log", "actor_id"],
] as const;

/** Text a person reads or searches: keeps the database's collation. */
const TEXT_COLUMNS = [
  ["lead_statuses", "title"],
  ["call_statuses", "title"],
  ["call_statuses", "description"],
  ["leads", "name"],
  ["leads", "phone"],
  ["calls", "comment"],
  ["api_keys", "name"],
] as const;

interface ColumnInfo {
  COLUMN_TYPE: string;
  IS_NULLABLE: string;
  COLUMN_DEFAULT: string | null;
  CHARACTER_SET_NAME: string;
  COLLATION_NAME: string;
}

async function columnInfo(ds: DataSource, table: string, column: string): Promise<ColumnInfo> {
  const rows: ColumnInfo[] = await ds.query(
    `SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
    [table, column],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function collations(ds: DataSource, columns: ReadonlyArray<readonly [string, string]>) {
  const result: Record<string, string> = {};
  for (const [table, column] of columns) {
    result[`${table}.${column}`] = (await columnInfo(ds, table, column)).COLLATION_NAME;
  }
  return result;
}

const all = (columns: ReadonlyArray<readonly [string, string]>, collation: string) =>
  Object.fromEntries(columns.map(([table, column]) => [`${table}.${column}`, collation]));

const HASH = "9f2c".repeat(16);
const PREFIX = "csk_0a1b2c3d";

/** Rows in every key column (the lead statuses are seeded). */
async function insertRows(ds: DataSource): Promise<void> {
  await ds.query(
    "INSERT INTO lead_statuses (code, title, category, sort, color, type) VALUES ('callback', 'Callback', 'IN_PROGRESS', 50, '#000000', 'CUSTOM')",
  );
  const [status]: Array<{ id: number }> = await ds.query(
    "SELECT id FROM lead_statuses WHERE code = 'new'",
  );
  for (const externalId of ["😀", "abc", "e", null]) {
    await ds.query("INSERT INTO leads (external_id, name, status_id) VALUES (?, 'Lead', ?)", [
      externalId,
      status.id,
    ]);
  }
  await ds.query(
    "INSERT INTO calls (lead_id, call_status_id, recorded_by_role, recorded_by, idempotency_hash) " +
      "SELECT MIN(l.id), MIN(c.id), 'SYSTEM', 'key:1', ? FROM leads l, call_statuses c",
    [HASH],
  );
  await ds.query(
    "INSERT INTO api_keys (name, role, prefix, secret_hash) VALUES ('Key', 'ADMIN', ?, ?)",
    [PREFIX, HASH],
  );
  await ds.query(
    "INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, changes) VALUES ('2025-01-01 00:00:00', 'alice', 'CREATE', 'API_KEY', 1, '[]')",
  );
}

/** Statements for values that differ from the rows above only in case, accent or emoji. */
function collidingInserts(statusId: number, leadId: number, callStatusId: number) {
  return [
    [
      "INSERT INTO lead_statuses (code, title, category, sort, color, type) VALUES ('CALLBACK', 'Callback 2', 'IN_PROGRESS', 60, '#000000', 'CUSTOM')",
    ],
    ["INSERT INTO leads (external_id, status_id) VALUES ('😁', ?)", [statusId]],
    ["INSERT INTO leads (external_id, status_id) VALUES ('ABC', ?)", [statusId]],
    ["INSERT INTO leads (external_id, status_id) VALUES ('é', ?)", [statusId]],
    [
      "INSERT INTO calls (lead_id, call_status_id, recorded_by_role, recorded_by, idempotency_hash) VALUES (?, ?, 'SYSTEM', 'key:1', ?)",
      [leadId, callStatusId, HASH.toUpperCase()],
    ],
    [
      "INSERT INTO api_keys (name, role, prefix, secret_hash) VALUES ('Key 2', 'ADMIN', ?, ?)",
      [PREFIX.toUpperCase(), HASH],
    ],
  ] as Array<[string, unknown[]?]>;
}

const describeOnMariaDb = testDatabases().includes("mariadb") ? describe : describe.skip;

describeOnMariaDb("the ExactKeys migration on an existing MariaDB database", () => {
  let database: TestDatabase;
  let ds: DataSource;
  const statements: string[] = [];
  let before: Record<string, ColumnInfo>;
  /**
   * What TypeORM would change before the migration: the entities have moved on since (accounts,
   * migration 007), and it compares no collation, so the migration must leave this as it is.
   */
  let pendingBefore: string[];

  beforeAll(async () => {
    database = await createTestDatabase("mariadb");
    // Migrated up to the previous migration only, as a database of that release is; and never
    // beyond this migration: the later ones expect what it builds.
    const exactKeys = MIGRATIONS.indexOf(ExactKeys1764100000006);
    const previous = await createAppDataSource(database.config, {
      logger: createLogger({ logLevel: "silent" }),
    });
    previous.setOptions({ migrations: MIGRATIONS.slice(0, exactKeys) });
    await previous.initialize();
    try {
      await previous.runMigrations();
      pendingBefore = await pendingSchemaChanges(previous);
      await insertRows(previous);
      before = {};
      for (const [table, column] of [...KEY_COLUMNS, ...TEXT_COLUMNS]) {
        before[`${table}.${column}`] = await columnInfo(previous, table, column);
      }
    } finally {
      await previous.destroy();
    }
    ds = await createAppDataSource(database.config, {
      logger: createLogger({ logLevel: "silent" }),
      onQuery: (sql) => statements.push(sql),
    });
    ds.setOptions({ migrations: MIGRATIONS.slice(0, exactKeys + 1) });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await database?.drop();
  });

  async function ids() {
    const [status]: Array<{ id: number }> = await ds.query(
      "SELECT id FROM lead_statuses WHERE code = 'new'",
    );
    const [lead]: Array<{ id: number }> = await ds.query("SELECT MIN(id) AS id FROM leads");
    const [callStatus]: Array<{ id: number }> = await ds.query(
      "SELECT MIN(id) AS id FROM call_statuses",
    );
    return [status.id, lead.id, callStatus.id] as const;
  }

  it("makes exactly the key columns utf8mb4_bin, keeping type, nullability and default", async () => {
    // Before: case- and accent-insensitive, and emoji collide.
    expect(await collations(ds, KEY_COLUMNS)).toEqual(all(KEY_COLUMNS, "utf8mb4_unicode_ci"));
    for (const [sql, params] of collidingInserts(...(await ids()))) {
      await expect(ds.query(sql, params)).rejects.toThrow(/Duplicate entry/);
    }

    const applied = await ds.runMigrations();
    expect(applied.map((m) => m.name)).toEqual(["ExactKeys1764100000006"]);

    expect(await collations(ds, KEY_COLUMNS)).toEqual(all(KEY_COLUMNS, "utf8mb4_bin"));
    expect(await collations(ds, TEXT_COLUMNS)).toEqual(all(TEXT_COLUMNS, "utf8mb4_unicode_ci"));
    for (const [table, column] of KEY_COLUMNS) {
      expect(await columnInfo(ds, table, column)).toEqual({
        ...before[`${table}.${column}`],
        CHARACTER_SET_NAME: "utf8mb4",
        COLLATION_NAME: "utf8mb4_bin",
      });
    }
    expect(await pendingSchemaChanges(ds)).toEqual(pendingBefore);
  });

  it("keeps the rows as they were", async () => {
    const leads: Array<{ external_id: string | null }> = await ds.query(
      "SELECT external_id FROM leads ORDER BY id",
    );
    expect(leads.map((l) => l.external_id)).toEqual(["😀", "abc", "e", null]);
    const [call]: Array<{ idempotency_hash: string }> = await ds.query(
      "SELECT idempotency_hash FROM calls",
    );
    expect(call.idempotency_hash).toBe(HASH);
    const keys: Array<{ prefix: string }> = await ds.query("SELECT prefix FROM api_keys");
    expect(keys.map((k) => k.prefix)).toContain(PREFIX);
    const codes: Array<{ code: string }> = await ds.query(
      "SELECT code FROM lead_statuses ORDER BY id",
    );
    expect(codes.map((c) => c.code)).toEqual([
      "new",
      "in_progress",
      "qualified",
      "disqualified",
      "callback",
    ]);
    const [entry]: Array<{ actor_id: string }> = await ds.query("SELECT actor_id FROM audit_log");
    expect(entry.actor_id).toBe("alice");
    // Equality is exact now.
    expect(await ds.query("SELECT id FROM lead_statuses WHERE code = 'QUALIFIED'")).toEqual([]);
    expect(await ds.query("SELECT id FROM audit_log WHERE actor_id = 'Alice'")).toEqual([]);
    expect(await ds.query("SELECT id FROM leads WHERE external_id = '😁'")).toEqual([]);
  });

  it("finishes the job when re-run after a partial failure, and does nothing once done", async () => {
    // As if it had failed before its last two columns: not recorded, some columns converted.
    await ds.query("DELETE FROM migrations WHERE name = 'ExactKeys1764100000006'");
    await ds.query("ALTER TABLE api_keys MODIFY prefix varchar(32) NOT NULL");
    await ds.query("ALTER TABLE audit_log MODIFY actor_id varchar(255) NOT NULL");
    expect((await columnInfo(ds, "api_keys", "prefix")).COLLATION_NAME).toBe("utf8mb4_unicode_ci");

    const rerun = await ds.runMigrations();
    expect(rerun.map((m) => m.name)).toEqual(["ExactKeys1764100000006"]);
    expect(await collations(ds, KEY_COLUMNS)).toEqual(all(KEY_COLUMNS, "utf8mb4_bin"));

    // Run once more over a finished job: no table is altered again.
    await ds.query("DELETE FROM migrations WHERE name = 'ExactKeys1764100000006'");
    statements.length = 0;
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual(["ExactKeys1764100000006"]);
    expect(statements.filter((sql) => /ALTER/i.test(sql))).toEqual([]);
    expect(await pendingSchemaChanges(ds)).toEqual(pendingBefore);
  });

  it("accepts the values that collided before", async () => {
    for (const [sql, params] of collidingInserts(...(await ids()))) {
      await ds.query(sql, params);
    }
    const leads: Array<{ external_id: string }> = await ds.query(
      "SELECT external_id FROM leads WHERE external_id IS NOT NULL ORDER BY id",
    );
    expect(leads.map((l) => l.external_id)).toEqual(["😀", "abc", "e", "😁", "ABC", "é"]);
  });

  it("refuses to revert while values would collide again, changing nothing", async () => {
    await expect(ds.undoLastMigration()).rejects.toThrow(/lead_statuses\.code.*duplicates/);
    expect(await collations(ds, KEY_COLUMNS)).toEqual(all(KEY_COLUMNS, "utf8mb4_bin"));
  });

  it("reverts to the previous definitions once they no longer collide", async () => {
    await ds.query("DELETE FROM lead_statuses WHERE code = 'CALLBACK'");
    await ds.query("DELETE FROM leads WHERE external_id IN ('😁', 'ABC', 'é')");
    await ds.query("DELETE FROM calls WHERE idempotency_hash = ?", [HASH.toUpperCase()]);
    await ds.query("DELETE FROM api_keys WHERE prefix = ?", [PREFIX.toUpperCase()]);
    await ds.undoLastMigration();
    for (const [table, column] of [...KEY_COLUMNS, ...TEXT_COLUMNS]) {
      expect(await columnInfo(ds, table, column)).toEqual(before[`${table}.${column}`]);
    }
    expect(await pendingSchemaChanges(ds)).toEqual(pendingBefore);
  });
});
