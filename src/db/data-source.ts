import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from "typeorm";
import { CallStatus } from "../call-statuses/call-status.entity";
import type { DatabaseConfig } from "../config";
import { LeadStatus } from "../lead-statuses/lead-status.entity";
import type { Logger } from "../logger";
import { CreateStatusTables1764100000000 } from "../../migrations/1764100000000-CreateStatusTables";
import { SeedSystemStatuses1764100000001 } from "../../migrations/1764100000001-SeedSystemStatuses";
import { CreateApiKeys1764100000002 } from "../../migrations/1764100000002-CreateApiKeys";
import { CreateLeadsAndCalls1764100000003 } from "../../migrations/1764100000003-CreateLeadsAndCalls";
import { CreateAuditLog1764100000004 } from "../../migrations/1764100000004-CreateAuditLog";
import { ApiKey } from "../auth/api-key.entity";
import { AuditEntry } from "../audit/audit-entry.entity";
import { Call } from "../calls/call.entity";
import { Lead } from "../leads/lead.entity";

export const ENTITIES = [LeadStatus, CallStatus, ApiKey, Lead, Call, AuditEntry];
export const MIGRATIONS = [
  CreateStatusTables1764100000000,
  SeedSystemStatuses1764100000001,
  CreateApiKeys1764100000002,
  CreateLeadsAndCalls1764100000003,
  CreateAuditLog1764100000004,
];

export interface DataSourceHooks {
  logger?: Logger;
  /** Called with every SQL statement TypeORM sends (tests count them). */
  onQuery?: (sql: string) => void;
}

/** Sends TypeORM's messages to pino: statements at `trace` (never their parameters). */
class PinoTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly hooks: DataSourceHooks) {}

  logQuery(query: string): void {
    this.hooks.onQuery?.(query);
    this.hooks.logger?.trace({ sql: query }, "sql");
  }

  logQueryError(error: string | Error, query: string): void {
    this.hooks.onQuery?.(query);
    const message = error instanceof Error ? error.message : error;
    this.hooks.logger?.debug({ sql: query, err: message }, "sql failed");
  }

  logQuerySlow(time: number, query: string): void {
    this.hooks.logger?.warn({ sql: query, ms: time }, "slow sql");
  }

  logSchemaBuild(message: string): void {
    this.hooks.logger?.debug(message);
  }

  logMigration(message: string): void {
    this.hooks.logger?.info(message);
  }

  log(level: "log" | "info" | "warn", message: unknown): void {
    if (level === "warn") this.hooks.logger?.warn(String(message));
    else this.hooks.logger?.debug(String(message));
  }
}

/**
 * For a `mysql://` URL, asks the server what it is: TypeORM must use its `mariadb` type for
 * MariaDB and `mysql` for MySQL, or its schema comparisons go wrong.
 */
async function detectMysqlFlavour(
  db: Extract<DatabaseConfig, { kind: "mysql" }>,
): Promise<"mysql" | "mariadb"> {
  if (db.flavour === "mariadb") return "mariadb";
  const connection = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: db.username,
    password: db.password,
    connectTimeout: 10_000,
  });
  try {
    const [rows] = await connection.query("SELECT VERSION() AS version");
    const version = String((rows as Array<{ version: string }>)[0]?.version ?? "");
    return /mariadb/i.test(version) ? "mariadb" : "mysql";
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Builds (does not connect) the DataSource for the configured database. */
export async function createDataSource(
  db: DatabaseConfig,
  hooks: DataSourceHooks = {},
): Promise<DataSource> {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "migrations",
    migrationsTransactionMode: "each" as const,
    synchronize: false,
    logging: true,
    logger: new PinoTypeOrmLogger(hooks),
    maxQueryExecutionTime: 1000,
  };

  let options: DataSourceOptions;
  if (db.kind === "sqlite") {
    if (db.path !== ":memory:") fs.mkdirSync(path.dirname(db.path), { recursive: true });
    options = {
      ...common,
      type: "better-sqlite3",
      database: db.path,
      enableWAL: db.path !== ":memory:",
      timeout: 5000,
      // SQLite's own lower() folds ASCII only; searches must fold Cyrillic too, as MySQL does.
      prepareDatabase: (connection: {
        function: (name: string, options: object, fn: (value: unknown) => unknown) => void;
      }) =>
        connection.function("lower", { deterministic: true }, (value) =>
          typeof value === "string" ? value.toLowerCase() : value,
        ),
    };
  } else {
    options = {
      ...common,
      type: await detectMysqlFlavour(db),
      host: db.host,
      port: db.port,
      username: db.username,
      password: db.password,
      database: db.database,
      charset: "utf8mb4_unicode_ci",
      timezone: "Z",
      connectTimeout: 10_000,
      extra: { connectionLimit: 10 },
    };
  }
  return new DataSource(options);
}
