import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A column that holds a key or identifier a client passes and expects to match exactly, with its
 * definition as the earlier migrations created it (only the collation changes here).
 */
interface KeyColumn {
  table: string;
  column: string;
  /** `COLUMN_TYPE` as information_schema reports it. */
  type: string;
  nullable: boolean;
  /** Checked for duplicates before `down` makes the column case-insensitive again. */
  unique: boolean;
}

export const EXACT_KEY_COLUMNS: readonly KeyColumn[] = [
  { table: "lead_statuses", column: "code", type: "varchar(64)", nullable: false, unique: true },
  { table: "call_statuses", column: "code", type: "varchar(64)", nullable: false, unique: true },
  { table: "leads", column: "external_id", type: "varchar(255)", nullable: true, unique: true },
  { table: "calls", column: "idempotency_hash", type: "varchar(64)", nullable: true, unique: true },
  { table: "api_keys", column: "prefix", type: "varchar(32)", nullable: false, unique: true },
  // The `actorId` filter of the audit trail: JWT subjects differing in case are other people.
  { table: "audit_log", column: "actor_id", type: "varchar(255)", nullable: false, unique: false },
];

export const EXACT_COLLATION = "utf8mb4_bin";

interface ColumnState {
  COLUMN_TYPE: string;
  IS_NULLABLE: "YES" | "NO";
  COLUMN_DEFAULT: string | null;
  COLLATION_NAME: string | null;
  TABLE_COLLATION: string;
}

/**
 * Key columns compare exactly on MySQL/MariaDB: `CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.
 * Under the database's `utf8mb4_unicode_ci` they compared case- and accent-insensitively
 * (`QUALIFIED` = `qualified`, `e` = `é`), and every emoji weighs the same there, so two leads
 * whose external ids were different emoji collided on the unique index. Titles, names, comments
 * and descriptions keep the database's collation.
 *
 * SQLite already compares text with BINARY: nothing to do there. The entities do not declare the
 * collation: TypeORM's MySQL schema diff (MysqlDriver.findChangedColumns, TypeORM 1.1) compares
 * neither character set nor collation, so the migrated schema matches them as they are, while
 * `collation: "utf8mb4_bin"` in an entity would go into any SQL TypeORM writes for SQLite, which
 * has no such collation.
 *
 * Raw `ALTER TABLE … MODIFY` (MySQL/MariaDB only): TypeORM's `changeColumn` drops and re-adds a
 * column — losing its data — whenever its idea of the type or length differs from the table's,
 * while MODIFY states the whole definition and converts the values in place (same character set,
 * so no byte changes).
 *
 * Safe to re-run after a partial failure (MariaDB DDL is not transactional): each column is one
 * statement, skipped when the column is already in the wanted collation. A column whose
 * definition is not the one expected (changed by hand) stops the migration rather than being
 * silently reset.
 */
export class ExactKeys1764100000006 implements MigrationInterface {
  name = "ExactKeys1764100000006";

  public async up(queryRunner: QueryRunner): Promise<void> {
    if (!isMysql(queryRunner)) return;
    const states = await columnStates(queryRunner);
    for (const [index, key] of EXACT_KEY_COLUMNS.entries()) {
      if (states[index].COLLATION_NAME === EXACT_COLLATION) continue;
      await queryRunner.query(
        `ALTER TABLE ${q(key.table)} MODIFY ${q(key.column)} ${key.type} ` +
          `CHARACTER SET utf8mb4 COLLATE ${EXACT_COLLATION} ${nullability(key)}`,
      );
    }
  }

  /**
   * Back to the previous definition: no collation of its own, i.e. the table's (the database's
   * when the tables were created). Refused, before any change, when values that now differ would
   * collide under that collation.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    if (!isMysql(queryRunner)) return;
    const states = await columnStates(queryRunner);
    for (const [index, key] of EXACT_KEY_COLUMNS.entries()) {
      const collation = states[index].TABLE_COLLATION;
      if (!key.unique || states[index].COLLATION_NAME === collation) continue;
      if (!/^\w+$/.test(collation)) throw new Error(`Unexpected collation ${collation}`);
      const clash: Array<{ value: string }> = await queryRunner.query(
        `SELECT MIN(${q(key.column)}) AS value FROM ${q(key.table)} ` +
          `WHERE ${q(key.column)} IS NOT NULL ` +
          `GROUP BY ${q(key.column)} COLLATE ${collation} HAVING COUNT(*) > 1 LIMIT 1`,
      );
      if (clash.length > 0) {
        throw new Error(
          `Cannot revert ${key.table}.${key.column} to ${collation}: values such as ` +
            `${JSON.stringify(clash[0].value)} would be duplicates there. Change them first.`,
        );
      }
    }
    for (const [index, key] of EXACT_KEY_COLUMNS.entries()) {
      if (states[index].COLLATION_NAME === states[index].TABLE_COLLATION) continue;
      await queryRunner.query(
        `ALTER TABLE ${q(key.table)} MODIFY ${q(key.column)} ${key.type} ${nullability(key)}`,
      );
    }
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === "mysql" || type === "mariadb";
}

function q(name: string): string {
  return `\`${name}\``;
}

function nullability(key: KeyColumn): string {
  return key.nullable ? "NULL" : "NOT NULL";
}

/** Every key column as it is now (all checked before anything changes). */
async function columnStates(queryRunner: QueryRunner): Promise<ColumnState[]> {
  const states: ColumnState[] = [];
  for (const key of EXACT_KEY_COLUMNS) states.push(await columnState(queryRunner, key));
  return states;
}

/** The column as it is now; an error when its type, nullability or default is not the expected. */
async function columnState(queryRunner: QueryRunner, key: KeyColumn): Promise<ColumnState> {
  const rows: ColumnState[] = await queryRunner.query(
    `SELECT c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.COLLATION_NAME, t.TABLE_COLLATION
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t
         ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? AND c.COLUMN_NAME = ?`,
    [key.table, key.column],
  );
  const state = rows[0];
  if (!state) throw new Error(`Column ${key.table}.${key.column} not found`);
  // No default of their own: MariaDB reports the implicit one of a nullable column as 'NULL'.
  const noDefault = state.COLUMN_DEFAULT === null || state.COLUMN_DEFAULT === "NULL";
  if (
    state.COLUMN_TYPE.toLowerCase() !== key.type ||
    state.IS_NULLABLE !== (key.nullable ? "YES" : "NO") ||
    !noDefault
  ) {
    throw new Error(
      `Column ${key.table}.${key.column} is ${state.COLUMN_TYPE} ` +
        `${state.IS_NULLABLE === "YES" ? "NULL" : "NOT NULL"} DEFAULT ${state.COLUMN_DEFAULT}; ` +
        `expected ${key.type} ${nullability(key)} with no default. Not changed.`,
    );
  }
  return state;
}
