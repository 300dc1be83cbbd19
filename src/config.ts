import { InjectionToken } from "./common/container";
import { phoneRegion } from "./common/phone";
import path from "node:path";
import { bool, cleanEnv, EnvError, host, makeExactValidator, str } from "envalid";

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
         * How many times a transaction that failed on a deadlock or lock conflict is tried in all
         * before the client gets SERVICE_UNAVAILABLE (default 6).
         */
        transactionAttempts?: number;
        /**
         * On a Galera cluster (found when connecting): every read first waits until its node has
         * applied every write committed anywhere in the cluster before it (`wsrep_sync_wait = 1`),
         * so that nothing written through one node is missed by a read through another. Default
         * true; ignored on a single server.
         */
        causalReads?: boolean;
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
/** Tries of a transaction in all (the first and its retries on a deadlock) unless configured. */
export const DEFAULT_TRANSACTION_ATTEMPTS = 6;

const NODE_ENVS = ["development", "production", "test"] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface AppConfig {
  port: number;
  host: string;
  nodeEnv: (typeof NODE_ENVS)[number];
  logLevel: (typeof LOG_LEVELS)[number];
  database: DatabaseConfig;
  /** Apply pending migrations when the service starts. */
  migrationsRun: boolean;
  /** On SIGTERM/SIGINT, how long in-flight requests may take before connections are cut. */
  shutdownTimeoutSeconds: number;
  http: HttpTimeouts;
  auth: AuthConfig;
  graphql: GraphqlConfig;
  statusCache: StatusCacheConfig;
  leads: LeadsConfig;
  cors: CorsConfig;
  changes: ChangesConfig;
  subscriptions: SubscriptionsConfig;
  events: EventsConfig;
  webhooks: WebhooksConfig;
}

/** Webhook deliveries (src/webhooks). */
export interface WebhooksConfig {
  /**
   * `WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`: endpoints may be on loopback, private, link-local or
   * other reserved addresses. For tests and development only; default false.
   */
  allowPrivateAddresses: boolean;
  /** How long one attempt may take, connecting included (ms). */
  timeoutMs: number;
  /** The wait before the first retry (ms); doubled for each next one. */
  firstRetryDelayMs: number;
  /** The longest wait between two attempts (ms). */
  maxRetryDelayMs: number;
  /** How long after its first attempt a failing delivery is still tried (ms). */
  retryForMs: number;
  /** Deliveries failed for good one after another after which an endpoint is turned off. */
  disableAfterFailures: number;
  /** Attempts one instance makes at once. */
  concurrency: number;
  /**
   * `WEBHOOKS_SECRET_KEY`: 32 bytes (base64 or hex) under which endpoints' signing secrets are
   * stored sealed (AES-256-GCM). Unset: stored as they are.
   */
  secretKey?: Buffer;
}

/** The defaults of WEBHOOKS_*, in ms where a time. */
export const webhookDefaults: Omit<WebhooksConfig, "allowPrivateAddresses" | "secretKey"> = {
  timeoutMs: 10_000,
  firstRetryDelayMs: 5_000,
  maxRetryDelayMs: 2 * 3600_000,
  retryForMs: 24 * 3600_000,
  disableAfterFailures: 5,
  concurrency: 16,
};

/** How committed changes travel between the instances of the service (src/events). */
export interface EventsConfig {
  /**
   * `REDIS_URL`: the Redis server whose pub/sub carries the announcements to every instance.
   * Unset: the in-process bus (one instance only).
   */
  redisUrl?: string;
  /**
   * `REDIS_CHANNEL_PREFIX`: put before every channel name, so that deployments (or test runs)
   * sharing one Redis server do not hear each other (pub/sub channels ignore the database
   * number). Unset: none.
   */
  channelPrefix?: string;
}

/** Where one Redis server is and how to log in, parsed from `REDIS_URL`. */
export interface RedisEndpoint {
  host: string;
  port: number;
  /** A Redis 6 ACL user; absent: the default user. */
  username?: string;
  password?: string;
  /** The database number (SELECT); pub/sub channels are the same in every database. */
  db: number;
  /** `rediss://`: TLS. */
  tls: boolean;
}

/** Live subscriptions (GraphQL over WebSocket and server-sent events). */
export interface SubscriptionsConfig {
  /** Subscriptions one connection may hold at once. */
  maxPerConnection: number;
  /** Subscriptions one credential may hold at once on one instance. */
  maxPerCredential: number;
  /** How long a new connection may take to authenticate (`connection_init`), in ms. */
  connectionInitTimeoutMs: number;
}

/** The account change log (src/changes). */
export interface ChangesConfig {
  /** How long entries are kept: older ones are deleted about once an hour. */
  retentionDays: number;
}

/** Which web pages may call the API from a browser (CORS). */
export interface CorsConfig {
  /**
   * `*`: any origin (the API's credentials are headers, never cookies). Otherwise exactly these
   * origins, serialized as browsers send them (`https://app.example.com`, `http://localhost:5173`);
   * any other gets no CORS headers.
   */
  origins: "*" | string[];
}

/** Leads. */
export interface LeadsConfig {
  /**
   * Where a phone number written without a country code is (ISO 3166 alpha-2, e.g. `GB`); unset:
   * such numbers have no E.164 form and the `phone` filter needs the country code.
   */
  phoneRegion?: string;
}

/** The in-memory status lists and the responses computed from them (src/status-catalog). */
export interface StatusCacheConfig {
  /** Off: every request reads the status lists from the database. */
  enabled: boolean;
  /** How long a change made through another instance may stay unseen here, in ms. */
  refreshMs: number;
  /** How many accounts' lists one instance holds in memory at most (least recently used go). */
  maxAccounts: number;
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

/**
 * How long a client may take, so that slow or idle clients cannot hold connections (and the
 * service's memory) for as long as they like.
 */
export interface HttpTimeouts {
  /** From the connection's first byte to the end of the request headers. */
  headersTimeoutMs: number;
  /** From the first byte to the end of the whole request (headers and body). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
}

/** The defaults of the HTTP timeouts. */
export const httpTimeoutDefaults: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Longer than the idle timeout of common load balancers (60 s), which must close first.
  keepAliveTimeoutMs: 65_000,
};

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
    /** The claim that holds the caller's account code (none: the default account). */
    accountClaim: string;
    issuer?: string;
    audience?: string;
    /** The longest lifetime a token may have: `exp` at most this long after `iat`. */
    maxAgeSeconds: number;
    /**
     * Accept tokens whose role is PLATFORM (the platform operator, who acts across accounts).
     * Absent or false: such a token is refused with 401.
     */
    allowPlatformRole?: boolean;
  };
}

export const DEFAULT_SQLITE_PATH = "data/statuses.db";

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
  const expected = `expected ${scheme}://user:pass@host:3306/database`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError(`not a valid URL — ${expected}`);
  }
  const database = decode(url.pathname.replace(/^\//, ""), "database name");
  if (!url.hostname) throw new EnvError(`missing host — ${expected}`);
  if (!database || database.includes("/"))
    throw new EnvError(`missing database name — ${expected}`);
  return {
    kind: "mysql",
    flavour: scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : 3306,
    username: decode(url.username || "root", "user name"),
    password: decode(url.password, "password"),
    database,
  };
}

/**
 * Parses `REDIS_URL`: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
 * Throws `EnvError` with a message that never quotes the value (it may hold a password).
 */
export function parseRedisUrl(value: string): RedisEndpoint {
  // Only a scheme followed by "//" is named: in "host:6379" or "user:pw@host" the text before
  // the colon is no scheme, and may be part of a password.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== "redis" && scheme !== "rediss") {
    throw new EnvError(
      scheme
        ? `unsupported scheme "${scheme}" — use redis:// or rediss:// (TLS), or leave unset for the in-process bus (one instance)`
        : "not a URL — use redis://host:6379, redis://:password@host:6379/0, or leave unset for the in-process bus (one instance)",
    );
  }
  const expected = `expected ${scheme}://[:password@]host[:6379][/db]`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError(`not a valid URL — ${expected}`);
  }
  if (!url.hostname) throw new EnvError(`missing host — ${expected}`);
  if (url.search || url.hash) throw new EnvError(`no query or fragment allowed — ${expected}`);
  const port = url.port ? Number(url.port) : 6379;
  if (port < 1 || port > 65535) throw new EnvError(`the port must be 1–65535 — ${expected}`);
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^[0-9]{1,5}$/.test(dbText)) {
    throw new EnvError(`the database after the host must be a number, e.g. /0 — ${expected}`);
  }
  const username = decode(url.username, "user name");
  const password = decode(url.password, "password");
  if (username && !password) {
    throw new EnvError(
      `a user name needs a password — write ${scheme}://user:password@host, or ${scheme}://:password@host for the default user`,
    );
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    ...(username && { username }),
    ...(password && { password }),
    db: dbText === "" ? 0 : Number(dbText),
    tls: scheme === "rediss",
  };
}

/** A printable description of a Redis server, without credentials. */
export function describeRedis(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `Redis ${host}:${endpoint.port}/${endpoint.db}${endpoint.tls ? " (TLS)" : ""}`;
}

/**
 * A validator whose one complaint, `problem`, says what a valid value is: envalid's own messages
 * quote the value, which may be a secret. `read` returns undefined, or throws, for a bad value.
 */
function rule<T>(problem: string, read: (value: string) => T | undefined) {
  return makeExactValidator<T>((value) => {
    try {
      const result = read(value);
      if (result !== undefined) return result;
    } catch {
      // Worded as `problem`.
    }
    throw new EnvError(problem);
  });
}

/** Digits only: `Number()` would also take signs, fractions, exponents and hex. */
function wholeNumber({ min, max, unit }: { min: number; max: number; unit?: string }) {
  const of = unit ? ` of ${unit}` : "";
  return rule(`must be a whole number${of} from ${min} to ${max}`, (value) => {
    const number = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    return number >= min && number <= max ? number : undefined;
  });
}

function oneOf<T extends string>(choices: readonly T[]) {
  return rule(`must be one of ${choices.join(", ")}`, (value) => choices.find((c) => c === value));
}

/** envalid's spellings (true/false, yes/no, on/off, t/f, 1/0), in any case. */
const flag = rule("must be true or false", (value) => bool()._parse(value.toLowerCase()));

const countryCode = rule("must be a two-letter country code (ISO 3166), e.g. GB or US", (value) =>
  phoneRegion(value),
);

const hostName = rule(
  "must be a host name or an IP address, e.g. 127.0.0.1 or 0.0.0.0",
  host()._parse,
);

/** A percent-encoded part of a URL (user, password, database), decoded; bad encoding is named. */
function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new EnvError(
      `the ${what} is not valid percent-encoding (write special characters as %XX)`,
    );
  }
}

const databaseSeconds = wholeNumber({ min: 1, max: 3600, unit: "seconds" });
const databaseTimeout = databaseSeconds({ default: DEFAULT_DATABASE_TIMEOUT_SECONDS });

/** A short HS256 secret can be guessed offline from any one token signed with it. */
const jwtSecret = rule(
  "must be at least 32 bytes long (HS256 needs a strong shared secret)",
  (value) => (Buffer.byteLength(value) >= 32 ? value : undefined),
);

/** One-line values carry the key's line breaks as "\n". */
const pemPublicKey = rule(
  'must be a PEM public key starting with "-----BEGIN PUBLIC KEY-----"',
  (value) => {
    const pem = value.replace(/\\n/g, "\n").trim();
    return pem.startsWith("-----BEGIN PUBLIC KEY-----") ? pem : undefined;
  },
);

/** 32 bytes, as 64 hex digits or 44 characters of base64. */
const secretKey = makeExactValidator<Buffer>((value) => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, "hex")
    : /^[A-Za-z0-9+/]{43}=$/.test(value)
      ? Buffer.from(value, "base64")
      : undefined;
  if (bytes?.length !== 32) {
    throw new EnvError(
      "must be 32 random bytes, as 64 hex digits or 44 characters of base64 (openssl rand -base64 32)",
    );
  }
  return bytes;
});

const databaseUrl = makeExactValidator((value) => parseDatabaseUrl(value));

/** Kept as written (the bus parses it again with `parseRedisUrl`), once it is known to be valid. */
const redisUrl = makeExactValidator<string>((value) => {
  parseRedisUrl(value);
  return value;
});

const channelPrefix = rule(
  "must be 1 to 64 letters, digits or . _ : - (e.g. prod: or statuses.eu:)",
  (value) => (/^[A-Za-z0-9._:-]{1,64}$/.test(value) ? value : undefined),
);

/**
 * One origin of CORS_ORIGINS: `http(s)://host[:port]`, nothing more (no path, not even `/`, no
 * query, no user). Returned as a browser serializes it (lower-case host, no default port), which
 * is what the `Origin` header is compared with.
 */
function parseOrigin(text: string): string {
  const problem =
    "must be an origin, scheme://host[:port] with http or https, e.g. https://app.example.com (no path, no trailing slash)";
  if (!/^https?:\/\/[^/?#@\s]+$/i.test(text)) throw new EnvError(problem);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnvError(problem);
  }
  if (!url.hostname) throw new EnvError(problem);
  return url.origin;
}

/** `*`, or comma-separated origins; a bad one is named by its place, as the replicas are. */
const corsOrigins = makeExactValidator<"*" | string[]>((value) => {
  if (value === "*") return "*";
  const entries = value.split(/\s*,\s*/).filter((entry) => entry !== "");
  if (entries.includes("*")) {
    throw new EnvError("* stands alone (any origin): give either * or a list of origins");
  }
  if (entries.length === 0) throw new EnvError("must be * or a comma-separated list of origins");
  const problems: string[] = [];
  const origins = entries.flatMap((entry, index) => {
    try {
      return [parseOrigin(entry)];
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems.push(`origin ${index + 1}: ${error.message}`);
      return [];
    }
  });
  if (problems.length > 0) throw new EnvError(problems.join("; "));
  return [...new Set(origins)];
});

/** Comma-separated, each like DATABASE_URL; a bad one is named by its place, not its text. */
const replicaUrls = makeExactValidator<MysqlEndpoint[]>((value) => {
  const problems: string[] = [];
  const urls = value.split(/\s*,\s*/).filter((url) => url !== "");
  const replicas = urls.flatMap((url, index) => {
    try {
      const replica = parseDatabaseUrl(url);
      if (replica.kind !== "mysql") throw new EnvError("must be a mysql:// or mariadb:// URL");
      const { host, port, username, password, database } = replica;
      return [{ host, port, username, password, database }];
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems.push(`replica ${index + 1}: ${error.message}`);
      return [];
    }
  });
  if (problems.length > 0) throw new EnvError(problems.join("; "));
  return replicas;
});

/**
 * Reads and validates the environment. Throws `ConfigError` listing every bad variable, one line
 * each (`NAME: problem`), and never echoes a value that might hold a password.
 */
export function loadConfig(input: NodeJS.ProcessEnv = process.env): AppConfig {
  // A blank value means the default, so that .env.example can list every variable — except
  // NODE_ENV: a blank one in production must not quietly turn on development's introspection.
  const given = Object.fromEntries(
    Object.entries(input).flatMap(([name, value]) =>
      value?.trim() || (name === "NODE_ENV" && value !== undefined) ? [[name, value.trim()]] : [],
    ),
  );
  const problems = new Map<string, string>();
  const env = cleanEnv(
    given,
    {
      PORT: wholeNumber({ min: 1, max: 65535 })({ default: 4000 }),
      HOST: hostName({ default: "127.0.0.1" }),
      NODE_ENV: oneOf(NODE_ENVS)({ default: "development" }),
      LOG_LEVEL: oneOf(LOG_LEVELS)({ default: "info" }),
      DATABASE_URL: databaseUrl({ default: parseDatabaseUrl("") }),
      DATABASE_REPLICA_URLS: replicaUrls({ default: [] }),
      DATABASE_CONNECT_TIMEOUT_SECONDS: databaseTimeout,
      DATABASE_QUERY_TIMEOUT_SECONDS: databaseTimeout,
      DATABASE_TRANSACTION_ATTEMPTS: wholeNumber({ min: 1, max: 10 })({
        default: DEFAULT_TRANSACTION_ATTEMPTS,
      }),
      DATABASE_CAUSAL_READS: flag({ default: true }),
      MIGRATIONS_RUN: flag({ default: true }),
      SHUTDOWN_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 600, unit: "seconds" })({ default: 10 }),
      HTTP_HEADERS_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 300, unit: "seconds" })({
        default: httpTimeoutDefaults.headersTimeoutMs / 1000,
      }),
      HTTP_REQUEST_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 3600, unit: "seconds" })({
        default: httpTimeoutDefaults.requestTimeoutMs / 1000,
      }),
      HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 3600, unit: "seconds" })({
        default: httpTimeoutDefaults.keepAliveTimeoutMs / 1000,
      }),
      API_KEY_CACHE_SECONDS: wholeNumber({ min: 0, max: 60, unit: "seconds" })({ default: 5 }),
      STATUS_CACHE_ENABLED: flag({ default: true }),
      STATUS_CACHE_REFRESH_MS: wholeNumber({ min: 10, max: 60_000, unit: "milliseconds" })({
        default: 1000,
      }),
      STATUS_CACHE_MAX_ACCOUNTS: wholeNumber({ min: 1, max: 1_000_000 })({ default: 1000 }),
      JWT_SECRET: jwtSecret({ default: undefined }),
      JWT_PUBLIC_KEY: pemPublicKey({ default: undefined }),
      JWT_ROLE_CLAIM: str({ default: "role" }),
      JWT_ACCOUNT_CLAIM: str({ default: "account" }),
      JWT_ISSUER: str({ default: undefined }),
      JWT_AUDIENCE: str({ default: undefined }),
      PHONE_DEFAULT_REGION: countryCode({ default: undefined }),
      JWT_MAX_AGE_SECONDS: wholeNumber({ min: 60, max: 604_800, unit: "seconds" })({
        default: 3600,
      }),
      JWT_ALLOW_PLATFORM_ROLE: flag({ default: false }),
      // Unset: the GraphQL defaults, some of which depend on NODE_ENV.
      GRAPHQL_INTROSPECTION: flag({ default: undefined }),
      GRAPHQL_SANDBOX: flag({ default: undefined }),
      GRAPHQL_MAX_DEPTH: wholeNumber({ min: 1, max: 100 })({ default: undefined }),
      GRAPHQL_MAX_ALIASES: wholeNumber({ min: 1, max: 1000 })({ default: undefined }),
      GRAPHQL_MAX_DIRECTIVES: wholeNumber({ min: 1, max: 1000 })({ default: undefined }),
      GRAPHQL_MAX_TOKENS: wholeNumber({ min: 1, max: 1_000_000 })({ default: undefined }),
      GRAPHQL_MAX_COST: wholeNumber({ min: 1, max: 10_000_000 })({ default: undefined }),
      HTTP_BODY_LIMIT_KB: wholeNumber({ min: 1, max: 100 * 1024 })({ default: undefined }),
      CORS_ORIGINS: corsOrigins({ default: "*" }),
      CHANGE_LOG_RETENTION_DAYS: wholeNumber({ min: 1, max: 3650, unit: "days" })({
        default: 7,
      }),
      SUBSCRIPTIONS_MAX_PER_CONNECTION: wholeNumber({ min: 1, max: 1000 })({ default: 20 }),
      SUBSCRIPTIONS_MAX_PER_CREDENTIAL: wholeNumber({ min: 1, max: 1_000_000 })({
        default: 200,
      }),
      WS_CONNECTION_INIT_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 300, unit: "seconds" })({
        default: 10,
      }),
      REDIS_URL: redisUrl({ default: undefined }),
      REDIS_CHANNEL_PREFIX: channelPrefix({ default: undefined }),
      WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: flag({ default: false }),
      WEBHOOKS_TIMEOUT_SECONDS: wholeNumber({ min: 1, max: 60, unit: "seconds" })({
        default: webhookDefaults.timeoutMs / 1000,
      }),
      WEBHOOKS_RETRY_HOURS: wholeNumber({ min: 1, max: 72, unit: "hours" })({
        default: webhookDefaults.retryForMs / 3600_000,
      }),
      WEBHOOKS_DISABLE_AFTER_FAILURES: wholeNumber({ min: 1, max: 1000 })({
        default: webhookDefaults.disableAfterFailures,
      }),
      WEBHOOKS_CONCURRENCY: wholeNumber({ min: 1, max: 256 })({
        default: webhookDefaults.concurrency,
      }),
      WEBHOOKS_SECRET_KEY: secretKey({ default: undefined }),
    },
    {
      reporter: ({ errors }) => {
        for (const [name, error] of Object.entries(errors)) {
          // Ours are worded not to quote the value; anything else might.
          problems.set(name, error instanceof EnvError ? error.message : "invalid value");
        }
      },
    },
  );

  // Reading a variable that failed validation throws: these checks read only those that passed.
  if (!problems.has("DATABASE_URL") && env.DATABASE_URL.kind === "sqlite") {
    // MySQL/MariaDB-only settings: SQLite never reads them.
    problems.delete("DATABASE_CONNECT_TIMEOUT_SECONDS");
    problems.delete("DATABASE_QUERY_TIMEOUT_SECONDS");
    problems.delete("DATABASE_TRANSACTION_ATTEMPTS");
    problems.delete("DATABASE_CAUSAL_READS");
    if (problems.has("DATABASE_REPLICA_URLS") || env.DATABASE_REPLICA_URLS.length > 0) {
      const problem = "read replicas need a MySQL/MariaDB primary in DATABASE_URL";
      problems.set("DATABASE_REPLICA_URLS", problem);
    }
  }
  if (
    !problems.has("HTTP_HEADERS_TIMEOUT_SECONDS") &&
    !problems.has("HTTP_REQUEST_TIMEOUT_SECONDS") &&
    env.HTTP_HEADERS_TIMEOUT_SECONDS > env.HTTP_REQUEST_TIMEOUT_SECONDS
  ) {
    const problem = "must not be longer than HTTP_REQUEST_TIMEOUT_SECONDS (the whole request)";
    problems.set("HTTP_HEADERS_TIMEOUT_SECONDS", problem);
  }
  if (given.JWT_SECRET && given.JWT_PUBLIC_KEY) {
    const problem = "set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both";
    problems.set("JWT_SECRET", problem);
  }
  if (problems.size > 0) {
    throw new ConfigError([...problems].map(([name, problem]) => `${name}: ${problem}`));
  }

  const graphql = graphqlDefaults(env.NODE_ENV);
  return {
    port: env.PORT,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    database:
      env.DATABASE_URL.kind === "sqlite"
        ? env.DATABASE_URL
        : {
            ...env.DATABASE_URL,
            ...(env.DATABASE_REPLICA_URLS.length > 0 && { replicas: env.DATABASE_REPLICA_URLS }),
            connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
            queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_SECONDS * 1000,
            transactionAttempts: env.DATABASE_TRANSACTION_ATTEMPTS,
            causalReads: env.DATABASE_CAUSAL_READS,
          },
    migrationsRun: env.MIGRATIONS_RUN,
    shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS,
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    },
    auth: {
      apiKeyCacheSeconds: env.API_KEY_CACHE_SECONDS,
      jwt:
        env.JWT_SECRET || env.JWT_PUBLIC_KEY
          ? {
              secret: env.JWT_SECRET,
              publicKey: env.JWT_PUBLIC_KEY,
              roleClaim: env.JWT_ROLE_CLAIM,
              accountClaim: env.JWT_ACCOUNT_CLAIM,
              issuer: env.JWT_ISSUER,
              audience: env.JWT_AUDIENCE,
              maxAgeSeconds: env.JWT_MAX_AGE_SECONDS,
              allowPlatformRole: env.JWT_ALLOW_PLATFORM_ROLE,
            }
          : undefined,
    },
    graphql: {
      maxDepth: env.GRAPHQL_MAX_DEPTH ?? graphql.maxDepth,
      maxAliases: env.GRAPHQL_MAX_ALIASES ?? graphql.maxAliases,
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES ?? graphql.maxDirectives,
      maxTokens: env.GRAPHQL_MAX_TOKENS ?? graphql.maxTokens,
      maxCost: env.GRAPHQL_MAX_COST ?? graphql.maxCost,
      introspection: env.GRAPHQL_INTROSPECTION ?? graphql.introspection,
      sandbox: env.GRAPHQL_SANDBOX ?? graphql.sandbox,
      bodyLimitBytes: (env.HTTP_BODY_LIMIT_KB ?? graphql.bodyLimitBytes / 1024) * 1024,
    },
    statusCache: {
      enabled: env.STATUS_CACHE_ENABLED,
      refreshMs: env.STATUS_CACHE_REFRESH_MS,
      maxAccounts: env.STATUS_CACHE_MAX_ACCOUNTS,
    },
    leads: { phoneRegion: env.PHONE_DEFAULT_REGION },
    cors: { origins: env.CORS_ORIGINS },
    changes: { retentionDays: env.CHANGE_LOG_RETENTION_DAYS },
    subscriptions: {
      maxPerConnection: env.SUBSCRIPTIONS_MAX_PER_CONNECTION,
      maxPerCredential: env.SUBSCRIPTIONS_MAX_PER_CREDENTIAL,
      connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_SECONDS * 1000,
    },
    events: { redisUrl: env.REDIS_URL, channelPrefix: env.REDIS_CHANNEL_PREFIX },
    webhooks: {
      ...webhookDefaults,
      allowPrivateAddresses: env.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
      timeoutMs: env.WEBHOOKS_TIMEOUT_SECONDS * 1000,
      retryForMs: env.WEBHOOKS_RETRY_HOURS * 3600_000,
      disableAfterFailures: env.WEBHOOKS_DISABLE_AFTER_FAILURES,
      concurrency: env.WEBHOOKS_CONCURRENCY,
      secretKey: env.WEBHOOKS_SECRET_KEY,
    },
  };
}

/** A printable description of the database target, without credentials. */
export function describeDatabase(db: DatabaseConfig): string {
  return db.kind === "sqlite"
    ? `SQLite ${db.path}`
    : `${db.flavour === "mariadb" ? "MariaDB" : "MySQL"} ${db.host}:${db.port}/${db.database}`;
}

/** The app's configuration, as the feature modules' factories read it. */
export const APP_CONFIG = new InjectionToken<AppConfig>("config");
