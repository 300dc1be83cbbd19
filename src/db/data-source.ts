import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import {
  DataSource,
  type DataSourceOptions,
  type Logger as TypeOrmLogger,
  type Migration,
  type MigrationInterface,
} from "typeorm";
import { DEFAULT_DATABASE_TIMEOUT_SECONDS, type DatabaseConfig } from "../config";
import type { Logger } from "../logger";
import { routeReads } from "./request-scope";
import { setTransactionAttempts } from "./writes";
import { currentBackgroundJob } from "./background";

/** What the database holds: the composition root (src/app.ts) lists them. */
export interface DatabaseModel {
  /** Entity classes. */
  entities: Array<new () => object>;
  /** Migration classes, oldest first. */
  migrations: Array<new () => MigrationInterface>;
}

export interface DataSourceHooks {
  logger?: Logger;
  /**
   * Called with every SQL statement TypeORM sends for a request — not for background jobs
   * (`asBackgroundJob`) — so that tests can count them and explain them.
   */
  onQuery?: (sql: string, parameters?: readonly unknown[]) => void;
}

/** Sends TypeORM's messages to pino: statements at `trace` (never their parameters). */
class PinoTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly hooks: DataSourceHooks) {}

  logQuery(query: string, parameters?: unknown[]): void {
    if (!currentBackgroundJob()) this.hooks.onQuery?.(query, parameters);
    this.hooks.logger?.trace({ sql: query }, "sql");
  }

  logQueryError(error: string | Error, query: string): void {
    if (!currentBackgroundJob()) this.hooks.onQuery?.(query);
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
    connectTimeout: db.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
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
  model: DatabaseModel,
  hooks: DataSourceHooks = {},
): Promise<DataSource> {
  const common = {
    entities: model.entities,
    migrations: model.migrations,
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
    const primary = {
      host: db.host,
      port: db.port,
      username: db.username,
      password: db.password,
      database: db.database,
    };
    const replicas = db.replicas ?? [];
    options = {
      ...common,
      type: await detectMysqlFlavour(db),
      ...(replicas.length > 0
        ? { replication: { master: primary, slaves: replicas, canRetry: true } }
        : primary),
      charset: "utf8mb4_unicode_ci",
      timezone: "Z",
      connectTimeout: db.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      // mysql2 captures a stack trace for every statement by default (for its own error
      // messages); the service never shows those, and the capture costs on every write.
      trace: false,
      // BIGINT ids come back as JS numbers (exact up to 2^53, far beyond any table here), not as
      // strings: the rest of the code compares and maps ids as numbers on both databases.
      supportBigNumbers: true,
      bigNumberStrings: false,
      extra: { connectionLimit: 10 },
    };
  }
  const dataSource = new DataSource(options);
  if (db.kind === "sqlite") bigintAsInteger(dataSource);
  if (db.kind === "mysql") {
    boundQueryTime(dataSource, db.queryTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (db.transactionAttempts !== undefined) {
      setTransactionAttempts(dataSource, db.transactionAttempts);
    }
    findCluster(dataSource, db.causalReads ?? true);
  }
  routeReads(dataSource);
  return dataSource;
}

const DEFAULT_TIMEOUT_MS = DEFAULT_DATABASE_TIMEOUT_SECONDS * 1000;

/**
 * Entities declare 64-bit ids as `bigint` (MySQL/MariaDB `BIGINT`). On SQLite every INTEGER is
 * 64-bit already, and only `INTEGER PRIMARY KEY` may be AUTOINCREMENT: TypeORM is told to read `bigint` as `integer` there, so that the entities
 * and the migrated tables agree.
 */
function bigintAsInteger(dataSource: DataSource): void {
  const driver = dataSource.driver;
  const normalizeType = driver.normalizeType.bind(driver);
  driver.normalizeType = (column) => (column.type === "bigint" ? "integer" : normalizeType(column));
}

/** Data sources running migrations right now: a schema change may take longer than a query. */
const migrating = new WeakSet<DataSource>();

/** Runs `work` (migrations) with no statement timeout. */
export async function withoutQueryTimeout<T>(
  dataSource: DataSource,
  work: () => Promise<T>,
): Promise<T> {
  migrating.add(dataSource);
  try {
    return await work();
  } finally {
    migrating.delete(dataSource);
  }
}

/**
 * Applies the pending migrations, each in its own transaction (MariaDB DDL commits anyway: each
 * migration keeps its `up` safe to re-run), with no statement timeout. The one way every entry
 * point (the service at start, the CLIs) migrates. Answers the migrations applied.
 */
export function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  return withoutQueryTimeout(dataSource, () => dataSource.runMigrations({ transaction: "each" }));
}

/** Reverts the last applied migration, if any, with no statement timeout. */
export function revertLastMigration(dataSource: DataSource): Promise<void> {
  return withoutQueryTimeout(dataSource, () =>
    dataSource.undoLastMigration({ transaction: "each" }),
  );
}

/** What `initialize` found about the server (MySQL/MariaDB data sources only). */
export interface ClusterInfo {
  /** The server is a node of a Galera cluster (`wsrep_on` is ON). */
  galera: boolean;
  /** Reads wait for the cluster's earlier writes (`wsrep_sync_wait = 1` on every connection). */
  causalReads: boolean;
}

const clusters = new WeakMap<DataSource, ClusterInfo>();

/** What the data source found at `initialize`; undefined on SQLite or before `initialize`. */
export function clusterInfo(dataSource: DataSource): ClusterInfo | undefined {
  return clusters.get(dataSource);
}

/**
 * After `initialize`, asks the server whether it is a Galera node. On Galera a write committed
 * through one node is certified everywhere before its COMMIT returns, but applied on the other
 * nodes a moment later: a read there may miss it — the next request of the same client through
 * another instance (or another pooled connection of this one, which HAProxy may send to another
 * node) could answer NOT_FOUND for a row it just created. With `causalReads`, every connection
 * is told to wait for those writes before each read (`wsrep_sync_wait = 1`, see
 * `boundQueryTime`, which applies it as connections are taken from the pool).
 */
function findCluster(dataSource: DataSource, causalReads: boolean): void {
  const initialize = dataSource.initialize.bind(dataSource);
  dataSource.initialize = async () => {
    await initialize();
    const rows: Array<{ Value?: string; VALUE?: string }> = await dataSource.query(
      "SHOW VARIABLES LIKE 'wsrep_on'",
    );
    const galera = String(rows[0]?.Value ?? rows[0]?.VALUE ?? "").toUpperCase() === "ON";
    clusters.set(dataSource, { galera, causalReads: galera && causalReads });
    return dataSource;
  };
}

type QueryCallback = (error: { code?: string } | null, ...results: unknown[]) => void;
interface PooledConnection {
  query: (sql: unknown, values?: unknown, callback?: unknown) => unknown;
  destroy: () => void;
  [TIMEOUT_BOUND]?: true;
  [CAUSAL]?: true;
}
const TIMEOUT_BOUND = Symbol("queryTimeoutBound");
const CAUSAL = Symbol("causalReads");

/**
 * Bounds how long a statement may wait for MySQL's answer. mysql2 has a per-statement `timeout`
 * but then leaves the connection in the pool with the unanswered statement still at the head of
 * its queue, so later statements on it would wait forever with no timer of their own (a
 * blackholed network). So: every statement gets the timeout, and a connection whose statement
 * timed out is destroyed; the pool opens a fresh one for the next request. TypeORM's own
 * `enableQueryTimeout` does the first half only (and would turn the slow-query log threshold into
 * the timeout). The hook is TypeORM's per-connection preparation, which it runs for every
 * connection it takes from the pool (primary and replicas alike); on a Galera cluster it also
 * makes each connection's reads causal, once (see `findCluster`).
 */
function boundQueryTime(dataSource: DataSource, timeoutMs: number): void {
  const driver = dataSource.driver as unknown as {
    prepareDbConnection: (connection: PooledConnection) => unknown;
  };
  const prepare = driver.prepareDbConnection.bind(driver);
  driver.prepareDbConnection = (connection) => {
    if (!connection[TIMEOUT_BOUND]) {
      connection[TIMEOUT_BOUND] = true;
      const query = connection.query;
      connection.query = function (sql, values, callback) {
        const done = (typeof values === "function" ? values : callback) as QueryCallback;
        // Without a callback (a result stream) and while migrating, mysql2 is used as is.
        if (typeof done !== "function" || typeof sql !== "string" || migrating.has(dataSource)) {
          return query.call(this, sql, values, callback);
        }
        const payload = { sql, timeout: timeoutMs };
        const guarded: QueryCallback = (error, ...results) => {
          if (error?.code === "PROTOCOL_SEQUENCE_TIMEOUT") connection.destroy();
          done(error, ...results);
        };
        return typeof values === "function"
          ? query.call(this, payload, guarded)
          : query.call(this, payload, values, guarded);
      };
    }
    if (!connection[CAUSAL] && clusters.get(dataSource)?.causalReads) {
      // Queued ahead of the statement the connection was taken for; a failure shows there.
      connection[CAUSAL] = true;
      connection.query("SET SESSION wsrep_sync_wait = 1", () => undefined);
    }
    return prepare(connection);
  };
}
