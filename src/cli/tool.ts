/**
 * What the operators' command-line tools share: the configured database (migrated first when
 * MIGRATIONS_RUN is on), reads on the primary, the services they need, and one way to report
 * usage errors (exit 2), configuration and domain errors (exit 1).
 */
import "reflect-metadata";
import type { DataSource } from "typeorm";
import { createAppDataSource, createContainer } from "../app";
import type { Container } from "../common/container";
import { AppError } from "../common/errors";
import { ConfigError, describeDatabase, loadConfig } from "../config";
import { runPendingMigrations } from "../db/data-source";
import { onPrimary } from "../db/request-scope";
import { createLogger } from "../logger";

/** A mistake in the command line itself: reported with the usage text. */
export class UsageError extends Error {}

export interface ToolServices {
  dataSource: DataSource;
  /** The app's services, as the service itself makes them (`container.get(AccountService)`). */
  container: Container;
}

/** Runs `work` against the configured database, then exits with the right code. */
export function runTool(
  name: string,
  usage: string,
  check: () => void,
  work: (services: ToolServices) => Promise<void>,
  options: { logLevel?: "warn" | "error" } = {},
): void {
  const run = async () => {
    // A usage error is reported before the database is touched.
    check();
    const config = loadConfig();
    const logger = createLogger({ logLevel: options.logLevel ?? "warn" }, process.stderr);
    const dataSource = await createAppDataSource(config.database, { logger });
    await dataSource.initialize();
    try {
      if (config.migrationsRun) await runPendingMigrations(dataSource);
      process.stderr.write(`database: ${describeDatabase(config.database)}\n`);
      // A tool reads what it has just written: no cached keys or accounts.
      const toolConfig = { ...config, auth: { ...config.auth, apiKeyCacheSeconds: 0 } };
      await work({ dataSource, container: createContainer(toolConfig, logger, dataSource) });
    } finally {
      await dataSource.destroy();
    }
  };
  // An operator's tool reads what it has just written: everything on the primary.
  onPrimary(run)
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      if (
        error instanceof UsageError ||
        (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
      ) {
        process.stderr.write(`${name}: ${(error as Error).message}\n${usage}\n`);
        process.exit(2);
      }
      if (error instanceof ConfigError) {
        process.stderr.write(`Invalid configuration:\n  ${error.lines.join("\n  ")}\n`);
      } else if (error instanceof AppError) {
        process.stderr.write(`${name}: ${error.message}\n`);
      } else {
        process.stderr.write(
          `${name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
      process.exit(1);
    });
}

export function dateText(date: Date | null): string {
  return date ? date.toISOString().replace(".000Z", "Z") : "-";
}
