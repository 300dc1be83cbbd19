/**
 * `npm run migration:run | migration:revert | migration:show` on the configured database
 * (DATABASE_URL, or the embedded SQLite file when unset).
 */
import { ConfigError, describeDatabase, loadConfig } from "../config";
import { createLogger } from "../logger";
import { createAppDataSource } from "../app";
import { revertLastMigration, runPendingMigrations } from "../db/data-source";

async function main(command: string | undefined): Promise<number> {
  if (command !== "run" && command !== "revert" && command !== "show") {
    console.error("usage: migrate run | revert | show");
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger({ logLevel: "warn" });
  const dataSource = await createAppDataSource(config.database, { logger });
  await dataSource.initialize();
  try {
    console.log(`database: ${describeDatabase(config.database)}`);
    if (command === "run") {
      const applied = await runPendingMigrations(dataSource);
      console.log(
        applied.length === 0
          ? "no pending migrations"
          : applied.map((m) => `applied ${m.name}`).join("\n"),
      );
      return 0;
    }
    if (command === "revert") {
      await revertLastMigration(dataSource);
      console.log("reverted the last applied migration, if any (see migration:show)");
      return 0;
    }
    const pending = await dataSource.showMigrations();
    const runner = dataSource.createQueryRunner();
    const appliedRows: Array<{ name: string }> = (await runner.hasTable("migrations"))
      ? await runner.query("SELECT name FROM migrations ORDER BY id")
      : [];
    await runner.release();
    const applied = new Set(appliedRows.map((r) => r.name));
    for (const migration of dataSource.migrations) {
      const name = migration.name ?? migration.constructor.name;
      console.log(`${applied.has(name) ? "[X]" : "[ ]"} ${name}`);
    }
    console.log(pending ? "pending migrations: yes" : "pending migrations: none");
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv[2])
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`Invalid configuration:\n  ${error.lines.join("\n  ")}`);
    } else {
      console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  });
