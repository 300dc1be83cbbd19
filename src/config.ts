import path from "node:path";
import { bool, cleanEnv, EnvError, host, makeValidator, num, port, str } from "envalid";

/** Where and how to reach the database, parsed from `DATABASE_URL`. */
export type DatabaseConfig =
  | {
      kind: "sqlite";
      /** Absolute file path, or `:memory:`. */
      path: string;
    }
  | ({
      kind: "mysql";
      /**
       * `mysql` for a `mysql://` URL: the server flavour (MySQL or MariaDB) is detected when
       * connecting. `mariadb` for a `mariadb://` URL.
       */
      flavour: "mysql" | "mariadb";
    } & MysqlEndpoint & {
        /**
         * Read replicas (`DATABASE_REPLICA_URLS`): reads made while answering a query go to one
         * of them; writes, and every read made while answering a mutation, go to the primary.
         */
        replicas?: MysqlEndpoint[];
        /** How long opening a connection may take, in ms (default 10 000). */
        connectTimeoutMs?: number;
        /**
         * How long one statement may wait for the server's answer, in ms (default 10 000); then
         * the statement fails as SERVICE_UNAVAILABLE and its connection is thrown away.
         */
        queryTimeoutMs?: number;
        /**
         * How many times in all a transaction is tried when it fails with a deadlock or a lock
         * wait timeout (default 4); then the request fails as SERVICE_UNAVAILABLE.
         */
        transactionAttempts?: number;
      });

/** Where one MySQL/MariaDB server is and how to log in. */
export interface MysqlEndpoint {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

export const DEFAULT_DATABASE_TIMEOUT_SECONDS = 10;

export interface AppConfig {
  port: number;
  host: string;
  nodeEnv: "development" | "production" | "test";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  database: DatabaseConfig;
  /** Apply pending migrations when the service starts. */
  migrationsRun: boolean;
  /** On SIGTERM/SIGINT, how long in-flight requests may take before connections are cut. */
  shutdownTimeoutSeconds: number;
  auth: AuthConfig;
  graphql: GraphqlConfig;
  statusCache: StatusCacheConfig;
}

/** The in-memory status lists and the responses computed from them (src/status-catalog). */
export interface StatusCacheConfig {
  /** Off: every request reads the status lists from the database. */
  enabled: boolean;
  /** How long a change made through another instance may stay unseen here, in ms. */
  refreshMs: number;
}

/** Limits and exposure of the GraphQL endpoint. */
export interface GraphqlConfig {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Schema introspection; when off, "Did you mean …" suggestions are not returned either. */
  introspection: boolean;
  /** The Apollo Sandbox landing page at GET /graphql. */
  sandbox: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
}

/** The defaults of the GraphQL limits; introspection and Sandbox are off in production. */
export function graphqlDefaults(nodeEnv: AppConfig["nodeEnv"]): GraphqlConfig {
  return {
    maxDepth: 12,
    maxAliases: 15,
    maxDirectives: 10,
    maxTokens: 2000,
    maxCost: 50000,
    introspection: nodeEnv !== "production",
    sandbox: nodeEnv !== "production",
    bodyLimitBytes: 1024 * 1024,
  };
}

export interface AuthConfig {
  /**
   * How long a verified API key is remembered by one instance, in seconds. Bounds how long a key
   * revoked through another instance keeps working here. 0: look the key up on every request.
   */
  apiKeyCacheSeconds: number;
  /** Optional JWT acceptance: an HS256 secret or an RS256/ES256 public key (PEM). */
  jwt?: {
    secret?: string;
    publicKey?: string;
    roleClaim: string;
    issuer?: string;
    audience?: string;
  };
}

export const DEFAULT_SQLITE_PATH = "data/statuses.db";

const NODE_ENVS = ["development", "production", "test"] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** How to set each variable right, for variables validated by envalid's built-in validators. */
const RULES: Record<string, string> = {
  PORT: "must be a whole number from 1 to 65535",
  HOST: "must be a host name or an IP address, e.g. 127.0.0.1 or 0.0.0.0",
  NODE_ENV: `must be one of ${NODE_ENVS.join(", ")}`,
  LOG_LEVEL: `must be one of ${LOG_LEVELS.join(", ")}`,
  MIGRATIONS_RUN: "must be true or false",
  API_KEY_CACHE_SECONDS: "must be a whole number of seconds from 0 to 60",
  GRAPHQL_INTROSPECTION: "must be true or false",
  GRAPHQL_SANDBOX: "must be true or false",
  STATUS_CACHE_ENABLED: "must be true or false",
  STATUS_CACHE_REFRESH_MS: "must be a whole number of milliseconds from 10 to 60000",
};

/** Database timeouts in whole seconds: variable → config key. */
const DATABASE_TIMEOUTS = {
  DATABASE_CONNECT_TIMEOUT_SECONDS: "connectTimeoutMs",
  DATABASE_QUERY_TIMEOUT_SECONDS: "queryTimeoutMs",
} as const;

/** Positive whole-number limits: variable → [config key, largest sensible value]. */
const LIMITS = {
  GRAPHQL_MAX_DEPTH: ["maxDepth", 100],
  GRAPHQL_MAX_ALIASES: ["maxAliases", 1000],
  GRAPHQL_MAX_DIRECTIVES: ["maxDirectives", 1000],
  GRAPHQL_MAX_TOKENS: ["maxTokens", 1_000_000],
  GRAPHQL_MAX_COST: ["maxCost", 10_000_000],
  HTTP_BODY_LIMIT_KB: ["bodyLimitBytes", 100 * 1024],
} as const;

const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;

/** A configuration problem; `lines` are ready to print, one per bad variable. */
export class ConfigError extends Error {
  constructor(public readonly lines: string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}

/**
 * Parses `DATABASE_URL`. Empty → the embedded SQLite file. Throws `EnvError` with a message that
 * names the problem and how to fix it.
 */
export function parseDatabaseUrl(raw: string, cwd = process.cwd()): DatabaseConfig {
  const value = raw.trim();
  if (value === "") return { kind: "sqlite", path: path.resolve(cwd, DEFAULT_SQLITE_PATH) };

  if (value.startsWith("sqlite:")) {
    let file = value.slice("sqlite:".length);
    if (file.startsWith("//")) file = file.slice(2); // also accept sqlite://path
    if (file === "")
      throw new EnvError('sqlite URL needs a file path, e.g. "sqlite:data/statuses.db"');
    if (file === ":memory:") return { kind: "sqlite", path: ":memory:" };
    return { kind: "sqlite", path: path.resolve(cwd, file) };
  }

  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== "mysql" && scheme !== "mariadb") {
    throw new EnvError(
      scheme
        ? `unsupported scheme "${scheme}" — use mysql://, mariadb://, sqlite:PATH, or leave unset for the embedded SQLite database`
        : `not a URL — use mysql://user:pass@host:3306/db, sqlite:PATH, or leave unset for the embedded SQLite database`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError(`not a valid URL — expected ${scheme}://user:pass@host:3306/database`);
  }
  const decode = (text: string, what: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new EnvError(
        `the ${what} is not valid percent-encoding (write special characters as %XX)`,
      );
    }
  };
  const database = decode(url.pathname.replace(/^\//, ""), "database name");
  if (!url.hostname)
    throw new EnvError(`missing host — expected ${scheme}://user:pass@host:3306/database`);
  if (!database || database.includes("/")) {
    throw new EnvError(`missing database name — expected ${scheme}://user:pass@host:3306/database`);
  }
  const portNumber = url.port ? Number(url.port) : 3306;
  return {
    kind: "mysql",
    flavour: scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: portNumber,
    username: decode(url.username || "root", "user name"),
    password: decode(url.password, "password"),
    database,
  };
}

const databaseUrl = makeValidator<DatabaseConfig>((input) => parseDatabaseUrl(input));

/**
 * Reads and validates the environment. Throws `ConfigError` listing every bad variable, one line
 * each (`NAME: problem`), and never echoes a value that might hold a password.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const lines: string[] = [];
  const parsed = cleanEnv(
    env,
    {
      PORT: port({ default: 4000, desc: "HTTP port" }),
      HOST: host({ default: "127.0.0.1", desc: "Interface to listen on" }),
      NODE_ENV: str({ choices: NODE_ENVS, default: "development" }),
      LOG_LEVEL: str({ choices: LOG_LEVELS, default: "info" }),
      DATABASE_URL: databaseUrl({ default: { kind: "sqlite", path: "" } }),
      DATABASE_REPLICA_URLS: str({ default: "" }),
      DATABASE_CONNECT_TIMEOUT_SECONDS: str({ default: "" }),
      DATABASE_QUERY_TIMEOUT_SECONDS: str({ default: "" }),
      MIGRATIONS_RUN: bool({ default: true }),
      API_KEY_CACHE_SECONDS: num({ default: 5 }),
      SHUTDOWN_TIMEOUT_SECONDS: str({ default: "" }),
      STATUS_CACHE_ENABLED: bool({ default: true }),
      STATUS_CACHE_REFRESH_MS: str({ default: "1000" }),
      JWT_SECRET: str({ default: "" }),
      JWT_PUBLIC_KEY: str({ default: "" }),
      JWT_ROLE_CLAIM: str({ default: "role" }),
      JWT_ISSUER: str({ default: "" }),
      JWT_AUDIENCE: str({ default: "" }),
      GRAPHQL_INTROSPECTION: str({ default: "" }),
      GRAPHQL_SANDBOX: str({ default: "" }),
      ...Object.fromEntries(Object.keys(LIMITS).map((name) => [name, str({ default: "" })])),
    },
    {
      reporter: ({ errors }) => {
        for (const [name, error] of Object.entries(errors)) {
          if (!error) continue;
          // Our own validators explain themselves; envalid's built-in messages are replaced by
          // the rule, so that a line never echoes a raw value (it might be a secret).
          const rule = RULES[name];
          lines.push(
            `${name}: ${rule ?? (error instanceof EnvError ? error.message : "invalid value")}`,
          );
        }
      },
    },
  );
  // envalid's result throws on reading a variable that failed validation: stop here first.
  if (lines.length > 0) throw new ConfigError(lines);
  const cacheSeconds = parsed.API_KEY_CACHE_SECONDS;
  if (!(Number.isInteger(cacheSeconds) && cacheSeconds >= 0 && cacheSeconds <= 60)) {
    lines.push(`API_KEY_CACHE_SECONDS: ${RULES.API_KEY_CACHE_SECONDS}`);
  }
  const refreshRaw = parsed.STATUS_CACHE_REFRESH_MS.trim();
  const refreshMs = /^[0-9]+$/.test(refreshRaw) ? Number(refreshRaw) : NaN;
  if (!(refreshMs >= 10 && refreshMs <= 60_000)) {
    lines.push(`STATUS_CACHE_REFRESH_MS: ${RULES.STATUS_CACHE_REFRESH_MS}`);
  }
  const jwtSecret = parsed.JWT_SECRET.trim();
  // PEM keys in one-line env values usually carry "\n" for line breaks.
  const jwtPublicKey = parsed.JWT_PUBLIC_KEY.replace(/\\n/g, "\n").trim();
  if (jwtSecret && jwtPublicKey) {
    lines.push(
      "JWT_SECRET: set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both",
    );
  } else if (jwtSecret && Buffer.byteLength(jwtSecret) < 32) {
    lines.push("JWT_SECRET: must be at least 32 bytes long (HS256 needs a strong shared secret)");
  } else if (jwtPublicKey && !jwtPublicKey.startsWith("-----BEGIN PUBLIC KEY-----")) {
    lines.push(
      'JWT_PUBLIC_KEY: must be a PEM public key starting with "-----BEGIN PUBLIC KEY-----"',
    );
  }
  const graphql = graphqlDefaults(parsed.NODE_ENV);
  // Empty means "the default for NODE_ENV" (so that .env.example can list them blank).
  for (const [name, key] of [
    ["GRAPHQL_INTROSPECTION", "introspection"],
    ["GRAPHQL_SANDBOX", "sandbox"],
  ] as const) {
    const raw = parsed[name].trim().toLowerCase();
    if (raw === "") continue;
    if (!/^(true|false|1|0|yes|no)$/.test(raw)) lines.push(`${name}: ${RULES[name]}`);
    else graphql[key] = ["true", "1", "yes"].includes(raw);
  }
  for (const [name, [key, max]] of Object.entries(LIMITS)) {
    const raw = String((parsed as Record<string, unknown>)[name] ?? "").trim();
    if (raw === "") continue;
    const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= 1 && value <= max)) {
      lines.push(`${name}: must be a whole number from 1 to ${max}`);
      continue;
    }
    graphql[key] = key === "bodyLimitBytes" ? value * 1024 : value;
  }
  const shutdownRaw = parsed.SHUTDOWN_TIMEOUT_SECONDS.trim();
  const shutdownTimeoutSeconds =
    shutdownRaw === ""
      ? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS
      : /^[0-9]+$/.test(shutdownRaw)
        ? Number(shutdownRaw)
        : NaN;
  if (!(shutdownTimeoutSeconds >= 1 && shutdownTimeoutSeconds <= 600)) {
    lines.push("SHUTDOWN_TIMEOUT_SECONDS: must be a whole number of seconds from 1 to 600");
  }
  const database =
    parsed.DATABASE_URL.kind === "sqlite" && parsed.DATABASE_URL.path === ""
      ? parseDatabaseUrl("")
      : parsed.DATABASE_URL;
  if (database.kind === "mysql") {
    for (const [name, key] of Object.entries(DATABASE_TIMEOUTS)) {
      const raw = String((parsed as Record<string, unknown>)[name] ?? "").trim();
      const seconds =
        raw === "" ? DEFAULT_DATABASE_TIMEOUT_SECONDS : /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
      if (!(seconds >= 1 && seconds <= 3600)) {
        lines.push(`${name}: must be a whole number of seconds from 1 to 3600`);
      } else database[key] = seconds * 1000;
    }
  }
  const replicaUrls = parsed.DATABASE_REPLICA_URLS.split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  if (replicaUrls.length > 0) {
    if (database.kind !== "mysql") {
      lines.push(
        "DATABASE_REPLICA_URLS: read replicas need a MySQL/MariaDB primary in DATABASE_URL",
      );
    } else {
      database.replicas = [];
      replicaUrls.forEach((url, index) => {
        try {
          const replica = parseDatabaseUrl(url);
          if (replica.kind !== "mysql") throw new EnvError("must be a mysql:// or mariadb:// URL");
          const { host, port, username, password, database: name } = replica;
          database.replicas?.push({ host, port, username, password, database: name });
        } catch (error) {
          lines.push(
            `DATABASE_REPLICA_URLS: replica ${index + 1}: ${error instanceof EnvError ? error.message : "invalid URL"}`,
          );
        }
      });
    }
  }
  if (lines.length > 0) throw new ConfigError(lines);

  return {
    port: parsed.PORT,
    host: parsed.HOST,
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    database,
    migrationsRun: parsed.MIGRATIONS_RUN,
    shutdownTimeoutSeconds,
    auth: {
      apiKeyCacheSeconds: cacheSeconds,
      jwt:
        jwtSecret || jwtPublicKey
          ? {
              secret: jwtSecret || undefined,
              publicKey: jwtPublicKey || undefined,
              roleClaim: parsed.JWT_ROLE_CLAIM.trim() || "role",
              issuer: parsed.JWT_ISSUER.trim() || undefined,
              audience: parsed.JWT_AUDIENCE.trim() || undefined,
            }
          : undefined,
    },
    graphql,
    statusCache: { enabled: parsed.STATUS_CACHE_ENABLED, refreshMs },
  };
}

/** A printable description of the database target, without credentials. */
export function describeDatabase(db: DatabaseConfig): string {
  return db.kind === "sqlite"
    ? `SQLite ${db.path}`
    : `${db.flavour === "mariadb" ? "MariaDB" : "MySQL"} ${db.host}:${db.port}/${db.database}`;
}
