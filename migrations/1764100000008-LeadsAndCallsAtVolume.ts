import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from "typeorm";

/** The full-text index of lead names on MySQL/MariaDB (InnoDB FULLTEXT). */
export const LEAD_NAME_FULLTEXT_INDEX = "FT_leads_search_name";
/** The full-text index of lead names on SQLite: an FTS5 table over `leads.search_name`. */
export const LEAD_NAME_FTS_TABLE = "leads_fts";

interface IndexSpec {
  name: string;
  columns: string[];
}

/** Indexes built here, as the entities declare them, and what they were before (for `down`). */
const INDEXES: ReadonlyArray<{ table: string; index: IndexSpec; previous: IndexSpec | null }> = [
  {
    table: "leads",
    index: { name: "IDX_leads_phone", columns: ["account_id", "phone_e164", "id"] },
    previous: null,
  },
  {
    table: "calls",
    index: { name: "IDX_calls_lead", columns: ["account_id", "lead_id", "created_at", "id"] },
    previous: { name: "IDX_calls_lead", columns: ["account_id", "lead_id", "id"] },
  },
  {
    table: "calls",
    index: {
      name: "IDX_calls_call_status",
      columns: ["account_id", "call_status_id", "created_at", "id"],
    },
    previous: { name: "IDX_calls_call_status", columns: ["account_id", "call_status_id", "id"] },
  },
];

/** Dropped: every list of calls is ordered by time now (`IDX_calls_created_at` serves it). */
const DROPPED: { table: string; index: IndexSpec } = {
  table: "calls",
  index: { name: "IDX_calls_account", columns: ["account_id", "id"] },
};

/** 64-bit on MySQL/MariaDB (SQLite's INTEGER PRIMARY KEY is 64-bit already). */
const WIDE_ID_COLUMNS = [
  { table: "leads", column: "id", generated: true },
  { table: "calls", column: "id", generated: true },
  { table: "calls", column: "lead_id", generated: false },
  { table: "audit_log", column: "id", generated: true },
] as const;

/**
 * Leads and calls at production volume:
 *
 * - **64-bit ids** for leads, calls (and `calls.lead_id`) and audit entries on MySQL/MariaDB:
 *   `int` ends at 2,147,483,647 rows ever written, which a platform reaches with calls. The
 *   lead foreign key is dropped while both of its columns change and built again.
 * - **Phone look-up**: `leads.phone_e164`, the number in E.164 form (`toE164`, frozen at the end
 *   of this file), with an index that starts with the account. Existing leads are filled in here,
 *   with the region in `PHONE_DEFAULT_REGION` for numbers written without a country code.
 * - **Name search**: `leads.search_name`, the name's words as both databases index them
 *   (`fullTextDocument`, frozen at the end of this file), with a full-text index: InnoDB FULLTEXT
 *   (built with stopwords off, so that "Will" or "Der" are names like any other) or an SQLite
 *   FTS5 table kept in step with `leads` by triggers.
 * - **Pages of calls by time**: the lead and call-status indexes gain `created_at`, so that every
 *   list of calls — newest first by recording time — is read in index order whatever the filter.
 *
 * Safe to re-run after a partial failure (MariaDB DDL is not transactional): every step checks
 * whether it was done. On a large existing table the id change and the full-text index copy the
 * table; on a cluster that is a schema change every node applies (run it in a quiet hour).
 */
export class LeadsAndCallsAtVolume1764100000008 implements MigrationInterface {
  name = "LeadsAndCallsAtVolume1764100000008";

  public async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) await widenIds(queryRunner);
    const leads = await loadTable(queryRunner, "leads");
    if (!leads.findColumnByName("phone_e164")) {
      await queryRunner.addColumn(
        leads,
        new TableColumn({ name: "phone_e164", type: "varchar", length: "16", isNullable: true }),
      );
    }
    if (!(await loadTable(queryRunner, "leads")).findColumnByName("search_name")) {
      await queryRunner.addColumn(
        "leads",
        new TableColumn({ name: "search_name", type: "varchar", length: "255", isNullable: true }),
      );
    }
    await fillLeadColumns(queryRunner);
    for (const { table, index } of INDEXES) await ensureIndex(queryRunner, table, index);
    await dropIndexIfPresent(queryRunner, DROPPED.table, DROPPED.index.name);
    if (isMysql(queryRunner)) await createFullTextIndex(queryRunner);
    else await createFtsTable(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      if (await hasIndex(queryRunner, "leads", LEAD_NAME_FULLTEXT_INDEX)) {
        await queryRunner.query(`DROP INDEX ${LEAD_NAME_FULLTEXT_INDEX} ON leads`);
      }
    } else {
      for (const trigger of FTS_TRIGGERS) {
        await queryRunner.query(`DROP TRIGGER IF EXISTS ${trigger}`);
      }
      await queryRunner.query(`DROP TABLE IF EXISTS ${LEAD_NAME_FTS_TABLE}`);
    }
    await ensureIndex(queryRunner, DROPPED.table, DROPPED.index);
    for (const { table, index, previous } of [...INDEXES].reverse()) {
      if (previous) await ensureIndex(queryRunner, table, previous);
      else await dropIndexIfPresent(queryRunner, table, index.name);
    }
    for (const column of ["search_name", "phone_e164"]) {
      const table = await loadTable(queryRunner, "leads");
      if (table.findColumnByName(column)) await queryRunner.dropColumn(table, column);
    }
    // The ids stay 64-bit: narrowing could fail on ids written since, and nothing needs it.
  }
}

export const FTS_TRIGGERS = ["leads_fts_insert", "leads_fts_delete", "leads_fts_update"];

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === "mysql" || type === "mariadb";
}

async function loadTable(queryRunner: QueryRunner, name: string): Promise<Table> {
  const table = await queryRunner.getTable(name);
  if (!table) throw new Error(`Table ${name} not found`);
  return table;
}

async function hasIndex(queryRunner: QueryRunner, table: string, name: string): Promise<boolean> {
  return (await loadTable(queryRunner, table)).indices.some((index) => index.name === name);
}

async function dropIndexIfPresent(queryRunner: QueryRunner, table: string, name: string) {
  const loaded = await loadTable(queryRunner, table);
  const index = loaded.indices.find((candidate) => candidate.name === name);
  if (index) await queryRunner.dropIndex(loaded, index);
}

/** Builds the index unless it exists as specified; one of that name defined otherwise is replaced. */
async function ensureIndex(queryRunner: QueryRunner, tableName: string, spec: IndexSpec) {
  const table = await loadTable(queryRunner, tableName);
  const existing = table.indices.find((index) => index.name === spec.name);
  const same =
    existing?.columnNames.length === spec.columns.length &&
    existing.columnNames.every((column, i) => column === spec.columns[i]);
  if (existing && same) return;
  if (existing) await queryRunner.dropIndex(table, existing);
  await queryRunner.createIndex(
    table,
    new TableIndex({ name: spec.name, columnNames: spec.columns }),
  );
}

async function columnType(queryRunner: QueryRunner, table: string, column: string) {
  const rows: Array<{ type: string }> = await queryRunner.query(
    `SELECT DATA_TYPE AS type FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
    [table, column],
  );
  if (!rows[0]) throw new Error(`Column ${table}.${column} not found`);
  return rows[0].type.toLowerCase();
}

async function hasForeignKey(queryRunner: QueryRunner, table: string, name: string) {
  const rows: Array<{ n: number | string }> = await queryRunner.query(
    `SELECT COUNT(*) AS n FROM information_schema.TABLE_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?
       AND CONSTRAINT_TYPE = 'FOREIGN KEY'`,
    [table, name],
  );
  return Number(rows[0].n) > 0;
}

/**
 * `ALTER TABLE … MODIFY` (not TypeORM's `changeColumn`, which drops and re-adds a column whose
 * type changes, losing its values). The lead foreign key must go while `leads.id` and
 * `calls.lead_id` differ, and comes back once both are BIGINT.
 */
async function widenIds(queryRunner: QueryRunner): Promise<void> {
  const narrow = [];
  for (const spec of WIDE_ID_COLUMNS) {
    if ((await columnType(queryRunner, spec.table, spec.column)) !== "bigint") narrow.push(spec);
  }
  if (narrow.some((spec) => spec.table === "leads" || spec.column === "lead_id")) {
    if (await hasForeignKey(queryRunner, "calls", "FK_calls_lead")) {
      await queryRunner.query("ALTER TABLE calls DROP FOREIGN KEY FK_calls_lead");
    }
  }
  for (const table of ["calls", "leads", "audit_log"]) {
    const changes = narrow
      .filter((spec) => spec.table === table)
      .map(
        (spec) => `MODIFY ${spec.column} BIGINT NOT NULL${spec.generated ? " AUTO_INCREMENT" : ""}`,
      );
    if (changes.length > 0) await queryRunner.query(`ALTER TABLE ${table} ${changes.join(", ")}`);
  }
  if (!(await hasForeignKey(queryRunner, "calls", "FK_calls_lead"))) {
    await queryRunner.query(
      `ALTER TABLE calls ADD CONSTRAINT FK_calls_lead FOREIGN KEY (lead_id) REFERENCES leads (id)
       ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
  }
}

/** Fills `phone_e164` and `search_name` of the leads written before this migration. */
async function fillLeadColumns(queryRunner: QueryRunner): Promise<void> {
  // Read here rather than from the service's configuration: migrations run before it exists.
  const region = process.env.PHONE_DEFAULT_REGION;
  let after = 0;
  for (;;) {
    const rows: Array<{ id: number | string; phone: string | null; name: string | null }> =
      await queryRunner.query(
        `SELECT id, phone, name FROM leads
         WHERE id > ? AND ((phone IS NOT NULL AND phone_e164 IS NULL)
                           OR (name IS NOT NULL AND search_name IS NULL))
         ORDER BY id LIMIT 1000`,
        [after],
      );
    if (rows.length === 0) return;
    for (const row of rows) {
      await queryRunner.query("UPDATE leads SET phone_e164 = ?, search_name = ? WHERE id = ?", [
        toE164(row.phone, region),
        fullTextDocument(row.name),
        row.id,
      ]);
    }
    after = Number(rows.at(-1)!.id);
  }
}

/**
 * InnoDB FULLTEXT over `search_name`. Stopwords are turned off for the build (the index keeps
 * that setting), so that names which are also English words are found. InnoDB indexes words of
 * `innodb_ft_min_token_size` (default 3) characters or more; shorter words of a search are
 * matched another way (see `src/db/search-sql.ts`).
 */
export async function createFullTextIndex(queryRunner: QueryRunner): Promise<void> {
  if (await hasIndex(queryRunner, "leads", LEAD_NAME_FULLTEXT_INDEX)) return;
  const [{ stopwords }]: Array<{ stopwords: number | string }> = await queryRunner.query(
    "SELECT @@SESSION.innodb_ft_enable_stopword AS stopwords",
  );
  await queryRunner.query("SET SESSION innodb_ft_enable_stopword = OFF");
  try {
    await queryRunner.query(
      `CREATE FULLTEXT INDEX ${LEAD_NAME_FULLTEXT_INDEX} ON leads (search_name)`,
    );
  } finally {
    await queryRunner.query(`SET SESSION innodb_ft_enable_stopword = ${Number(stopwords) ? 1 : 0}`);
  }
}

/**
 * An FTS5 table reading its text from `leads` (external content: the names are not stored
 * twice), kept in step by triggers. The text is already folded (`fullTextWords`), so the
 * tokenizer only splits at spaces. A later migration that rebuilds `leads` (TypeORM does that
 * on SQLite for most column changes) drops the triggers with the table: it must create them
 * again.
 */
export async function createFtsTable(queryRunner: QueryRunner): Promise<void> {
  const table = LEAD_NAME_FTS_TABLE;
  const [{ n }]: Array<{ n: number }> = await queryRunner.query(
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
    [table],
  );
  await queryRunner.query(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts5(
       search_name, content='leads', content_rowid='id', tokenize='unicode61 remove_diacritics 0')`,
  );
  await queryRunner.query(
    `CREATE TRIGGER IF NOT EXISTS leads_fts_insert AFTER INSERT ON leads BEGIN
       INSERT INTO ${table} (rowid, search_name) VALUES (new.id, new.search_name);
     END`,
  );
  await queryRunner.query(
    `CREATE TRIGGER IF NOT EXISTS leads_fts_delete AFTER DELETE ON leads BEGIN
       INSERT INTO ${table} (${table}, rowid, search_name) VALUES ('delete', old.id, old.search_name);
     END`,
  );
  await queryRunner.query(
    `CREATE TRIGGER IF NOT EXISTS leads_fts_update AFTER UPDATE OF search_name ON leads BEGIN
       INSERT INTO ${table} (${table}, rowid, search_name) VALUES ('delete', old.id, old.search_name);
       INSERT INTO ${table} (rowid, search_name) VALUES (new.id, new.search_name);
     END`,
  );
  if (Number(n) === 0)
    await queryRunner.query(`INSERT INTO ${table} (${table}) VALUES ('rebuild')`);
}

/*
 * The rules this migration applied when it filled the columns, frozen here as they were when
 * it was written: a later change to the service's own rules (src/common/phone.ts, `fullTextWords`
 * and `fullTextDocument` in src/common/search.ts) must not change what an old migration does.
 * A change of those rules that should reach stored rows is a new migration of its own.
 */

/** The E.164 form of a phone number (`+` and the digits), or null when it has none. */
function toE164(phone: string | null | undefined, region?: string): string | null {
  const text = phone?.trim();
  if (!text) return null;
  const international = text.replace(/^00(?=[1-9])/, "+");
  const code = region?.trim().toUpperCase();
  const country = code && isSupportedCountry(code) ? (code as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(international, country);
  return parsed?.isPossible() ? parsed.number : null;
}

/** A name's words, accents and case folded, anything but letters and digits a separator. */
function fullTextWords(text: string | null | undefined): string {
  return (text ?? "")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** What `search_name` holds: the words, cut to the column's 255 characters; null when none. */
function fullTextDocument(text: string | null | undefined): string | null {
  const words = Array.from(fullTextWords(text)).slice(0, 255).join("");
  return words.trim() || null;
}
