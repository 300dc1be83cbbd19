/**
 * Migration 007 (accounts) on a database of the previous release, on SQLite and MariaDB: built by
 * migrations 000–006 only and filled under that schema with plain SQL, then migrated.
 */
import type { DataSource, QueryRunner } from "typeorm";
import { createAppDataSource, DATABASE_MODEL } from "../../src/app";
import { createLogger } from "../../src/logger";
import { ExactKeys1764100000006 } from "../../migrations/1764100000006-ExactKeys";
import { Accounts1764100000007 } from "../../migrations/1764100000007-Accounts";
import {
  createTestDatabase,
  describeEachDatabaseKind,
  type DbKind,
  type TestDatabase,
} from "../support/harness";

const MIGRATIONS = DATABASE_MODEL.migrations;
/** The migrations of the previous release. */
const PREVIOUS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(ExactKeys1764100000006) + 1);
/** Up to the one under test (later ones have their own tests). */
const UP_TO_ACCOUNTS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(Accounts1764100000007) + 1);

/** Every table whose rows belong to an account now. */
const OWNED = ["lead_statuses", "call_statuses", "leads", "calls", "api_keys", "audit_log"];
const NOT_NULL = ["lead_statuses", "call_statuses", "leads", "calls"];

const HASH_A = "a1".repeat(32);
const HASH_B = "b2".repeat(32);
const PREFIX = "csk_0a1b2c3d";

type Row = Record<string, unknown>;

function silent() {
  return createLogger({ logLevel: "silent" });
}

async function one<T = Row>(ds: DataSource, sql: string, params: unknown[] = []): Promise<T> {
  const rows: T[] = await ds.query(sql, params);
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function idOf(ds: DataSource, table: string, where: string, params: unknown[] = []) {
  return Number(
    (await one<{ id: number }>(ds, `SELECT id FROM ${table} WHERE ${where}`, params)).id,
  );
}

/** Settings, leads, calls, keys and audit entries, written as the previous release wrote them. */
async function fillPreviousSchema(ds: DataSource): Promise<void> {
  await ds.query(
    "INSERT INTO lead_statuses (code, title, category, sort, color, type, version) " +
      "VALUES ('callback', 'Перезвонить', 'IN_PROGRESS', 50, '#123ABC', 'CUSTOM', 3)",
  );
  const callback = await idOf(ds, "lead_statuses", "code = 'callback'");
  await ds.query(
    "INSERT INTO call_statuses (code, title, description, sort, comment_required, " +
      "planning_time_required, lead_status_id, type, agent_visibility, show_to_ai_agents) " +
      "VALUES ('call_back_later', 'Call back later', 'Asked to be called again 😀', 80, 1, 1, ?, " +
      "'CUSTOM', 'AFTER_CALL_TRANSFER', 1)",
    [callback],
  );
  const fresh = await idOf(ds, "lead_statuses", "code = 'new'");
  for (const [externalId, status] of [
    ["crm-1", fresh],
    ["crm-2", callback],
    [null, fresh],
  ]) {
    await ds.query(
      "INSERT INTO leads (external_id, phone, name, status_id) VALUES (?, '+4930123', 'Lead', ?)",
      [externalId, status],
    );
  }
  const lead = await idOf(ds, "leads", "external_id = 'crm-2'");
  const laterStatus = await idOf(ds, "call_statuses", "code = 'call_back_later'");
  const voicemail = await idOf(ds, "call_statuses", "code = 'voicemail'");
  for (const [status, role, hash, nextCallAt] of [
    [laterStatus, "AGENT", HASH_A, "2030-01-02 03:04:05"],
    [voicemail, "SYSTEM", HASH_B, null],
    [laterStatus, "AI_AGENT", null, "2030-02-03 04:05:06"],
  ]) {
    await ds.query(
      "INSERT INTO calls (lead_id, call_status_id, comment, after_call_transfer, next_call_at, " +
        "lead_status_changed, recorded_by_role, recorded_by, idempotency_hash, request_hash) " +
        "VALUES (?, ?, 'Busy, call again', 1, ?, 1, ?, 'key:2', ?, ?)",
      [lead, status, nextCallAt, role, hash, hash],
    );
  }
  for (const [index, role] of ["ADMIN", "AGENT", "AI_AGENT", "SYSTEM"].entries()) {
    await ds.query(
      "INSERT INTO api_keys (name, role, prefix, secret_hash, last_used_at) VALUES (?, ?, ?, ?, ?)",
      [
        `${role} key`,
        role,
        `${PREFIX}${index}`,
        HASH_A,
        index === 0 ? "2025-05-06 07:08:09" : null,
      ],
    );
  }
  for (const [action, id] of [
    ["CREATE", callback],
    ["UPDATE", laterStatus],
  ] as const) {
    await ds.query(
      "INSERT INTO audit_log (at, actor_id, actor_role, action, entity_type, entity_id, changes, " +
        "request_id) VALUES ('2025-01-01 10:00:00', 'key:1', 'ADMIN', ?, 'LEAD_STATUS', ?, " +
        `'[{"field":"title","before":null,"after":"Перезвонить"}]', 'req-1')`,
      [action, id],
    );
  }
  await ds.query("UPDATE status_revision SET revision = 7 WHERE id = 1");
}

async function rowsOf(ds: DataSource, table: string): Promise<Row[]> {
  return ds.query(`SELECT * FROM ${table} ORDER BY 1`);
}

async function allRows(ds: DataSource): Promise<Record<string, Row[]>> {
  const result: Record<string, Row[]> = {};
  for (const table of [...OWNED, "status_revision"]) result[table] = await rowsOf(ds, table);
  return result;
}

function withoutAccount(rows: Row[]): Row[] {
  return rows.map(({ account_id: _accountId, ...rest }) => rest);
}

/** The whole schema as the database reports it (not as TypeORM reads it). */
async function schemaOf(ds: DataSource, kind: DbKind): Promise<unknown> {
  if (kind === "sqlite") {
    const objects: Array<{ type: string; name: string; sql: string | null }> = await ds.query(
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    return objects.map((o) => ({ ...o, sql: o.sql && sortTableConstraints(o.sql) }));
  }
  return {
    tables: await ds.query(
      "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES " +
        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    ),
    columns: await ds.query(
      "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, " +
        "CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, EXTRA FROM information_schema.COLUMNS " +
        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    ),
    indexes: await ds.query(
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME " +
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() " +
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    ),
    foreignKeys: await ds.query(
      "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, " +
        "k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE " +
        "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r " +
        "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME " +
        "WHERE k.TABLE_SCHEMA = DATABASE() ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME",
    ),
  };
}

/**
 * A CREATE TABLE with its table constraints (`CONSTRAINT … FOREIGN KEY …`) in name order: a table
 * SQLite rebuilt lists them in another order, which means nothing.
 */
function sortTableConstraints(sql: string): string {
  const open = sql.indexOf("(");
  if (!sql.startsWith("CREATE TABLE") || open < 0 || !sql.endsWith(")")) return sql;
  const parts: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = start; i < sql.length - 1; i += 1) {
    if (sql[i] === "(") depth += 1;
    else if (sql[i] === ")") depth -= 1;
    else if (sql[i] === "," && depth === 0) {
      parts.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(sql.slice(start, sql.length - 1).trim());
  const columns = parts.filter((part) => !part.startsWith("CONSTRAINT"));
  const constraints = parts.filter((part) => part.startsWith("CONSTRAINT")).sort();
  return `${sql.slice(0, open + 1)}${[...columns, ...constraints].join(", ")})`;
}

/**
 * The schema of a new database migrated up to Accounts: what the upgraded one must equal (the
 * entities describe the latest migration, so they cannot be the measure here; that a fresh
 * database matches the entities is `test/database/database.test.ts`).
 */
async function freshSchemaUpToAccounts(kind: DbKind): Promise<unknown> {
  const fresh = await createTestDatabase(kind);
  const ds = await createAppDataSource(fresh.config, { logger: silent() });
  ds.setOptions({ migrations: UP_TO_ACCOUNTS });
  await ds.initialize();
  try {
    await ds.runMigrations();
    return await schemaOf(ds, kind);
  } finally {
    await ds.destroy();
    await fresh.drop();
  }
}

/** The schema API methods a migration changes a table with. */
const SCHEMA_CHANGES = [
  "createTable",
  "dropTable",
  "addColumn",
  "changeColumn",
  "renameColumn",
  "dropColumn",
  "createIndex",
  "dropIndex",
  "createForeignKey",
  "dropForeignKey",
] as const;

const CHANGING_SQL = /^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b/i;

class SimulatedFailure extends Error {}

/**
 * Lets `runner` make one change, then fails the next one before it starts: the state a
 * migration that failed there leaves behind on MariaDB, where DDL is not transactional. A change
 * is a schema API call that sends a statement changing something (not one that finds nothing to
 * do), or such a statement sent directly; the statements of one API call are one change (on
 * SQLite a table rebuild is several). Returns what undoes the patch: on SQLite every
 * `createQueryRunner()` answers the same runner.
 */
function failAfterOneChange(runner: QueryRunner): () => void {
  let changes = 0;
  /** The schema API call under way (it may call others), and whether it counted yet. */
  let call: { depth: number; counted: boolean } | undefined;
  const change = () => {
    if (changes === 1) throw new SimulatedFailure("simulated failure");
    changes += 1;
  };
  const target = runner as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const patched = [...SCHEMA_CHANGES, "query"];
  const own = patched.map((name) => Object.getOwnPropertyDescriptor(target, name));
  const restore = () =>
    patched.forEach((name, i) => {
      if (own[i]) Object.defineProperty(target, name, own[i]);
      else delete target[name];
    });
  for (const name of SCHEMA_CHANGES) {
    const original = target[name].bind(runner);
    target[name] = async (...args) => {
      call ??= { depth: 0, counted: false };
      call.depth += 1;
      try {
        return await original(...args);
      } finally {
        call.depth -= 1;
        if (call.depth === 0) call = undefined;
      }
    };
  }
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  target.query = async (...args) => {
    if (CHANGING_SQL.test(String(args[0]))) {
      if (!call) change();
      else if (!call.counted) {
        change();
        call.counted = true;
      }
    }
    return query(...args);
  };
  return restore;
}

/**
 * Runs `step` (the migration's `up` or `down`) again and again on a runner that fails after one
 * change, each run resuming from what the failed ones left, until a run finishes: so it fails
 * once between every two changes. Returns how many runs failed.
 */
async function failEverywhereThenFinish(
  ds: DataSource,
  step: (runner: QueryRunner) => Promise<void>,
): Promise<number> {
  for (let failed = 0; failed < 500; failed += 1) {
    const runner = ds.createQueryRunner();
    const restore = failAfterOneChange(runner);
    try {
      await step(runner);
      return failed;
    } catch (error) {
      if (!(error instanceof SimulatedFailure)) throw error;
    } finally {
      restore();
      await runner.release();
    }
  }
  throw new Error("the migration never finished");
}

describeEachDatabaseKind("the Accounts migration on a database of the previous release", (kind) => {
  let database: TestDatabase;
  let ds: DataSource;
  const statements: string[] = [];
  /** The previous release's schema and rows. */
  let previousSchema: unknown;
  let before: Record<string, Row[]>;
  /** A new database's schema after the same migrations. */
  let freshSchema: unknown;

  /** The upgraded database has the schema a new one gets. */
  async function expectFreshSchema(): Promise<void> {
    expect(await schemaOf(ds, kind)).toEqual(freshSchema);
  }

  beforeAll(async () => {
    freshSchema = await freshSchemaUpToAccounts(kind);
    database = await createTestDatabase(kind);
    const previous = await createAppDataSource(database.config, { logger: silent() });
    previous.setOptions({ migrations: PREVIOUS });
    await previous.initialize();
    try {
      await previous.runMigrations();
      previousSchema = await schemaOf(previous, kind);
      await fillPreviousSchema(previous);
      before = await allRows(previous);
    } finally {
      await previous.destroy();
    }
    ds = await createAppDataSource(database.config, {
      logger: silent(),
      onQuery: (sql) => statements.push(sql),
    });
    ds.setOptions({ migrations: UP_TO_ACCOUNTS });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await database?.drop();
  });

  /** Every row of the previous release is in the default account, and otherwise unchanged. */
  async function expectRowsInDefaultAccount(): Promise<void> {
    expect(await ds.query("SELECT id, code, name, active FROM accounts")).toEqual([
      { id: 1, code: "default", name: "Default", active: 1 },
    ]);
    for (const table of OWNED) {
      const rows = await rowsOf(ds, table);
      expect({ table, accounts: rows.map((row) => row.account_id) }).toEqual({
        table,
        accounts: before[table].map(() => 1),
      });
      expect(withoutAccount(rows)).toEqual(before[table]);
    }
    expect(await rowsOf(ds, "status_revision")).toEqual([{ account_id: 1, revision: 7 }]);
  }

  it("puts every row in the default account and changes nothing else in them", async () => {
    expect(before.calls).toHaveLength(3);
    expect(before.api_keys).toHaveLength(4);
    expect(before.status_revision).toEqual([{ id: 1, revision: 7 }]);

    const applied = await ds.runMigrations();
    expect(applied.map((m) => m.name)).toEqual(["Accounts1764100000007"]);
    await expectRowsInDefaultAccount();
  });

  it("leaves the schema a new database gets", async () => {
    await expectFreshSchema();
    const runner = ds.createQueryRunner();
    try {
      for (const table of OWNED) {
        const column = (await runner.getTable(table))!.findColumnByName("account_id")!;
        // NOT NULL with no default: a row written without its account fails.
        expect([table, column.isNullable, column.default]).toEqual([
          table,
          !NOT_NULL.includes(table),
          undefined,
        ]);
      }
    } finally {
      await runner.release();
    }
    if (kind === "mariadb") {
      const [code]: Array<{ COLLATION_NAME: string }> = await ds.query(
        "SELECT COLLATION_NAME FROM information_schema.COLUMNS " +
          "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'code'",
      );
      expect(code.COLLATION_NAME).toBe("utf8mb4_bin");
    }
  });

  it("refuses a row without its account (NOT NULL, no default) or with an unknown one", async () => {
    const status = await idOf(ds, "lead_statuses", "code = 'new'");
    const callStatus = await idOf(ds, "call_statuses", "code = 'voicemail'");
    const lead = await idOf(ds, "leads", "external_id = 'crm-1'");
    const inserts: Record<string, [string, string, unknown[]]> = {
      lead_statuses: [
        "code, title, category, sort, color",
        "'orphan', 'Orphan', 'IN_PROGRESS', 1, '#000000'",
        [],
      ],
      call_statuses: ["code, title, sort", "'orphan', 'Orphan', 1", []],
      leads: ["status_id", "?", [status]],
      calls: [
        "lead_id, call_status_id, recorded_by_role, recorded_by",
        "?, ?, 'SYSTEM', 'key:2'",
        [lead, callStatus],
      ],
    };
    for (const table of NOT_NULL) {
      const [columns, values, params] = inserts[table];
      await expect(
        ds.query(`INSERT INTO ${table} (${columns}) VALUES (${values})`, params),
      ).rejects.toThrow(/account_id/);
      await expect(
        ds.query(`INSERT INTO ${table} (account_id, ${columns}) VALUES (99, ${values})`, params),
      ).rejects.toThrow(/foreign key/i);
    }
    for (const table of NOT_NULL)
      expect(await rowsOf(ds, table)).toHaveLength(before[table].length);
  });

  it("holds the unique keys per account: another account may repeat them, one account may not", async () => {
    await ds.query("INSERT INTO accounts (code, name) VALUES ('acme', 'Acme')");
    const acme = await idOf(ds, "accounts", "code = 'acme'");
    expect(acme).toBe(2);
    await ds.query("INSERT INTO status_revision (account_id, revision) VALUES (?, 0)", [acme]);

    const leadStatus = (account: number) =>
      ds.query(
        "INSERT INTO lead_statuses (account_id, code, title, category, sort, color) " +
          "VALUES (?, 'callback', 'Callback', 'IN_PROGRESS', 10, '#000000')",
        [account],
      );
    const callStatus = (account: number) =>
      ds.query(
        "INSERT INTO call_statuses (account_id, code, title, sort) " +
          "VALUES (?, 'call_back_later', 'Later', 10)",
        [account],
      );
    await leadStatus(acme);
    await callStatus(acme);
    const acmeStatus = await idOf(ds, "lead_statuses", "account_id = ? AND code = 'callback'", [
      acme,
    ]);
    const acmeCallStatus = await idOf(
      ds,
      "call_statuses",
      "account_id = ? AND code = 'call_back_later'",
      [acme],
    );
    const lead = (account: number) =>
      ds.query("INSERT INTO leads (account_id, external_id, status_id) VALUES (?, 'crm-1', ?)", [
        account,
        acmeStatus,
      ]);
    await lead(acme);
    const acmeLead = await idOf(ds, "leads", "account_id = ? AND external_id = 'crm-1'", [acme]);
    const call = (account: number) =>
      ds.query(
        "INSERT INTO calls (account_id, lead_id, call_status_id, recorded_by_role, recorded_by, " +
          "idempotency_hash) VALUES (?, ?, ?, 'AGENT', 'key:9', ?)",
        [account, acmeLead, acmeCallStatus, HASH_A],
      );
    await call(acme);

    const duplicate = /Duplicate entry|UNIQUE constraint failed/;
    for (const insert of [leadStatus, callStatus, lead, call]) {
      await expect(insert(1)).rejects.toThrow(duplicate);
      await expect(insert(acme)).rejects.toThrow(duplicate);
    }
    // API key prefixes stay unique across accounts: a key is found by its prefix alone.
    await expect(
      ds.query(
        "INSERT INTO api_keys (account_id, name, role, prefix, secret_hash) " +
          "VALUES (?, 'Acme', 'ADMIN', ?, ?)",
        [acme, `${PREFIX}0`, HASH_B],
      ),
    ).rejects.toThrow(duplicate);
  });

  it("stores the PLATFORM role, and platform-level keys and entries with no account", async () => {
    await ds.query(
      "INSERT INTO api_keys (account_id, name, role, prefix, secret_hash) " +
        "VALUES (NULL, 'Operator', 'PLATFORM', 'csk_platform', ?)",
      [HASH_B],
    );
    await ds.query(
      "INSERT INTO audit_log (account_id, at, actor_id, actor_role, action, entity_type, " +
        "entity_id, changes) VALUES (NULL, '2026-01-01 00:00:00', 'key:99', 'PLATFORM', " +
        "'CREATE', 'API_KEY', 99, '[]')",
    );
    const acmeLead = await idOf(ds, "leads", "account_id = 2");
    const acmeCallStatus = await idOf(ds, "call_statuses", "account_id = 2");
    await ds.query(
      "INSERT INTO calls (account_id, lead_id, call_status_id, recorded_by_role, recorded_by) " +
        "VALUES (2, ?, ?, 'PLATFORM', 'key:99')",
      [acmeLead, acmeCallStatus],
    );
    expect(await ds.query("SELECT role FROM api_keys WHERE account_id IS NULL")).toEqual([
      { role: "PLATFORM" },
    ]);
    expect(
      await ds.query("SELECT recorded_by_role FROM calls WHERE recorded_by_role = 'PLATFORM'"),
    ).toEqual([{ recorded_by_role: "PLATFORM" }]);
  });

  it("refuses to revert while other accounts or the platform have rows, changing nothing", async () => {
    const schema = await schemaOf(ds, kind);
    const error = await ds.undoLastMigration().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/^Cannot revert Accounts1764100000007: /);
    for (const problem of [
      "accounts other than the default one exist (acme)",
      "lead_statuses has 1 row(s) outside the default account",
      "api_keys has 1 row(s) outside the default account",
      "audit_log has 1 row(s) outside the default account",
      "status_revision has 1 row(s) outside the default account",
      "calls.recorded_by_role is PLATFORM in 1 row(s)",
    ]) {
      expect(error?.message).toContain(problem);
    }
    expect(await schemaOf(ds, kind)).toEqual(schema);
    await expectFreshSchema();
    const applied: Array<{ name: string }> = await ds.query("SELECT name FROM migrations");
    expect(applied.map((m) => m.name)).toContain("Accounts1764100000007");
  });

  /** Removes what the tests above added beyond the previous release's rows. */
  async function removeOtherAccounts(): Promise<void> {
    await ds.query("DELETE FROM calls WHERE account_id <> 1");
    await ds.query("DELETE FROM leads WHERE account_id <> 1");
    await ds.query("DELETE FROM call_statuses WHERE account_id <> 1");
    await ds.query("DELETE FROM lead_statuses WHERE account_id <> 1");
    await ds.query("DELETE FROM api_keys WHERE account_id IS NULL");
    await ds.query("DELETE FROM audit_log WHERE account_id IS NULL");
    await ds.query("DELETE FROM status_revision WHERE account_id <> 1");
    await ds.query("DELETE FROM accounts WHERE id <> 1");
  }

  it("reverts to the previous schema and rows once only the default account has rows", async () => {
    await removeOtherAccounts();
    await ds.undoLastMigration();
    expect(await schemaOf(ds, kind)).toEqual(previousSchema);
    expect(await allRows(ds)).toEqual(before);
    const applied: Array<{ name: string }> = await ds.query("SELECT name FROM migrations");
    expect(applied.map((m) => m.name)).not.toContain("Accounts1764100000007");
  });

  it("finishes the job when re-run after a failure at any step, and does nothing once done", async () => {
    const migration = new Accounts1764100000007();
    const failed = await failEverywhereThenFinish(ds, (runner) => migration.up(runner));
    // One failed run per change of a full run: 55 today.
    expect(failed).toBeGreaterThanOrEqual(50);
    await expectRowsInDefaultAccount();
    await expectFreshSchema();

    // The runner records it; running it over a finished job changes no table.
    statements.length = 0;
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual(["Accounts1764100000007"]);
    expect(statements.filter((sql) => CHANGING_SQL.test(sql))).toEqual([
      expect.stringMatching(/^INSERT INTO .*migrations/),
    ]);
    await expectRowsInDefaultAccount();
    await expectFreshSchema();
  });

  it("finishes reverting when re-run after a failure at any step", async () => {
    const migration = new Accounts1764100000007();
    const failed = await failEverywhereThenFinish(ds, (runner) => migration.down(runner));
    expect(failed).toBeGreaterThanOrEqual(40); // 48 today
    expect(await schemaOf(ds, kind)).toEqual(previousSchema);
    expect(await allRows(ds)).toEqual(before);

    await ds.query("DELETE FROM migrations WHERE name = 'Accounts1764100000007'");
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual(["Accounts1764100000007"]);
    await expectRowsInDefaultAccount();
    await expectFreshSchema();
  });
});
