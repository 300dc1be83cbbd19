import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";
import { accountForeignKeyName } from "./1764100000007-Accounts";
import {
  createFtsTable,
  createFullTextIndex,
  FTS_TRIGGERS,
  LEAD_NAME_FTS_TABLE,
  LEAD_NAME_FULLTEXT_INDEX,
} from "./1764100000008-LeadsAndCallsAtVolume";

const TABLE = "lead_name_words";
/** Leads read per batch while the index is built for the existing leads. */
const BATCH = 1000;
/** Rows per INSERT (three parameters each, well below SQLite's limit of 32,766). */
const ROWS_PER_STATEMENT = 1000;

/**
 * Name search bounded by the caller's account.
 *
 * The full-text index of migration 008 (InnoDB FULLTEXT, SQLite FTS5) holds every account's
 * words in one list: a search for a prefix read every lead of every account whose name has a
 * word starting with it, and only then kept the caller's. Its cost — and its answer time — told
 * one account how common a name is in the others, and a few expensive searches slowed every
 * account. It is replaced by `lead_name_words`: one row per distinct word of a lead's name,
 * indexed by (account, word, lead), so that a prefix is one range of the caller's own words.
 *
 * - The words are those of `leads.search_name` (already folded by migration 008 and the service),
 *   split at spaces, each once per lead; the word column compares byte for byte (`utf8mb4_bin`)
 *   on MySQL/MariaDB, as SQLite's BINARY does, so that a prefix range holds the same words on both.
 * - The existing leads are indexed in batches of `BATCH`, in id order; a re-run after a partial
 *   failure goes on from the last lead indexed.
 * - The full-text index and, on SQLite, the FTS5 table and its triggers are dropped: nothing
 *   reads them any more, and every lead written would keep paying for them.
 *
 * Upgrade: run it with the service stopped, or accept that instances of the previous release
 * fail name searches (their index is gone) and that leads they write meanwhile are not indexed.
 * `down` builds the full-text index again and drops the table.
 */
export class NameWordsByAccount1764100000009 implements MigrationInterface {
  name = "NameWordsByAccount1764100000009";

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = isMysql(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: TABLE,
        columns: [
          { name: "account_id", type: "integer" },
          // As `leads.id`: BIGINT on MySQL/MariaDB; INTEGER on SQLite (64-bit there too), as the
          // service has TypeORM model `bigint` on SQLite (src/db/data-source.ts).
          { name: "lead_id", type: mysql ? "bigint" : "integer", isPrimary: true },
          {
            name: "word",
            type: "varchar",
            length: "255",
            isPrimary: true,
            ...(mysql ? { charset: "utf8mb4", collation: "utf8mb4_bin" } : {}),
          },
        ],
        indices: [
          new TableIndex({
            name: "IDX_lead_name_words_search",
            columnNames: ["account_id", "word", "lead_id"],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: "FK_lead_name_words_lead",
            columnNames: ["lead_id"],
            referencedTableName: "leads",
            referencedColumnNames: ["id"],
            onDelete: "NO ACTION",
            onUpdate: "NO ACTION",
          }),
          new TableForeignKey({
            name: accountForeignKeyName(TABLE),
            columnNames: ["account_id"],
            referencedTableName: "accounts",
            referencedColumnNames: ["id"],
            onDelete: "NO ACTION",
            onUpdate: "NO ACTION",
          }),
        ],
      }),
      true,
    );
    await indexExistingLeads(queryRunner);
    if (mysql) {
      if (await hasIndex(queryRunner, "leads", LEAD_NAME_FULLTEXT_INDEX)) {
        await queryRunner.query(`DROP INDEX ${LEAD_NAME_FULLTEXT_INDEX} ON leads`);
      }
    } else {
      for (const trigger of FTS_TRIGGERS)
        await queryRunner.query(`DROP TRIGGER IF EXISTS ${trigger}`);
      await queryRunner.query(`DROP TABLE IF EXISTS ${LEAD_NAME_FTS_TABLE}`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) await createFullTextIndex(queryRunner);
    else await createFtsTable(queryRunner);
    await queryRunner.dropTable(TABLE, true);
  }
}

/**
 * Writes the words of every lead not indexed yet: from the last lead indexed on (it may have been
 * cut short; its words are written again, and those already there are skipped).
 */
async function indexExistingLeads(queryRunner: QueryRunner): Promise<void> {
  const [done]: Array<{ id: number | string | null }> = await queryRunner.query(
    `SELECT MAX(lead_id) AS id FROM ${TABLE}`,
  );
  let after = done?.id == null ? 0 : Number(done.id) - 1;
  const insert = isMysql(queryRunner) ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO";
  for (;;) {
    const leads: Array<{ id: number | string; account_id: number | string; search_name: string }> =
      await queryRunner.query(
        `SELECT id, account_id, search_name FROM leads
         WHERE id > ? AND search_name IS NOT NULL ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
    if (leads.length === 0) return;
    const rows = leads.flatMap((lead) =>
      documentWords(lead.search_name).map((word) => [
        Number(lead.account_id),
        Number(lead.id),
        word,
      ]),
    );
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const part = rows.slice(i, i + ROWS_PER_STATEMENT);
      await queryRunner.query(
        `${insert} ${TABLE} (account_id, lead_id, word) VALUES ${part.map(() => "(?, ?, ?)").join(", ")}`,
        part.flat(),
      );
    }
    after = Number(leads.at(-1)!.id);
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === "mysql" || type === "mariadb";
}

async function hasIndex(queryRunner: QueryRunner, table: string, name: string): Promise<boolean> {
  const loaded = await queryRunner.getTable(table);
  return loaded?.indices.some((index) => index.name === name) ?? false;
}

/*
 * The rule this migration applied, frozen here as it was when it was written (a later change of
 * `documentWords` in src/common/search.ts must not change what an old migration does).
 */

/** The distinct words of a stored name (`search_name`: folded words, one space between). */
function documentWords(document: string): string[] {
  return [...new Set(document.split(" ").filter(Boolean))];
}
