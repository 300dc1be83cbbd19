/**
 * Migration 009 (name search bounded by the account) on a database of the previous release:
 * the existing leads' names go into the word index, keyed by account, the full-text index goes,
 * a re-run after a cut-short run completes the index, and it can be reverted.
 */
import type { DataSource } from "typeorm";
import { createAppDataSource, DATABASE_MODEL } from "../../src/app";
import { createLogger } from "../../src/logger";
import { LeadsAndCallsAtVolume1764100000008 } from "../../migrations/1764100000008-LeadsAndCallsAtVolume";
import { NameWordsByAccount1764100000009 } from "../../migrations/1764100000009-NameWordsByAccount";
import {
  createTestDatabase,
  describeEachDatabaseKind,
  pendingSchemaChanges,
  type TestDatabase,
} from "../support/harness";

const MIGRATIONS = DATABASE_MODEL.migrations;
const PREVIOUS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(LeadsAndCallsAtVolume1764100000008) + 1);
const UP_TO_THIS = MIGRATIONS.slice(0, MIGRATIONS.indexOf(NameWordsByAccount1764100000009) + 1);

/**
 * What the entities still expect after 009: only the later migrations' tables (010: the change
 * log; 011: the change feed and leases; 012: webhooks).
 */
async function pendingBeforeNextMigration(ds: DataSource): Promise<string[]> {
  return (await pendingSchemaChanges(ds)).filter(
    (query) => !/change_log|change_feed_heads|leases|webhook_/.test(query),
  );
}

describeEachDatabaseKind("migration 009 on a database of the previous release", (kind) => {
  let database: TestDatabase;
  let ds: DataSource;
  const leadIds: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const previous = await createAppDataSource(database.config, {
      logger: createLogger({ logLevel: "silent" }),
    });
    previous.setOptions({ migrations: PREVIOUS });
    await previous.initialize();
    try {
      await previous.runMigrations();
      await previous.query("INSERT INTO accounts (code, name) VALUES ('acme', 'Acme')");
      const [acme]: Array<{ id: number }> = await previous.query(
        "SELECT id FROM accounts WHERE code = 'acme'",
      );
      const [status]: Array<{ id: number }> = await previous.query(
        "SELECT id FROM lead_statuses WHERE account_id = 1 AND code = 'new'",
      );
      // As the previous release wrote them: the folded words in search_name.
      for (const [externalId, accountId, name, searchName] of [
        ["anna", 1, "Anna Maria Anna", "anna maria anna"],
        ["zoe", 1, "Zoë Ångström", "zoe angstrom"],
        ["none", 1, null, null],
        ["acme-anna", Number(acme.id), "Anna Kowalska", "anna kowalska"],
        ["ivan", Number(acme.id), "Иванов Пётр", "иванов петр"],
      ] as const) {
        await previous.query(
          "INSERT INTO leads (account_id, external_id, name, search_name, status_id) VALUES (?, ?, ?, ?, ?)",
          [accountId, externalId, name, searchName, status.id],
        );
        const [row]: Array<{ id: number }> = await previous.query(
          "SELECT id FROM leads WHERE external_id = ?",
          [externalId],
        );
        leadIds[externalId] = Number(row.id);
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

  /** The word index as `account external_id word` lines, sorted. */
  async function words(): Promise<string[]> {
    const rows: Array<{ account_id: number; external_id: string; word: string }> = await ds.query(
      `SELECT w.account_id, l.external_id, w.word FROM lead_name_words w
       JOIN leads l ON l.id = w.lead_id AND l.account_id = w.account_id`,
    );
    return rows.map((r) => `${r.account_id} ${r.external_id} ${r.word}`).sort();
  }

  const EXPECTED = [
    "1 anna anna",
    "1 anna maria",
    "1 zoe angstrom",
    "1 zoe zoe",
    "2 acme-anna anna",
    "2 acme-anna kowalska",
    "2 ivan иванов",
    "2 ivan петр",
  ];

  async function fullTextIndexExists(): Promise<boolean> {
    if (kind === "sqlite") {
      const rows: unknown[] = await ds.query(
        "SELECT name FROM sqlite_master WHERE name IN ('leads_fts', 'leads_fts_insert', 'leads_fts_update', 'leads_fts_delete')",
      );
      return rows.length > 0;
    }
    const rows: unknown[] = await ds.query(
      "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'FT_leads_search_name'",
    );
    return rows.length > 0;
  }

  it("indexes every word of the existing names once per lead, under the lead's account, and drops the full-text index", async () => {
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual([
      "NameWordsByAccount1764100000009",
    ]);
    expect(await words()).toEqual(EXPECTED);
    expect(await fullTextIndexExists()).toBe(false);
    expect(await pendingBeforeNextMigration(ds)).toEqual([]);
  });

  it("completes the index when run again after a run cut short", async () => {
    // As if the run had stopped half-way through the last lead, and before the full-text index went.
    await ds.query("DELETE FROM lead_name_words WHERE lead_id = ? AND word = 'петр'", [
      leadIds.ivan,
    ]);
    const runner = ds.createQueryRunner();
    try {
      await new NameWordsByAccount1764100000009().up(runner);
    } finally {
      await runner.release();
    }
    expect(await words()).toEqual(EXPECTED);
    expect(await pendingBeforeNextMigration(ds)).toEqual([]);
  });

  it("reverts (the word index goes, the full-text index comes back) and applies again", async () => {
    await ds.undoLastMigration();
    const runner = ds.createQueryRunner();
    try {
      expect(await runner.hasTable("lead_name_words")).toBe(false);
    } finally {
      await runner.release();
    }
    expect(await fullTextIndexExists()).toBe(true);
    await ds.runMigrations();
    expect(await words()).toEqual(EXPECTED);
    expect(await fullTextIndexExists()).toBe(false);
  });
});
