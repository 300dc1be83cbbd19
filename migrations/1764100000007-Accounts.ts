import {
  DefaultNamingStrategy,
  MigrationInterface,
  QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from "typeorm";

/** The account every row written before accounts existed belongs to. */
export const DEFAULT_ACCOUNT = { id: 1, code: "default", name: "Default" } as const;

const ACCOUNT_COLUMN = "account_id";

interface IndexSpec {
  name: string;
  columns: string[];
  unique?: boolean;
}

/** A table whose rows belong to an account. */
interface OwnedTable {
  table: string;
  /** Null is a platform-level row (PLATFORM API keys and their audit entries). */
  nullable: boolean;
  /**
   * The indexes this migration builds, as the entities declare them, in the order they are
   * built: on MySQL/MariaDB an index whose first column is a foreign key's column must exist
   * before the one that served that foreign key until now can be replaced.
   */
  indexes: IndexSpec[];
  /** What the earlier migrations built under the names above, restored by `down`. */
  previous: IndexSpec[];
}

/**
 * The entities' unique keys keep their names but hold per account now; every other index starts
 * with the account. `IDX_leads_status_id`, `IDX_calls_lead_id` and `IDX_calls_call_status_id`
 * serve the status, lead and call-status foreign keys: MySQL/MariaDB need an index whose first
 * column is the foreign key's column, and the ones that were (`IDX_leads_status`,
 * `IDX_calls_lead`, `IDX_calls_call_status`) start with the account now. The entities declare
 * them too, so the migrated schema and the entities agree on both databases.
 */
export const ACCOUNT_OWNED_TABLES: readonly OwnedTable[] = [
  {
    table: "lead_statuses",
    nullable: false,
    indexes: [
      { name: "UQ_lead_statuses_code", columns: ["account_id", "code"], unique: true },
      { name: "IDX_lead_statuses_sort", columns: ["account_id", "sort", "id"] },
    ],
    previous: [
      { name: "UQ_lead_statuses_code", columns: ["code"], unique: true },
      { name: "IDX_lead_statuses_sort", columns: ["sort", "id"] },
    ],
  },
  {
    table: "call_statuses",
    nullable: false,
    indexes: [
      { name: "UQ_call_statuses_code", columns: ["account_id", "code"], unique: true },
      { name: "IDX_call_statuses_sort", columns: ["account_id", "sort", "id"] },
    ],
    previous: [
      { name: "UQ_call_statuses_code", columns: ["code"], unique: true },
      { name: "IDX_call_statuses_sort", columns: ["sort", "id"] },
    ],
  },
  {
    table: "leads",
    nullable: false,
    indexes: [
      { name: "IDX_leads_status_id", columns: ["status_id"] },
      { name: "IDX_leads_status", columns: ["account_id", "status_id", "id"] },
      { name: "UQ_leads_external_id", columns: ["account_id", "external_id"], unique: true },
      { name: "IDX_leads_account", columns: ["account_id", "id"] },
    ],
    previous: [
      { name: "IDX_leads_status", columns: ["status_id", "id"] },
      { name: "UQ_leads_external_id", columns: ["external_id"], unique: true },
    ],
  },
  {
    table: "calls",
    nullable: false,
    indexes: [
      { name: "IDX_calls_lead_id", columns: ["lead_id"] },
      { name: "IDX_calls_call_status_id", columns: ["call_status_id"] },
      { name: "IDX_calls_lead", columns: ["account_id", "lead_id", "id"] },
      { name: "IDX_calls_call_status", columns: ["account_id", "call_status_id", "id"] },
      { name: "IDX_calls_created_at", columns: ["account_id", "created_at", "id"] },
      { name: "IDX_calls_account", columns: ["account_id", "id"] },
      { name: "UQ_calls_idempotency", columns: ["account_id", "idempotency_hash"], unique: true },
    ],
    previous: [
      { name: "IDX_calls_lead", columns: ["lead_id", "id"] },
      { name: "IDX_calls_call_status", columns: ["call_status_id", "id"] },
      { name: "IDX_calls_created_at", columns: ["created_at", "id"] },
      { name: "UQ_calls_idempotency", columns: ["idempotency_hash"], unique: true },
    ],
  },
  {
    table: "api_keys",
    nullable: true,
    indexes: [{ name: "IDX_api_keys_account", columns: ["account_id", "id"] }],
    previous: [],
  },
  {
    table: "audit_log",
    nullable: true,
    indexes: [
      { name: "IDX_audit_log_entity", columns: ["account_id", "entity_type", "entity_id", "id"] },
      { name: "IDX_audit_log_actor", columns: ["account_id", "actor_id", "id"] },
      { name: "IDX_audit_log_at", columns: ["account_id", "at", "id"] },
    ],
    previous: [
      { name: "IDX_audit_log_entity", columns: ["entity_type", "entity_id", "id"] },
      { name: "IDX_audit_log_actor", columns: ["actor_id", "id"] },
      { name: "IDX_audit_log_at", columns: ["at", "id"] },
    ],
  },
];

const REVISION_TABLE = "status_revision";

/** The simple-enum columns holding a `Role`. */
export const ROLE_COLUMNS = [
  { table: "api_keys", column: "role" },
  { table: "calls", column: "recorded_by_role" },
] as const;

const PREVIOUS_ROLES = ["ADMIN", "AGENT", "AI_AGENT", "SYSTEM"];
/**
 * PLATFORM goes last: on MySQL/MariaDB a value added at the end of an ENUM is a change of the
 * table's definition only, while one added in front renumbers every stored value (a copy of the
 * whole `calls` table). TypeORM compares enum values as a set, so the entities still match.
 */
const ROLES = [...PREVIOUS_ROLES, "PLATFORM"];

/**
 * The accounts' foreign keys carry the names TypeORM's default naming strategy gives them, as the
 * entities do not name them (`FK_` and a hash of table and column). Computed with a fixed
 * `DefaultNamingStrategy`, not the data source's, so that this migration builds the same names
 * whatever strategy a later version configures; `down` finds them by their column anyway.
 */
const naming = new DefaultNamingStrategy();

export function accountForeignKeyName(table: string): string {
  return naming.foreignKeyName(table, [ACCOUNT_COLUMN], "accounts", ["id"]);
}

/**
 * Accounts: the service becomes multi-tenant.
 *
 * - `accounts` (its `code` compares exactly on MySQL/MariaDB, `utf8mb4_bin`, as the keys of
 *   migration 006 do) and the account `default` (id 1).
 * - `account_id` on every table whose rows belong to an account, with its foreign key: NOT NULL
 *   on statuses, leads and calls, nullable on API keys and audit entries (null is the platform).
 *   Every existing row goes to the default account. The NOT NULL columns are added with
 *   `DEFAULT 1`, which fills the existing rows (on MariaDB without copying the table), and the
 *   default is dropped at once: the entities declare none, so a row written without its account
 *   fails instead of landing in the default account.
 * - The indexes start with the account; the unique keys (status codes, lead external ids, call
 *   idempotency hashes) hold per account. `UQ_api_keys_prefix` stays global.
 * - `status_revision`: one row per account (primary key `account_id`) instead of the single row
 *   `id` = 1, which becomes the default account's with its revision.
 * - The role columns accept PLATFORM.
 *
 * Everything goes through the QueryRunner schema API, so the same steps build both databases.
 * Each step looks at the table first and is skipped when already done, so that `up` finishes the
 * job when re-run after a partial failure (MariaDB DDL is not transactional; on SQLite the whole
 * migration is one transaction). The API's `changeColumn` drops and re-adds a MySQL column whose
 * type it thinks changed: here it only ever gets a column as loaded from the table with one
 * property changed (default, enum values, name), never a definition written out again.
 *
 * On SQLite, adding a column or a foreign key, or changing a column, rebuilds the table (TypeORM
 * copies the rows into a new table): a few copies of each table, in one transaction.
 */
export class Accounts1764100000007 implements MigrationInterface {
  name = "Accounts1764100000007";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await assertSingleRevisionRow(queryRunner);
    await whileRebuildingTables(queryRunner, () => this.build(queryRunner));
  }

  private async build(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "accounts",
        columns: [
          {
            name: "id",
            type: "integer",
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          {
            name: "code",
            type: "varchar",
            length: "64",
            // Exact on MySQL/MariaDB (see migration 006); SQLite compares exactly already and
            // has no such collation.
            ...(isMysql(queryRunner) ? { charset: "utf8mb4", collation: "utf8mb4_bin" } : {}),
          },
          { name: "name", type: "varchar", length: "255" },
          { name: "active", type: "boolean", default: 1 },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
        ],
        indices: [
          new TableIndex({ name: "UQ_accounts_code", columnNames: ["code"], isUnique: true }),
        ],
      }),
      true,
    );
    const existing: unknown[] = await queryRunner.query("SELECT id FROM accounts WHERE id = ?", [
      DEFAULT_ACCOUNT.id,
    ]);
    if (existing.length === 0) {
      await queryRunner.query(
        "INSERT INTO accounts (id, code, name, active, created_at) VALUES (?, ?, ?, 1, ?)",
        [DEFAULT_ACCOUNT.id, DEFAULT_ACCOUNT.code, DEFAULT_ACCOUNT.name, utcNow()],
      );
    }

    for (const owned of ACCOUNT_OWNED_TABLES) {
      await addAccountColumn(queryRunner, owned);
      for (const index of owned.indexes) await ensureIndex(queryRunner, owned.table, index);
      await ensureAccountForeignKey(queryRunner, owned.table);
    }

    await revisionPerAccount(queryRunner);

    for (const { table, column } of ROLE_COLUMNS) {
      await setEnumValues(queryRunner, table, column, ROLES);
    }
  }

  /**
   * Back to one implicit account. Refused, before anything changes, unless every row belongs to
   * the default account: the previous schema could not tell the accounts apart (nor hold PLATFORM
   * keys or platform-level entries). Re-runnable like `up`.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await assertOnlyDefaultAccount(queryRunner);
    await whileRebuildingTables(queryRunner, () => this.unbuild(queryRunner));
  }

  private async unbuild(queryRunner: QueryRunner): Promise<void> {
    for (const { table, column } of ROLE_COLUMNS) {
      await setEnumValues(queryRunner, table, column, PREVIOUS_ROLES);
    }

    await revisionSingleRow(queryRunner);

    for (const owned of [...ACCOUNT_OWNED_TABLES].reverse()) {
      await dropAccountForeignKey(queryRunner, owned.table);
      // The previous definitions first: on MySQL/MariaDB they serve the status, lead and
      // call-status foreign keys again before the indexes added for those are dropped.
      for (const index of owned.previous) await ensureIndex(queryRunner, owned.table, index);
      const previousNames = new Set(owned.previous.map((index) => index.name));
      for (const index of owned.indexes) {
        if (previousNames.has(index.name)) continue;
        const table = await loadTable(queryRunner, owned.table);
        if (table.indices.some((existing) => existing.name === index.name)) {
          await queryRunner.dropIndex(table, index.name);
        }
      }
      const table = await loadTable(queryRunner, owned.table);
      if (table.findColumnByName(ACCOUNT_COLUMN)) {
        await queryRunner.dropColumn(table, ACCOUNT_COLUMN);
      }
    }

    await queryRunner.dropTable("accounts", true);
  }
}

/**
 * On SQLite, changing a table rebuilds it: TypeORM copies it into a new table, drops the old one
 * and renames the new one. While foreign keys are enforced, dropping a table that other tables
 * reference fails (its rows count as deleted). TypeORM's runner turns enforcement off before
 * `up` (`PRAGMA foreign_keys = OFF`), but `undoLastMigration` does so inside its transaction,
 * where SQLite ignores that pragma. So, when enforcement is still on here:
 *
 * - inside a transaction, the checks wait for the end of the work (`defer_foreign_keys`); then
 *   `foreign_key_check` must find nothing (the rows are the same, only the tables were rebuilt),
 *   and switching the deferral off forgets the references the drops counted as broken (SQLite
 *   zeroes that count when the pragma is turned off; at COMMIT it would otherwise refuse);
 * - outside one, enforcement is turned off for the work and back on after, as the runner does.
 *
 * Raw pragmas: the QueryRunner API has nothing for them.
 */
async function whileRebuildingTables(queryRunner: QueryRunner, work: () => Promise<void>) {
  if (queryRunner.connection.options.type !== "better-sqlite3") return work();
  const [{ foreign_keys: enforced }]: Array<{ foreign_keys: number }> =
    await queryRunner.query("PRAGMA foreign_keys");
  if (!enforced) return work();
  if (!queryRunner.isTransactionActive) {
    await queryRunner.query("PRAGMA foreign_keys = OFF");
    try {
      await work();
    } finally {
      await queryRunner.query("PRAGMA foreign_keys = ON");
    }
    await assertForeignKeysHold(queryRunner);
    return;
  }
  await queryRunner.query("PRAGMA defer_foreign_keys = ON");
  await work();
  await assertForeignKeysHold(queryRunner);
  await queryRunner.query("PRAGMA defer_foreign_keys = OFF");
}

async function assertForeignKeysHold(queryRunner: QueryRunner): Promise<void> {
  const broken: Array<{ table: string; parent: string }> = await queryRunner.query(
    "PRAGMA foreign_key_check",
  );
  if (broken.length > 0) {
    const { table, parent } = broken[0];
    throw new Error(
      `${broken.length} row(s) reference rows that do not exist, e.g. in ${table} (to ${parent}).`,
    );
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === "mysql" || type === "mariadb";
}

function q(queryRunner: QueryRunner, name: string): string {
  return queryRunner.connection.driver.escape(name);
}

// Data statements are plain SQL with `?` placeholders (understood by both mysql2 and
// better-sqlite3), as in migration 001: the schema API has none, and the entity classes, which
// will evolve, are not used here.

function utcNow(): string {
  return new Date().toISOString().slice(0, 19).replace("T", " ");
}

/** The table as it is now (never TypeORM's cached copy: an earlier step may have changed it). */
async function loadTable(queryRunner: QueryRunner, name: string): Promise<Table> {
  const table = await queryRunner.getTable(name);
  if (!table) throw new Error(`Table ${name} not found`);
  return table;
}

async function count(queryRunner: QueryRunner, sql: string, params: unknown[] = []) {
  const rows: Array<{ n: number | string }> = await queryRunner.query(sql, params);
  return Number(rows[0].n);
}

/** Adds `account_id`, every existing row in the default account; NOT NULL ones end with no default. */
async function addAccountColumn(queryRunner: QueryRunner, owned: OwnedTable): Promise<void> {
  let table = await loadTable(queryRunner, owned.table);
  if (!table.findColumnByName(ACCOUNT_COLUMN)) {
    await queryRunner.addColumn(
      table,
      new TableColumn({
        name: ACCOUNT_COLUMN,
        type: "integer",
        isNullable: owned.nullable,
        // Fills the existing rows; dropped below.
        ...(owned.nullable ? {} : { default: DEFAULT_ACCOUNT.id }),
      }),
    );
    table = await loadTable(queryRunner, owned.table);
  }
  if (owned.nullable) {
    // Only before the migration is recorded can a null be a row of the previous schema.
    const unassigned = `FROM ${q(queryRunner, owned.table)} WHERE ${ACCOUNT_COLUMN} IS NULL`;
    if ((await count(queryRunner, `SELECT COUNT(*) AS n ${unassigned}`)) > 0) {
      await queryRunner.query(
        `UPDATE ${q(queryRunner, owned.table)} SET ${ACCOUNT_COLUMN} = ? WHERE ${ACCOUNT_COLUMN} IS NULL`,
        [DEFAULT_ACCOUNT.id],
      );
    }
    return;
  }
  const column = table.findColumnByName(ACCOUNT_COLUMN)!;
  if (column.isNullable) {
    throw new Error(
      `${owned.table}.${ACCOUNT_COLUMN} is nullable; expected NOT NULL. Not changed.`,
    );
  }
  if (column.default !== undefined && column.default !== null) {
    const withoutDefault = column.clone();
    withoutDefault.default = undefined;
    await queryRunner.changeColumn(table, column, withoutDefault);
  }
}

function sameIndex(index: TableIndex, spec: IndexSpec): boolean {
  return (
    Boolean(index.isUnique) === Boolean(spec.unique) &&
    index.columnNames.length === spec.columns.length &&
    index.columnNames.every((column, i) => column === spec.columns[i])
  );
}

/** Builds the index unless it exists as specified; one of that name defined otherwise is replaced. */
async function ensureIndex(queryRunner: QueryRunner, tableName: string, spec: IndexSpec) {
  const table = await loadTable(queryRunner, tableName);
  const existing = table.indices.find((index) => index.name === spec.name);
  if (existing && sameIndex(existing, spec)) return;
  if (existing) await queryRunner.dropIndex(table, existing);
  await queryRunner.createIndex(
    table,
    new TableIndex({ name: spec.name, columnNames: spec.columns, isUnique: Boolean(spec.unique) }),
  );
}

async function ensureAccountForeignKey(queryRunner: QueryRunner, tableName: string) {
  const table = await loadTable(queryRunner, tableName);
  const name = accountForeignKeyName(tableName);
  if (table.foreignKeys.some((fk) => fk.name === name)) return;
  await queryRunner.createForeignKey(
    table,
    new TableForeignKey({
      name,
      columnNames: [ACCOUNT_COLUMN],
      referencedTableName: "accounts",
      referencedColumnNames: ["id"],
      onDelete: "NO ACTION",
      onUpdate: "NO ACTION",
    }),
  );
}

async function dropAccountForeignKey(queryRunner: QueryRunner, tableName: string) {
  const table = await loadTable(queryRunner, tableName);
  const foreignKey = table.foreignKeys.find(
    (fk) => fk.columnNames.length === 1 && fk.columnNames[0] === ACCOUNT_COLUMN,
  );
  if (foreignKey) await queryRunner.dropForeignKey(table, foreignKey);
}

/** The previous schema's one row (`id` = 1) and nothing else, or a partly migrated table. */
async function assertSingleRevisionRow(queryRunner: QueryRunner): Promise<void> {
  const table = await loadTable(queryRunner, REVISION_TABLE);
  if (!table.findColumnByName("id")) return;
  const others = await count(
    queryRunner,
    `SELECT COUNT(*) AS n FROM ${REVISION_TABLE} WHERE id <> ?`,
    [DEFAULT_ACCOUNT.id],
  );
  if (others > 0) {
    throw new Error(
      `${REVISION_TABLE} has ${others} row(s) besides id ${DEFAULT_ACCOUNT.id}; the service only ` +
        `ever uses that one. Delete the others first. Nothing was changed.`,
    );
  }
}

/** The single row `id` = 1 becomes the default account's row, keeping its revision. */
async function revisionPerAccount(queryRunner: QueryRunner): Promise<void> {
  const table = await loadTable(queryRunner, REVISION_TABLE);
  if (table.findColumnByName("id")) {
    await queryRunner.renameColumn(table, "id", ACCOUNT_COLUMN);
  }
  const rows: unknown[] = await queryRunner.query(
    `SELECT ${ACCOUNT_COLUMN} FROM ${REVISION_TABLE} WHERE ${ACCOUNT_COLUMN} = ?`,
    [DEFAULT_ACCOUNT.id],
  );
  if (rows.length === 0) {
    await queryRunner.query(
      `INSERT INTO ${REVISION_TABLE} (${ACCOUNT_COLUMN}, revision) VALUES (?, 0)`,
      [DEFAULT_ACCOUNT.id],
    );
  }
  await ensureAccountForeignKey(queryRunner, REVISION_TABLE);
}

async function revisionSingleRow(queryRunner: QueryRunner): Promise<void> {
  await dropAccountForeignKey(queryRunner, REVISION_TABLE);
  const table = await loadTable(queryRunner, REVISION_TABLE);
  if (table.findColumnByName(ACCOUNT_COLUMN)) {
    await queryRunner.renameColumn(table, ACCOUNT_COLUMN, "id");
  }
}

/** Sets the values of a simple-enum column (MySQL ENUM, SQLite CHECK), unless they are set. */
async function setEnumValues(
  queryRunner: QueryRunner,
  tableName: string,
  columnName: string,
  values: string[],
): Promise<void> {
  const table = await loadTable(queryRunner, tableName);
  const column = table.findColumnByName(columnName);
  if (!column?.enum) throw new Error(`${tableName}.${columnName} is not an enum column`);
  if (column.enum.length === values.length && column.enum.every((v, i) => v === values[i])) return;
  const changed = column.clone();
  changed.enum = values;
  await queryRunner.changeColumn(table, column, changed);
}

/** Refuses `down` (before any change) unless the default account is the only one with rows. */
async function assertOnlyDefaultAccount(queryRunner: QueryRunner): Promise<void> {
  const problems: string[] = [];
  const id = DEFAULT_ACCOUNT.id;
  if (await queryRunner.hasTable("accounts")) {
    const others: Array<{ code: string }> = await queryRunner.query(
      "SELECT code FROM accounts WHERE id <> ? ORDER BY id",
      [id],
    );
    if (others.length > 0) {
      problems.push(
        `accounts other than the default one exist (${others.map((a) => a.code).join(", ")})`,
      );
    }
  }
  for (const tableName of [...ACCOUNT_OWNED_TABLES.map((t) => t.table), REVISION_TABLE]) {
    const table = await loadTable(queryRunner, tableName);
    if (!table.findColumnByName(ACCOUNT_COLUMN)) continue;
    const outside = await count(
      queryRunner,
      `SELECT COUNT(*) AS n FROM ${q(queryRunner, tableName)} ` +
        `WHERE ${ACCOUNT_COLUMN} IS NULL OR ${ACCOUNT_COLUMN} <> ?`,
      [id],
    );
    if (outside > 0) {
      problems.push(`${tableName} has ${outside} row(s) outside the default account`);
    }
  }
  for (const { table, column } of ROLE_COLUMNS) {
    const platform = await count(
      queryRunner,
      `SELECT COUNT(*) AS n FROM ${q(queryRunner, table)} WHERE ${q(queryRunner, column)} = 'PLATFORM'`,
    );
    if (platform > 0) problems.push(`${table}.${column} is PLATFORM in ${platform} row(s)`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Cannot revert Accounts1764100000007: the previous schema has no accounts, and ` +
        `${problems.join("; ")}. Move or delete those rows first. Nothing was changed.`,
    );
  }
}
