import type { DataSource } from "typeorm";
import { createAppDataSource, DATABASE_MODEL } from "../../src/app";

const MIGRATIONS = DATABASE_MODEL.migrations;
import { createLogger } from "../../src/logger";
import { SeedSystemStatuses1764100000001 } from "../../migrations/1764100000001-SeedSystemStatuses";
import {
  createTestDatabase,
  describeEachDatabase,
  pendingSchemaChanges,
  type TestDatabase,
} from "../support/harness";

const SEEDED_CALL_STATUSES = [
  ["qualified", "Qualified", "qualified", "ALWAYS", true],
  ["disqualified", "Disqualified", "disqualified", "ALWAYS", true],
  ["voicemail", "Voicemail", "in_progress", "NEVER", false],
  ["call_terminated", "Call terminated", "in_progress", "NEVER", false],
  ["not_accepted_by_operator", "Not accepted by operator", "in_progress", "NEVER", false],
  ["post_processing_not_completed", "Post processing not completed", "in_progress", "NEVER", false],
  ["missed_by_system", "Missed by the system", "in_progress", "NEVER", false],
];

async function countRows(dataSource: DataSource, table: string): Promise<number> {
  const rows: Array<{ n: number | string }> = await dataSource.query(
    `SELECT COUNT(*) AS n FROM ${table}`,
  );
  return Number(rows[0].n);
}

describeEachDatabase("database", (server) => {
  it("starts with the 7 system call statuses and 4 system lead statuses the product ships with", async () => {
    const data = await server.ok<{
      callStatuses: Array<Record<string, unknown> & { leadStatus: { code: string } | null }>;
      leadStatuses: Array<Record<string, unknown>>;
    }>(`{
      callStatuses { code title type agentVisibility showToAgent showToAiAgents commentRequired
                     planningTimeRequired description version leadStatus { code } }
      leadStatuses { code title category type color version }
    }`);
    expect(
      data.callStatuses.map((s) => [
        s.code,
        s.title,
        s.leadStatus?.code,
        s.agentVisibility,
        s.showToAiAgents,
      ]),
    ).toEqual(SEEDED_CALL_STATUSES);
    for (const status of data.callStatuses) {
      expect(status).toMatchObject({
        type: "SYSTEM",
        commentRequired: false,
        planningTimeRequired: false,
        version: 1,
        showToAgent: status.agentVisibility !== "NEVER",
      });
      expect(typeof status.description).toBe("string");
    }
    expect(data.leadStatuses.map((s) => [s.code, s.category, s.type])).toEqual([
      ["new", "IN_PROGRESS", "SYSTEM"],
      ["in_progress", "IN_PROGRESS", "SYSTEM"],
      ["qualified", "QUALIFIED", "SYSTEM"],
      ["disqualified", "DISQUALIFIED", "SYSTEM"],
    ]);
    for (const status of data.leadStatuses) expect(status.color).toMatch(/^#[0-9A-F]{6}$/);
  });

  it("has a migrated schema that matches the entities exactly (nothing pending)", async () => {
    expect(await pendingSchemaChanges(server.app.dataSource)).toEqual([]);
  });

  it("re-running the seed migration never duplicates the system statuses", async () => {
    const runner = server.app.dataSource.createQueryRunner();
    try {
      await new SeedSystemStatuses1764100000001().up(runner);
      await new SeedSystemStatuses1764100000001().up(runner);
    } finally {
      await runner.release();
    }
    expect(await countRows(server.app.dataSource, "call_statuses")).toBe(7);
    expect(await countRows(server.app.dataSource, "lead_statuses")).toBe(4);
  });

  describe("migrations on a scratch database", () => {
    let database: TestDatabase;
    let dataSource: DataSource;

    beforeAll(async () => {
      database = await createTestDatabase(server.kind);
      dataSource = await createAppDataSource(database.config, {
        logger: createLogger({ logLevel: "silent" }),
      });
      await dataSource.initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await database?.drop();
    });

    it("reverting the seed removes only the system statuses; re-running restores them", async () => {
      await dataSource.runMigrations();
      await dataSource.query(
        "INSERT INTO lead_statuses (account_id, code, title, category, sort, color, type) VALUES (1, 'callback', 'Callback', 'IN_PROGRESS', 50, '#000000', 'CUSTOM')",
      );

      // revert everything down to and including the seed (the second migration)
      for (let i = 1; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
      const remaining: Array<{ code: string }> = await dataSource.query(
        "SELECT code FROM lead_statuses",
      );
      expect(remaining.map((r) => r.code)).toEqual(["callback"]);
      expect(await countRows(dataSource, "call_statuses")).toBe(0);

      await dataSource.runMigrations();
      expect(await countRows(dataSource, "call_statuses")).toBe(7);
      expect(await countRows(dataSource, "lead_statuses")).toBe(5);
    });

    it("reverting every migration drops the tables; running them again rebuilds an identical schema", async () => {
      for (let i = 0; i < MIGRATIONS.length; i += 1) await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.hasTable("accounts")).toBe(false);
        expect(await runner.hasTable("api_keys")).toBe(false);
        expect(await runner.hasTable("audit_log")).toBe(false);
        expect(await runner.hasTable("status_revision")).toBe(false);
        expect(await runner.hasTable("calls")).toBe(false);
        expect(await runner.hasTable("leads")).toBe(false);
        expect(await runner.hasTable("lead_name_words")).toBe(false);
        expect(await runner.hasTable("change_log")).toBe(false);
        expect(await runner.hasTable("change_feed_heads")).toBe(false);
        expect(await runner.hasTable("leases")).toBe(false);
        expect(await runner.hasTable("webhook_endpoints")).toBe(false);
        expect(await runner.hasTable("webhook_deliveries")).toBe(false);
        expect(await runner.hasTable("call_statuses")).toBe(false);
        expect(await runner.hasTable("lead_statuses")).toBe(false);
      } finally {
        await runner.release();
      }
      expect(await dataSource.showMigrations()).toBe(true);

      const applied = await dataSource.runMigrations();
      expect(applied.map((m) => m.name)).toEqual([
        "CreateStatusTables1764100000000",
        "SeedSystemStatuses1764100000001",
        "CreateApiKeys1764100000002",
        "CreateLeadsAndCalls1764100000003",
        "CreateAuditLog1764100000004",
        "CreateStatusRevision1764100000005",
        "ExactKeys1764100000006",
        "Accounts1764100000007",
        "LeadsAndCallsAtVolume1764100000008",
        "NameWordsByAccount1764100000009",
        "ChangeLog1764100000010",
        "ChangeFeed1764100000011",
        "Webhooks1764100000012",
      ]);
      expect(await countRows(dataSource, "call_statuses")).toBe(7);
      expect(await countRows(dataSource, "lead_statuses")).toBe(4);
      expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    });
  });

  if (server.kind === "sqlite") {
    it("runs SQLite with foreign keys enforced and write-ahead logging", async () => {
      const [fk] = await server.app.dataSource.query("PRAGMA foreign_keys");
      const [journal] = await server.app.dataSource.query("PRAGMA journal_mode");
      expect(fk).toEqual({ foreign_keys: 1 });
      expect(journal).toEqual({ journal_mode: "wal" });
    });
  }

  it("refuses a link to a lead status that does not exist (foreign key)", async () => {
    await expect(
      server.app.dataSource.query(
        "UPDATE call_statuses SET lead_status_id = 999999 WHERE code = 'voicemail'",
      ),
    ).rejects.toThrow();
  });

  if (server.kind === "mariadb") {
    it("refuses to build the tables in a database that is not utf8mb4, saying how to fix it", async () => {
      const database = await createTestDatabase("mariadb");
      const dataSource = await createAppDataSource(database.config, {
        logger: createLogger({ logLevel: "silent" }),
      });
      try {
        await dataSource.initialize();
        await dataSource.query(
          `ALTER DATABASE \`${(database.config as { database: string }).database}\` CHARACTER SET latin1`,
        );
        await expect(dataSource.runMigrations()).rejects.toThrow(/utf8mb4.*ALTER DATABASE/s);
        const runner = dataSource.createQueryRunner();
        expect(await runner.hasTable("call_statuses")).toBe(false);
        await runner.release();
      } finally {
        await dataSource.destroy();
        await database.drop();
      }
    });
  }
});
