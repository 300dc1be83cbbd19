import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import type { DataSource } from "typeorm";
import { createApp, type App } from "../../src/app";
import {
  graphqlDefaults,
  httpTimeoutDefaults,
  webhookDefaults,
  type AppConfig,
  type DatabaseConfig,
} from "../../src/config";
import { createLogger } from "../../src/logger";
import { acrossAccounts } from "../../src/db/account-scope";
import { cliOperator, Role } from "../../src/access/principal";
import { ApiKeyService } from "../../src/auth/api-key.service";
import {
  adminConnection,
  MYSQL_AVAILABLE_FLAG,
  MYSQL_TEST_URL,
  mysqlServer,
  TEST_DB_PREFIX,
} from "./mysql";

export type DbKind = "sqlite" | "mariadb";

/** The databases this run covers: SQLite always, MariaDB/MySQL when the global setup reached it. */
export function testDatabases(): DbKind[] {
  return process.env[MYSQL_AVAILABLE_FLAG] === "1" ? ["sqlite", "mariadb"] : ["sqlite"];
}

export interface TestDatabase {
  kind: DbKind;
  config: DatabaseConfig;
  /** The ADMIN key created by the first app started on it. */
  adminKey?: string;
  drop(): Promise<void>;
}

let counter = 0;

/** A fresh, empty database: a temp SQLite file, or a new utf8mb4 MariaDB database. */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  counter += 1;
  if (kind === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cls-test-"));
    return {
      kind,
      config: { kind: "sqlite", path: path.join(dir, "statuses.db") },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `${TEST_DB_PREFIX}${process.pid}_${counter}_${randomBytes(3).toString("hex")}`;
  const admin = await adminConnection();
  try {
    await admin.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await admin.end();
  }
  return {
    kind,
    config: { ...mysqlServer(), database: name },
    drop: async () => {
      const connection = await adminConnection();
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}

/** What TypeORM's schema builder would still change: empty when entities and tables agree. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
}

/** The `DATABASE_URL` of a test database (for the CLI tools run against it). */
export function testDatabaseUrl(database: TestDatabase): string {
  const config = database.config;
  if (config.kind === "sqlite") return `sqlite:${config.path}`;
  const url = new URL(MYSQL_TEST_URL);
  url.pathname = `/${config.database}`;
  return url.toString();
}

export function testConfig(
  database: DatabaseConfig,
  overrides: Partial<AppConfig> = {},
): AppConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    nodeEnv: "test",
    logLevel: (process.env.TEST_LOG_LEVEL as AppConfig["logLevel"]) ?? "silent",
    database,
    migrationsRun: true,
    shutdownTimeoutSeconds: 10,
    http: httpTimeoutDefaults,
    auth: { apiKeyCacheSeconds: 5 },
    // Fixtures create rows in bulk with aliased mutations; the limits themselves are tested with
    // the real defaults (test/graphql/limits.test.ts).
    graphql: { ...graphqlDefaults("test"), maxAliases: 1000, maxTokens: 100_000 },
    statusCache: { enabled: true, refreshMs: 1000, maxAccounts: 1000 },
    leads: {},
    cors: { origins: "*" },
    changes: { retentionDays: 7 },
    subscriptions: { maxPerConnection: 20, maxPerCredential: 200, connectionInitTimeoutMs: 10_000 },
    events: {},
    // The tests' receivers listen on 127.0.0.1; the refusal itself is tested with it off.
    webhooks: { ...webhookDefaults, allowPrivateAddresses: true },
    ...overrides,
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: Array<{
    message: string;
    path?: Array<string | number>;
    extensions?: {
      code?: string;
      fields?: Array<{ field: string; message: string }>;
      requestId?: string;
      [key: string]: unknown;
    };
  }>;
}

/** A running service on a fresh database, reached over real HTTP. */
export class TestServer {
  app!: App;
  url!: string;
  database!: TestDatabase;
  /** Every SQL statement sent since the last `resetQueries()`. */
  queries: string[] = [];
  /** The same statements with their parameters (to EXPLAIN them). */
  statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  /** The ADMIN key the app created at start; `gql` sends it unless told otherwise. */
  adminKey!: string;

  constructor(readonly kind: DbKind) {}

  /** Log lines written by the app (only when started with `captureLogs`). */
  logs: string[] = [];

  /**
   * Starts the app on a fresh database, or on `options.database` (shared with another server).
   * With `captureLogs`, everything the app logs (down to `trace`: every SQL statement) is kept
   * in `logs`.
   */
  async start(
    overrides: Partial<AppConfig> = {},
    options: { database?: TestDatabase; captureLogs?: boolean } = {},
  ): Promise<void> {
    this.database = options.database ?? (await createTestDatabase(this.kind));
    this.ownsDatabase = !options.database;
    const config = testConfig(this.database.config, {
      ...(options.captureLogs ? { logLevel: "trace" as const } : {}),
      ...overrides,
    });
    const destination = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.logs.push(chunk.toString("utf8"));
        done();
      },
    });
    this.app = await createApp(config, {
      logger: createLogger(config, options.captureLogs ? destination : process.stdout),
      onQuery: (sql, parameters) => {
        this.queries.push(sql);
        this.statements.push({ sql, parameters: parameters ?? [] });
      },
    });
    this.url = await this.app.listen(0, "127.0.0.1");
    const adminKey = this.app.bootstrapKey ?? options.database?.adminKey;
    if (!adminKey) throw new Error("the test app created no bootstrap ADMIN key");
    this.adminKey = adminKey;
    this.database.adminKey = adminKey;
  }

  /** Creates an API key with `role` (as ADMIN) and returns its secret. */
  async createKey(role: string, name = `${role.toLowerCase()} test key`): Promise<string> {
    const data = await this.ok<{ createApiKey: { secret: string } }>(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
      { input: { name, role } },
    );
    return data.createApiKey.secret;
  }

  /**
   * Creates a PLATFORM key (bound to no account, like `npm run apikey -- create --role
   * PLATFORM`) and returns its secret: the platform operator creates accounts and their keys.
   */
  async createPlatformKey(name = "platform test key"): Promise<string> {
    const { secret } = await acrossAccounts("test setup: a PLATFORM key", () =>
      this.app.container
        .get(ApiKeyService)
        .create({ name, role: Role.PLATFORM }, cliOperator(null)),
    );
    return secret;
  }

  private ownsDatabase = true;

  async stop(): Promise<void> {
    await this.app?.close();
    if (this.ownsDatabase) await this.database?.drop();
  }

  resetQueries(): void {
    this.queries = [];
    this.statements = [];
  }

  /**
   * POSTs a GraphQL operation and returns the parsed body with the HTTP status. Authenticates
   * with the ADMIN key unless `headers` carries its own `x-api-key` or `authorization` (send
   * `{ "x-api-key": "" }` for none).
   */
  async gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const ownCredential = Object.keys(headers).some((name) =>
      ["x-api-key", "authorization"].includes(name.toLowerCase()),
    );
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(ownCredential ? {} : { "x-api-key": this.adminKey }),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body };
  }

  /** Like `gql`, but fails the test when the response has errors; returns `data`. */
  async ok<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const response = await this.gql<T>(query, variables, headers);
    if (response.errors?.length || !response.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
    }
    return response.data;
  }
}

/**
 * Declares the same tests once per database. `fn` receives the server (started in `beforeAll`,
 * stopped in `afterAll`, one fresh database per database kind and file).
 */
export function describeEachDatabase(title: string, fn: (server: TestServer) => void): void {
  describeEachDatabaseKind(title, (kind) => {
    const server = new TestServer(kind);
    beforeAll(() => server.start());
    afterAll(() => server.stop());
    fn(server);
  });
}

/** Declares the same tests once per database kind; the tests start their own servers. */
export function describeEachDatabaseKind(title: string, fn: (kind: DbKind) => void): void {
  for (const kind of testDatabases()) {
    describe(`${title} [${kind}]`, () => fn(kind));
  }
}

/** The single error of a response, asserting there is exactly one and no data for its path. */
export function onlyError(response: GraphQLResponse) {
  expect(response.errors).toHaveLength(1);
  return response.errors![0];
}

/** What must never reach a client: stack frames, SQL text, driver error names. */
export const LEAK_PATTERN =
  /stacktrace|\bat [\w.<>]+ \(|\.(ts|js):\d+:\d+|\bSELECT\b|\bINSERT INTO\b|\bUPDATE\b.*\bSET\b|(?<![A-Z])ER_[A-Z]|SQLITE_|QueryFailedError/;

/** Asserts one error with `code`, and (when given) that it names `field`. */
export function expectError(response: GraphQLResponse, code: string, field?: string) {
  const error = onlyError(response);
  expect(error.extensions?.code).toBe(code);
  if (field !== undefined) {
    expect(error.extensions?.fields?.map((f) => f.field)).toContain(field);
  }
  // Never a stack trace, SQL text or driver message.
  const text = JSON.stringify(error);
  expect(text).not.toMatch(LEAK_PATTERN);
  return error;
}
