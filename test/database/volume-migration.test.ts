/**
 * Migration 008 (leads and calls at volume) on a database of the previous release: existing
 * leads get their E.164 phone and their name words (and so are found), ids become 64-bit on
 * MariaDB with the lead foreign key intact, and it can be run again and reverted.
 */
import type { DataSource } from "typeorm";
import { createAppDataSource, DATABASE_MODEL } from "../../src/app";
import { createLogger } from "../../src/logger";
import { Accounts1764100000007 } from "../../migrations/1764100000007-Accounts";
import { LeadsAndCallsAtVolume1764100000008 } from "../../migrations/1764100000008-LeadsAndCallsAtVolume";
import {
  createTestDatabase,
  describeEachDatabaseKind,
  pendingSchemaChanges,
  type TestDatabase,
} from "../support/harness";

const MIGRATIONS = DATABASE_MODEL.migrations;
const PREVIOUS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(Accounts1764100000007) + 1);
/** Up to this migration: the later ones are tested on their own. */
const UP_TO_THIS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(LeadsAndCallsAtVolume1764100000008) + 1);

/**
 * What the entities still expect of a database migrated up to 008: only what the later
 * migrations do (009: the word index of names replaces the full-text index; 010: the change
 * log; 011: the change feed and leases; 012: webhooks) may be pending.
 */
async function pendingBeforeNextMigration(ds: DataSource): Promise<string[]> {
  return (await pendingSchemaChanges(ds)).filter(
    (query) =>
      !/lead_name_words|FT_leads_search_name|change_log|change_feed_heads|leases|webhook_/.test(
        query,
      ),
  );
}

describeEachDatabaseKind("migration 008 on a database of the previous release", (kind) => {
  let database: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const previous = await createAppDataSource(database.config, {
      logger: createLogger({ logLevel: "silent" }),
    });
    previous.setOptions({ migrations: PREVIOUS });
    await previous.initialize();
    try {
      await previous.runMigrations();
      const [status]: Array<{ id: number }> = await previous.query(
        "SELECT id FROM lead_statuses WHERE account_id = 1 AND code = 'new'",
      );
      for (const [externalId, phone, name] of [
        ["zoe", "+44 20 7183 8750", "Zoë Ångström"],
        ["ivan", "0079123456789", "Иванов Пётр"],
        ["odd", "12", "O'Brien"],
        ["none", null, null],
      ]) {
        await previous.query(
          "INSERT INTO leads (account_id, external_id, phone, name, status_id) VALUES (1, ?, ?, ?, ?)",
          [externalId, phone, name, status.id],
        );
      }
    } finally {
      await previous.destroy();
    }
    ds = await createAppDataSource(database.config, {
      logger: createLogger({ logLevel: "silent" }),
    });
    ds.setOptions({ migrations: UP_TO_THIS });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await database?.drop();
  });

  async function leads() {
    return ds.query(
      "SELECT external_id, phone_e164, search_name FROM leads ORDER BY external_id",
    ) as Promise<Array<Record<string, unknown>>>;
  }

  async function findByName(words: string): Promise<string[]> {
    const rows: Array<{ external_id: string }> =
      kind === "sqlite"
        ? await ds.query(
            "SELECT external_id FROM leads WHERE id IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ?) ORDER BY external_id",
            [words],
          )
        : await ds.query(
            "SELECT external_id FROM leads WHERE MATCH(search_name) AGAINST (? IN BOOLEAN MODE) ORDER BY external_id",
            [words],
          );
    return rows.map((row) => row.external_id);
  }

  it("fills phone_e164 and search_name of the existing leads, and indexes their names", async () => {
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual([
      "LeadsAndCallsAtVolume1764100000008",
    ]);
    expect(await leads()).toEqual([
      { external_id: "ivan", phone_e164: "+79123456789", search_name: "иванов петр" },
      { external_id: "none", phone_e164: null, search_name: null },
      { external_id: "odd", phone_e164: null, search_name: "o brien" },
      { external_id: "zoe", phone_e164: "+442071838750", search_name: "zoe angstrom" },
    ]);
    expect(await findByName(kind === "sqlite" ? '"angs"*' : "+angs*")).toEqual(["zoe"]);
    expect(await findByName(kind === "sqlite" ? '"петр"' : "+петр")).toEqual(["ivan"]);
    expect(await pendingBeforeNextMigration(ds)).toEqual([]);
  });

  if (kind === "mariadb") {
    it("makes the ids of leads, calls and audit entries BIGINT, keeping the lead foreign key", async () => {
      const columns: Array<{ name: string; type: string }> = await ds.query(
        `SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS name, DATA_TYPE AS type
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
           AND ((TABLE_NAME IN ('leads', 'calls', 'audit_log') AND COLUMN_NAME = 'id')
                OR (TABLE_NAME = 'calls' AND COLUMN_NAME = 'lead_id'))
         ORDER BY name`,
      );
      expect(columns).toEqual([
        { name: "audit_log.id", type: "bigint" },
        { name: "calls.id", type: "bigint" },
        { name: "calls.lead_id", type: "bigint" },
        { name: "leads.id", type: "bigint" },
      ]);
      await expect(
        ds.query(
          "INSERT INTO calls (account_id, lead_id, call_status_id, recorded_by_role, recorded_by) VALUES (1, 99999999999, 1, 'SYSTEM', 'x')",
        ),
      ).rejects.toThrow(/foreign key/i);
    });
  }

  it("does nothing when run again", async () => {
    const before = await leads();
    const runner = ds.createQueryRunner();
    try {
      await new LeadsAndCallsAtVolume1764100000008().up(runner);
    } finally {
      await runner.release();
    }
    expect(await leads()).toEqual(before);
    expect(await pendingBeforeNextMigration(ds)).toEqual([]);
  });

  it("reverts (the columns and the full-text index go) and applies again", async () => {
    await ds.undoLastMigration();
    const runner = ds.createQueryRunner();
    try {
      const table = (await runner.getTable("leads"))!;
      expect(table.findColumnByName("phone_e164")).toBeUndefined();
      expect(table.findColumnByName("search_name")).toBeUndefined();
      expect(await runner.hasTable("leads_fts")).toBe(false);
    } finally {
      await runner.release();
    }
    await ds.runMigrations();
    expect((await leads()).find((lead) => lead.external_id === "zoe")).toEqual({
      external_id: "zoe",
      phone_e164: "+442071838750",
      search_name: "zoe angstrom",
    });
    expect(await pendingBeforeNextMigration(ds)).toEqual([]);
  });
});
