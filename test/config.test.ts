import path from "node:path";
import * as envalid from "envalid";
import {
  ConfigError,
  describeRedis,
  graphqlDefaults,
  loadConfig,
  parseDatabaseUrl,
  parseRedisUrl,
} from "../src/config";

// The real envalid, with its cleanEnv watched: its second argument is the exact list of the
// variables loadConfig reads, with their envalid defaults (docs/CONFIGURATION.md is checked
// against it below).
jest.mock("envalid", () => {
  const actual = jest.requireActual<typeof import("envalid")>("envalid");
  return { ...actual, cleanEnv: jest.fn(actual.cleanEnv) };
});

/** Runs `loadConfig(env)`, expecting it to throw a `ConfigError`, and returns that error. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

/** The single line of the `ConfigError` for `env`, asserting it names `variable`. */
function onlyLine(env: NodeJS.ProcessEnv, variable: string): string {
  const error = configError(env);
  expect(error.lines).toHaveLength(1);
  const [line] = error.lines;
  expect(line.startsWith(`${variable}: `)).toBe(true);
  expect(line).not.toContain("\n");
  expect(error.message).toBe(line);
  return line;
}

describe("loadConfig defaults", () => {
  it("uses PORT 4000, HOST 127.0.0.1, development, info, migrations on, SQLite under ./data", () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: "127.0.0.1",
      nodeEnv: "development",
      logLevel: "info",
      migrationsRun: true,
      shutdownTimeoutSeconds: 10,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 },
      database: { kind: "sqlite", path: path.resolve(process.cwd(), "data/statuses.db") },
      auth: { apiKeyCacheSeconds: 5, jwt: undefined },
      graphql: graphqlDefaults("development"),
      statusCache: { enabled: true, refreshMs: 1000, maxAccounts: 1000 },
      leads: { phoneRegion: undefined },
      cors: { origins: "*" },
      changes: { retentionDays: 7 },
      subscriptions: {
        maxPerConnection: 20,
        maxPerCredential: 200,
        connectionInitTimeoutMs: 10_000,
      },
      events: { redisUrl: undefined, channelPrefix: undefined },
      webhooks: {
        allowPrivateAddresses: false,
        timeoutMs: 10_000,
        firstRetryDelayMs: 5000,
        maxRetryDelayMs: 2 * 3600_000,
        retryForMs: 24 * 3600_000,
        disableAfterFailures: 5,
        concurrency: 16,
      },
    });
  });

  it("treats an empty DATABASE_URL like an unset one", () => {
    expect(loadConfig({ DATABASE_URL: "" }).database).toEqual({
      kind: "sqlite",
      path: path.resolve(process.cwd(), "data/statuses.db"),
    });
  });

  it("reads every variable when given", () => {
    expect(
      loadConfig({
        PORT: "8080",
        HOST: "0.0.0.0",
        NODE_ENV: "production",
        LOG_LEVEL: "debug",
        MIGRATIONS_RUN: "false",
        DATABASE_URL: "sqlite::memory:",
        API_KEY_CACHE_SECONDS: "0",
        JWT_SECRET: "s".repeat(32),
        JWT_ROLE_CLAIM: "https://example.com/role",
        JWT_ISSUER: "https://auth.example.com/",
        JWT_AUDIENCE: "statuses",
        STATUS_CACHE_ENABLED: "false",
        STATUS_CACHE_REFRESH_MS: "250",
        STATUS_CACHE_MAX_ACCOUNTS: "50",
        JWT_ACCOUNT_CLAIM: "tenant",
        JWT_MAX_AGE_SECONDS: "900",
        JWT_ALLOW_PLATFORM_ROLE: "true",
        HTTP_HEADERS_TIMEOUT_SECONDS: "5",
        HTTP_REQUEST_TIMEOUT_SECONDS: "20",
        HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "75",
        PHONE_DEFAULT_REGION: "de",
        CORS_ORIGINS: "https://app.example.com",
        CHANGE_LOG_RETENTION_DAYS: "30",
        SUBSCRIPTIONS_MAX_PER_CONNECTION: "5",
        SUBSCRIPTIONS_MAX_PER_CREDENTIAL: "50",
        WS_CONNECTION_INIT_TIMEOUT_SECONDS: "3",
        REDIS_URL: "redis://:s3cret@cache.example:6380/2",
        REDIS_CHANNEL_PREFIX: "prod:",
        WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: "true",
        WEBHOOKS_TIMEOUT_SECONDS: "3",
        WEBHOOKS_RETRY_HOURS: "48",
        WEBHOOKS_DISABLE_AFTER_FAILURES: "20",
        WEBHOOKS_CONCURRENCY: "4",
        WEBHOOKS_SECRET_KEY: "ab".repeat(32),
      }),
    ).toEqual({
      port: 8080,
      host: "0.0.0.0",
      nodeEnv: "production",
      logLevel: "debug",
      migrationsRun: false,
      shutdownTimeoutSeconds: 10,
      http: { headersTimeoutMs: 5000, requestTimeoutMs: 20_000, keepAliveTimeoutMs: 75_000 },
      database: { kind: "sqlite", path: ":memory:" },
      auth: {
        apiKeyCacheSeconds: 0,
        jwt: {
          secret: "s".repeat(32),
          publicKey: undefined,
          roleClaim: "https://example.com/role",
          accountClaim: "tenant",
          issuer: "https://auth.example.com/",
          audience: "statuses",
          maxAgeSeconds: 900,
          allowPlatformRole: true,
        },
      },
      graphql: { ...graphqlDefaults("production"), introspection: false, sandbox: false },
      statusCache: { enabled: false, refreshMs: 250, maxAccounts: 50 },
      leads: { phoneRegion: "DE" },
      cors: { origins: ["https://app.example.com"] },
      changes: { retentionDays: 30 },
      subscriptions: { maxPerConnection: 5, maxPerCredential: 50, connectionInitTimeoutMs: 3000 },
      events: { redisUrl: "redis://:s3cret@cache.example:6380/2", channelPrefix: "prod:" },
      webhooks: {
        allowPrivateAddresses: true,
        timeoutMs: 3000,
        firstRetryDelayMs: 5000,
        maxRetryDelayMs: 2 * 3600_000,
        retryForMs: 48 * 3600_000,
        disableAfterFailures: 20,
        concurrency: 4,
        secretKey: Buffer.alloc(32, 0xab),
      },
    });
  });
});

describe("DATABASE_URL parsing", () => {
  it("resolves a relative sqlite: path against the working directory", () => {
    expect(loadConfig({ DATABASE_URL: "sqlite:data/x.db" }).database).toEqual({
      kind: "sqlite",
      path: path.resolve(process.cwd(), "data/x.db"),
    });
    expect(parseDatabaseUrl("sqlite:data/x.db", "/srv/app")).toEqual({
      kind: "sqlite",
      path: path.resolve("/srv/app", "data/x.db"),
    });
  });

  it("also accepts sqlite://PATH and absolute paths", () => {
    expect(parseDatabaseUrl("sqlite://data/x.db", "/srv/app")).toEqual({
      kind: "sqlite",
      path: path.resolve("/srv/app", "data/x.db"),
    });
    expect(parseDatabaseUrl("sqlite:/var/lib/x.db", "/srv/app")).toEqual({
      kind: "sqlite",
      path: "/var/lib/x.db",
    });
  });

  it("uses an empty value as the default SQLite file under <cwd>/data", () => {
    expect(parseDatabaseUrl("", "/srv/app")).toEqual({
      kind: "sqlite",
      path: path.resolve("/srv/app", "data/statuses.db"),
    });
  });

  it("keeps sqlite::memory: in memory", () => {
    expect(parseDatabaseUrl("sqlite::memory:")).toEqual({ kind: "sqlite", path: ":memory:" });
    expect(loadConfig({ DATABASE_URL: "sqlite::memory:" }).database).toEqual({
      kind: "sqlite",
      path: ":memory:",
    });
  });

  it("parses a mysql:// URL, decoding the password", () => {
    const expected = {
      kind: "mysql",
      flavour: "mysql",
      host: "db.example",
      port: 3307,
      username: "u",
      password: "p@ss",
      database: "app",
    };
    expect(parseDatabaseUrl("mysql://u:p%40ss@db.example:3307/app")).toEqual(expected);
    expect(loadConfig({ DATABASE_URL: "mysql://u:p%40ss@db.example:3307/app" }).database).toEqual({
      ...expected,
      connectTimeoutMs: 10_000,
      queryTimeoutMs: 10_000,
      transactionAttempts: 6,
      causalReads: true,
    });
  });

  it("parses a mariadb:// URL with the mariadb flavour", () => {
    expect(parseDatabaseUrl("mariadb://admin:secret@db.example:3310/statuses")).toEqual({
      kind: "mysql",
      flavour: "mariadb",
      host: "db.example",
      port: 3310,
      username: "admin",
      password: "secret",
      database: "statuses",
    });
  });

  it("defaults the port to 3306", () => {
    expect(parseDatabaseUrl("mysql://u:p@db.example/app")).toMatchObject({
      kind: "mysql",
      port: 3306,
      host: "db.example",
      database: "app",
    });
    expect(parseDatabaseUrl("mariadb://u:p@db.example/app")).toMatchObject({
      flavour: "mariadb",
      port: 3306,
    });
  });
});

describe("configuration errors", () => {
  it("rejects an unsupported scheme with one line naming DATABASE_URL and the fix", () => {
    const line = onlyLine({ DATABASE_URL: "postgres://x/y" }, "DATABASE_URL");
    expect(line).toMatch(/^DATABASE_URL: unsupported scheme "postgres" — use mysql:\/\//);
    expect(line).toContain("mariadb://");
    expect(line).toContain("sqlite:");
  });

  it("never shows the password when a MySQL URL lacks the database name", () => {
    for (const url of [
      "mysql://u:Sup3rS3cretPw@db.example:3307",
      "mysql://u:Sup3rS3cretPw@db.example:3307/",
      "mariadb://u:Sup3rS3cretPw@db.example",
    ]) {
      const error = configError({ DATABASE_URL: url });
      expect(error.lines).toHaveLength(1);
      expect(error.lines[0]).toMatch(/^DATABASE_URL: missing database name/);
      for (const text of [error.message, String(error), ...error.lines]) {
        expect(text).not.toContain("Sup3rS3cretPw");
      }
    }
  });

  it("never shows the password of an unparsable MySQL URL", () => {
    for (const url of [
      "mysql://u:Sup3rS3cretPw@:3306/app",
      "mysql://u:Sup3rS3cretPw@db.example:99999/app",
      "mysql://u:Sup3rS3cretPw%zz@db.example/app",
    ]) {
      const error = configError({ DATABASE_URL: url });
      expect(error.lines).toHaveLength(1);
      expect(error.lines[0].startsWith("DATABASE_URL: ")).toBe(true);
      expect(error.message).not.toContain("Sup3rS3cretPw");
    }
  });

  it("rejects an empty sqlite: path", () => {
    expect(onlyLine({ DATABASE_URL: "sqlite:" }, "DATABASE_URL")).toContain("file path");
  });

  it("rejects a value that is not a URL", () => {
    expect(onlyLine({ DATABASE_URL: "nonsense" }, "DATABASE_URL")).toMatch(/not a URL/);
  });

  it.each(["abc", "70000", "0", "-1", "4000.5"])(
    "PORT=%s gives one clear line naming PORT and the valid range",
    (value) => {
      const line = onlyLine({ PORT: value }, "PORT");
      // Clear = says what a valid PORT is (a port number 1–65535), not just "invalid value".
      expect(line).toMatch(/1\s*(–|-|\.\.|to)\s*65535/);
    },
  );

  it("LOG_LEVEL=loud gives one clear line naming LOG_LEVEL and the allowed levels", () => {
    const line = onlyLine({ LOG_LEVEL: "loud" }, "LOG_LEVEL");
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(line).toContain(level);
    }
    // Not envalid's raw validator message (`Value "loud" not in choices [fatal,error,...]`).
    expect(line).not.toMatch(/not in choices|\[fatal,/);
  });

  it("reads PHONE_DEFAULT_REGION as a country code in any case, and refuses an unknown one", () => {
    expect(loadConfig({ PHONE_DEFAULT_REGION: "gb" }).leads.phoneRegion).toBe("GB");
    expect(loadConfig({}).leads.phoneRegion).toBeUndefined();
    expect(onlyLine({ PHONE_DEFAULT_REGION: "XX" }, "PHONE_DEFAULT_REGION")).toContain(
      "country code",
    );
  });

  it("NODE_ENV=staging gives one clear line naming NODE_ENV and the allowed values", () => {
    const line = onlyLine({ NODE_ENV: "staging" }, "NODE_ENV");
    for (const value of ["development", "production", "test"]) expect(line).toContain(value);
    expect(line).not.toMatch(/not in choices|\[development,/);
  });

  it("lists every bad variable once, one line each, starting with its name", () => {
    const error = configError({
      PORT: "abc",
      LOG_LEVEL: "loud",
      NODE_ENV: "staging",
      DATABASE_URL: "postgres://u:Sup3rS3cretPw@x/y",
      HOST: "127.0.0.1",
    });
    expect(error.lines).toHaveLength(4);
    expect(error.lines.map((line) => line.split(":")[0]).sort()).toEqual([
      "DATABASE_URL",
      "LOG_LEVEL",
      "NODE_ENV",
      "PORT",
    ]);
    expect(error.message.split("\n")).toEqual(error.lines);
    expect(error.message).not.toContain("Sup3rS3cretPw");
  });
});

describe("database timeouts and read replicas", () => {
  const PRIMARY = "mysql://app:secret@primary.example:3306/statuses";

  it("takes the timeouts in seconds", () => {
    expect(
      loadConfig({
        DATABASE_URL: PRIMARY,
        DATABASE_CONNECT_TIMEOUT_SECONDS: "3",
        DATABASE_QUERY_TIMEOUT_SECONDS: "30",
      }).database,
    ).toMatchObject({ connectTimeoutMs: 3000, queryTimeoutMs: 30_000 });
  });

  it.each(["0", "-1", "1.5", "abc", "3601"])("refuses the query timeout %p", (value) => {
    expect(
      onlyLine(
        { DATABASE_URL: PRIMARY, DATABASE_QUERY_TIMEOUT_SECONDS: value },
        "DATABASE_QUERY_TIMEOUT_SECONDS",
      ),
    ).toContain("from 1 to 3600");
  });

  it("parses the comma-separated replica URLs, each with its own credentials", () => {
    const database = loadConfig({
      DATABASE_URL: PRIMARY,
      DATABASE_REPLICA_URLS:
        " mysql://reader:r%40d@replica-1.example/statuses , mariadb://reader2@replica-2.example:3307/copy,",
    }).database;
    expect(database).toMatchObject({
      host: "primary.example",
      replicas: [
        {
          host: "replica-1.example",
          port: 3306,
          username: "reader",
          password: "r@d",
          database: "statuses",
        },
        {
          host: "replica-2.example",
          port: 3307,
          username: "reader2",
          password: "",
          database: "copy",
        },
      ],
    });
  });

  it("has no replicas when the variable is empty", () => {
    expect(
      loadConfig({ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: "" }).database,
    ).not.toHaveProperty("replicas");
  });

  it("refuses replicas for an SQLite primary", () => {
    expect(
      onlyLine(
        { DATABASE_URL: "sqlite:data/x.db", DATABASE_REPLICA_URLS: "mysql://r@replica/db" },
        "DATABASE_REPLICA_URLS",
      ),
    ).toContain("need a MySQL/MariaDB primary");
  });

  it("names the bad replica without echoing its password", () => {
    const line = onlyLine(
      {
        DATABASE_URL: PRIMARY,
        DATABASE_REPLICA_URLS: "mysql://r:topsecret@replica/db,postgres://r:topsecret@x/y",
      },
      "DATABASE_REPLICA_URLS",
    );
    expect(line).toMatch(/^DATABASE_REPLICA_URLS: replica 2: unsupported scheme "postgres"/);
    expect(line).not.toContain("topsecret");
  });
});

describe("DATABASE_TRANSACTION_ATTEMPTS", () => {
  const PRIMARY = "mysql://app:secret@primary.example:3306/statuses";

  it("defaults to 6 attempts for a MySQL/MariaDB primary", () => {
    expect(loadConfig({ DATABASE_URL: PRIMARY }).database).toMatchObject({
      transactionAttempts: 6,
    });
    expect(
      loadConfig({ DATABASE_URL: PRIMARY, DATABASE_TRANSACTION_ATTEMPTS: "" }).database,
    ).toMatchObject({ transactionAttempts: 6 });
  });

  it.each([
    ["1", 1],
    ["10", 10],
    [" 7 ", 7],
  ])("reads %p as %p", (value, attempts) => {
    expect(
      loadConfig({ DATABASE_URL: PRIMARY, DATABASE_TRANSACTION_ATTEMPTS: value }).database,
    ).toMatchObject({ transactionAttempts: attempts });
  });

  it.each(["0", "11", "-1", "2.5", "1e1", "three"])("refuses %p with one exact line", (value) => {
    expect(
      onlyLine(
        { DATABASE_URL: PRIMARY, DATABASE_TRANSACTION_ATTEMPTS: value },
        "DATABASE_TRANSACTION_ATTEMPTS",
      ),
    ).toBe("DATABASE_TRANSACTION_ATTEMPTS: must be a whole number from 1 to 10");
  });

  it("applies to MySQL/MariaDB only, like the database timeouts", () => {
    const database = loadConfig({
      DATABASE_URL: "sqlite::memory:",
      DATABASE_TRANSACTION_ATTEMPTS: "11",
    }).database;
    expect(database).toEqual({ kind: "sqlite", path: ":memory:" });
    expect(database).not.toHaveProperty("transactionAttempts");
  });
});

describe("DATABASE_CAUSAL_READS", () => {
  const PRIMARY = "mysql://app:secret@primary.example:3306/statuses";

  it("is on unless turned off, for MySQL/MariaDB only", () => {
    expect(loadConfig({ DATABASE_URL: PRIMARY }).database).toMatchObject({ causalReads: true });
    expect(
      loadConfig({ DATABASE_URL: PRIMARY, DATABASE_CAUSAL_READS: "false" }).database,
    ).toMatchObject({ causalReads: false });
    expect(
      loadConfig({ DATABASE_URL: "sqlite::memory:", DATABASE_CAUSAL_READS: "maybe" }).database,
    ).toEqual({ kind: "sqlite", path: ":memory:" });
  });

  it("refuses anything but true or false", () => {
    expect(
      onlyLine({ DATABASE_URL: PRIMARY, DATABASE_CAUSAL_READS: "maybe" }, "DATABASE_CAUSAL_READS"),
    ).toBe("DATABASE_CAUSAL_READS: must be true or false");
  });
});

describe("authentication settings", () => {
  it("reads a one-line PEM public key with \\n line breaks", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----";
    expect(loadConfig({ JWT_PUBLIC_KEY: pem }).auth.jwt?.publicKey).toBe(
      "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
    );
  });

  it.each([
    [{ API_KEY_CACHE_SECONDS: "61" }, "API_KEY_CACHE_SECONDS", /0 to 60/],
    [{ API_KEY_CACHE_SECONDS: "1.5" }, "API_KEY_CACHE_SECONDS", /whole number/],
    [{ API_KEY_CACHE_SECONDS: "soon" }, "API_KEY_CACHE_SECONDS", /whole number/],
    [{ JWT_SECRET: "short" }, "JWT_SECRET", /at least 32 bytes/],
    [
      { JWT_SECRET: "s".repeat(32), JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----x" },
      "JWT_SECRET",
      /not both/,
    ],
    [{ JWT_PUBLIC_KEY: "ssh-rsa AAAA" }, "JWT_PUBLIC_KEY", /PEM public key/],
  ])("refuses %j with one line naming %s", (env, variable, pattern) => {
    const line = onlyLine(env, variable);
    expect(line).toMatch(pattern);
    expect(line).not.toContain("short");
  });
});

describe("CORS_ORIGINS", () => {
  it.each([{}, { CORS_ORIGINS: "" }, { CORS_ORIGINS: "*" }, { CORS_ORIGINS: " * " }])(
    "allows any origin for %j",
    (env) => {
      expect(loadConfig(env).cors).toEqual({ origins: "*" });
    },
  );

  it("reads a comma-separated list, as browsers write origins, once each", () => {
    expect(
      loadConfig({
        CORS_ORIGINS:
          " https://app.example.com , http://localhost:5173,HTTPS://Admin.Example.COM:443, http://[::1]:3000, https://app.example.com,",
      }).cors,
    ).toEqual({
      origins: [
        "https://app.example.com",
        "http://localhost:5173",
        "https://admin.example.com",
        "http://[::1]:3000",
      ],
    });
  });

  it.each([
    ["no scheme", "app.example.com"],
    ["a trailing slash", "https://app.example.com/"],
    ["a path", "https://app.example.com/ui"],
    ["a query", "https://app.example.com?x=1"],
    ["a fragment", "https://app.example.com#x"],
    ["a user", "https://user@app.example.com"],
    ["another scheme", "ftp://app.example.com"],
    ["no host", "https://"],
    ["a bad port", "https://app.example.com:99999"],
    ["a space inside", "https://app example.com"],
    ["null", "null"],
  ])("refuses an origin with %s, naming its place", (_what, origin) => {
    const line = onlyLine({ CORS_ORIGINS: `https://ok.example.com,${origin}` }, "CORS_ORIGINS");
    expect(line).toMatch(/^CORS_ORIGINS: origin 2: must be an origin, scheme:\/\/host\[:port\]/);
  });

  it.each([
    ["* with origins", "*,https://app.example.com", /\* stands alone/],
    ["only commas", ",,", /must be \* or a comma-separated list of origins/],
  ])("refuses %s", (_what, value, problem) => {
    expect(onlyLine({ CORS_ORIGINS: value }, "CORS_ORIGINS")).toMatch(problem);
  });
});

const CONFIGURATION_MD = path.join(__dirname, "..", "docs", "CONFIGURATION.md");

/** One row of docs/CONFIGURATION.md's tables: `| \`NAME\` | default | valid values | meaning |`. */
interface DocumentedVariable {
  name: string;
  /** The documented default as it would be written in the environment; undefined: unset. */
  value?: string;
  /** A different default with NODE_ENV=production, when the row gives one. */
  production?: string;
  valid: string;
}

function documentedVariables(): DocumentedVariable[] {
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  const lines = fs.readFileSync(CONFIGURATION_MD, "utf8").split("\n");
  // The rows of the tables headed `| variable | default | valid values | meaning |`.
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines) {
    const cells = line.startsWith("|")
      ? line
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim())
      : null;
    if (!cells) inTable = false;
    else if (cells.join(",") === "variable,default,valid values,meaning") inTable = true;
    else if (inTable && !/^-+$/.test(cells[0])) rows.push(cells);
  }
  return rows.map(([variableCell, defaultCell, valid]) => {
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(variableCell)?.[1];
    if (!name) throw new Error(`cannot read the variable cell "${variableCell}"`);
    if (defaultCell === "_(unset)_") return { name, valid };
    // `value`, or `value`; production: `other`
    const match = /^`([^`]+)`(?:; production: `([^`]+)`)?$/.exec(defaultCell);
    if (!match) throw new Error(`${name}: cannot read the default cell "${defaultCell}"`);
    return { name, value: match[1], production: match[2], valid };
  });
}

/** The variables loadConfig reads, with their envalid specs, as it passes them to cleanEnv. */
function variablesRead(): Record<string, { default?: unknown }> {
  const cleanEnv = jest.mocked(envalid.cleanEnv);
  cleanEnv.mockClear();
  loadConfig({});
  expect(cleanEnv).toHaveBeenCalledTimes(1);
  return cleanEnv.mock.calls[0][1] as Record<string, { default?: unknown }>;
}

/**
 * An environment in which every variable has an effect: a MySQL primary (the DATABASE_* settings
 * are ignored on SQLite) and a JWT secret (the other JWT_* settings are ignored without one).
 */
function liveEnvironment(without: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: "mysql://app:secret@db.example:3306/statuses",
    JWT_SECRET: "s".repeat(32),
  };
  delete env[without];
  return env;
}

/** Another valid value than `value`, so that a check that a value changes nothing can fail. */
function anotherValue({ name, valid }: DocumentedVariable, value: string): string {
  if (value === "true" || value === "false") return value === "true" ? "false" : "true";
  if (/^[0-9]+$/.test(value)) return String(Number(value) + 1);
  const other = [...valid.matchAll(/`([^`]+)`/g)].map((m) => m[1]).find((v) => v !== value);
  if (!other) throw new Error(`${name}: no other value in "${valid}"`);
  return other;
}

describe("docs/CONFIGURATION.md", () => {
  const documented = documentedVariables();

  it("documents every variable loadConfig reads, once, and no other", () => {
    const names = documented.map((v) => v.name);
    expect([...names].sort()).toEqual([...new Set(names)].sort());
    expect([...names].sort()).toEqual(Object.keys(variablesRead()).sort());
    expect(names.length).toBeGreaterThan(30);
  });

  it.each(documented.filter((v) => v.value !== undefined).map((v) => [v.name, v] as const))(
    "%s: its documented default is the one the code applies, in development and in production",
    (name, variable) => {
      const environments: Array<[NodeJS.ProcessEnv, string]> = [
        [liveEnvironment(name), variable.value!],
      ];
      if (name !== "NODE_ENV") {
        const production = { ...liveEnvironment(name), NODE_ENV: "production" };
        environments.push([production, variable.production ?? variable.value!]);
      }
      for (const [env, value] of environments) {
        // Giving the documented default changes nothing; giving another value does (so that
        // this check can fail: the variable has an effect here).
        expect(loadConfig({ ...env, [name]: value })).toEqual(loadConfig(env));
        const other = anotherValue(variable, value);
        expect(loadConfig({ ...env, [name]: other })).not.toEqual(loadConfig(env));
      }
    },
  );

  it.each(documented.filter((v) => v.value === undefined).map((v) => [v.name] as const))(
    "%s: documented as unset, and the code gives it no value of its own",
    (name) => {
      const spec = variablesRead()[name];
      expect(spec).toHaveProperty("default");
      expect([undefined, []]).toContainEqual(spec.default);
    },
  );

  const ranges = documented.flatMap((variable) => {
    const match = /^([0-9]+)–([0-9]+)\b/.exec(variable.valid);
    return match ? [[variable.name, Number(match[1]), Number(match[2])] as const] : [];
  });

  it.each(ranges)("%s accepts exactly %d to %d", (name, min, max) => {
    const env = liveEnvironment(name);
    // The headers' timeout may not be longer than the whole request's.
    if (name === "HTTP_HEADERS_TIMEOUT_SECONDS") env.HTTP_REQUEST_TIMEOUT_SECONDS = "3600";
    if (name === "HTTP_REQUEST_TIMEOUT_SECONDS") env.HTTP_HEADERS_TIMEOUT_SECONDS = "1";
    for (const value of [min, max])
      expect(() => loadConfig({ ...env, [name]: `${value}` })).not.toThrow();
    for (const value of [min - 1, max + 1].filter((v) => v >= 0)) {
      expect(onlyLine({ ...env, [name]: `${value}` }, name)).toContain(`${min} to ${max}`);
    }
  });

  it("gives a range for every whole-number variable", () => {
    const numeric = documented.filter((v) => v.value !== undefined && /^[0-9]+$/.test(v.value));
    expect(numeric.map((v) => v.name).sort()).toEqual(ranges.map(([name]) => name).sort());
  });

  const flags = documented.filter((v) => v.valid === "a flag").map((v) => [v.name] as const);

  it.each(flags)("%s takes every documented spelling of a flag", (name) => {
    const env = liveEnvironment(name);
    for (const [spellings, expected] of [
      [["true", "yes", "on", "t", "1", "TRUE", "Yes"], "true"],
      [["false", "no", "off", "f", "0", "FALSE", "Off"], "false"],
    ] as const) {
      for (const spelling of spellings) {
        expect(loadConfig({ ...env, [name]: spelling })).toEqual(
          loadConfig({ ...env, [name]: expected }),
        );
      }
    }
  });

  it.each(
    documented
      .filter((v) => /^`[^`]+`(, `[^`]+`)+$/.test(v.valid))
      .map((v) => [v.name, [...v.valid.matchAll(/`([^`]+)`/g)].map((m) => m[1])] as const),
  )("%s accepts each of %j", (name, values) => {
    for (const value of values) {
      expect(() => loadConfig({ ...liveEnvironment(name), [name]: value })).not.toThrow();
    }
  });

  it("agrees with .env.example: each value there is blank (the default) or the documented default", () => {
    const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
    const text = fs.readFileSync(path.join(__dirname, "..", ".env.example"), "utf8");
    const listed = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)];
    expect(listed.length).toBe(documented.length);
    for (const [, name, value] of listed) {
      const variable = documented.find((v) => v.name === name);
      expect(variable).toBeDefined();
      if (value !== "") expect([name, value]).toEqual([name, variable!.value]);
    }
  });
});

describe(".env.example", () => {
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  const text = fs.readFileSync(path.join(__dirname, "..", ".env.example"), "utf8");
  const listed = Object.fromEntries(
    [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]),
  );

  it("loads as it is and gives the documented defaults", () => {
    const config = loadConfig(listed);
    expect(config).toEqual(loadConfig({}));
  });

  it("lists every variable the service reads, and docs/CONFIGURATION.md's tables name each one", () => {
    const source = fs.readFileSync(path.join(__dirname, "..", "src", "config.ts"), "utf8");
    const read = new Set(
      [...source.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|PORT|HOST)\b(?=:|"|,)/g)].map(
        (m) => m[1],
      ),
    );
    const doc = fs.readFileSync(CONFIGURATION_MD, "utf8");
    for (const name of read) {
      // Constants of config.ts itself (defaults, lists of values), not variables.
      if (
        !/^[A-Z]/.test(name) ||
        name.startsWith("DEFAULT_") ||
        ["NODE_ENVS", "LOG_LEVELS"].includes(name)
      )
        continue;
      expect(Object.keys(listed)).toContain(name);
      expect(doc).toContain(`\`${name}\``);
    }
    expect(read.size).toBeGreaterThan(15);
  });
});

describe("REDIS_URL and REDIS_CHANNEL_PREFIX", () => {
  it("keeps a valid URL as written; unset, there is none (the in-process bus)", () => {
    expect(loadConfig({}).events.redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_URL: " " }).events.redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379" }).events).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
    });
  });

  it.each([
    ["redis://cache.example", { host: "cache.example", port: 6379, db: 0, tls: false }],
    ["redis://127.0.0.1:6380/", { host: "127.0.0.1", port: 6380, db: 0, tls: false }],
    [
      "redis://:p%40ss@cache.example/3",
      { host: "cache.example", port: 6379, password: "p@ss", db: 3, tls: false },
    ],
    [
      "rediss://app:secret@cache.example:6390/1",
      { host: "cache.example", port: 6390, username: "app", password: "secret", db: 1, tls: true },
    ],
    ["REDIS://[::1]:7000", { host: "::1", port: 7000, db: 0, tls: false }],
  ])("parses %s", (url, endpoint) => {
    expect(parseRedisUrl(url)).toEqual(endpoint);
  });

  it("describes the server without its credentials", () => {
    expect(describeRedis(parseRedisUrl("rediss://app:secret@cache.example:6390/1"))).toBe(
      "Redis cache.example:6390/1 (TLS)",
    );
    expect(describeRedis(parseRedisUrl("redis://[::1]"))).toBe("Redis [::1]:6379/0");
  });

  it.each([
    [
      "another scheme",
      "http://:Sup3rS3cretPw@cache.example",
      /unsupported scheme "http" — use redis:\/\/ or rediss:\/\//,
    ],
    ["no scheme", "cache.example:6379", /not a URL — use redis:\/\/host:6379/],
    ["no host", "redis://:Sup3rS3cretPw@:6379", /missing host|not a valid URL/],
    ["a bad port", "redis://:Sup3rS3cretPw@cache.example:99999", /not a valid URL/],
    ["port 0", "redis://:Sup3rS3cretPw@cache.example:0", /the port must be 1–65535/],
    [
      "a database that is not a number",
      "redis://:Sup3rS3cretPw@cache.example/zero",
      /must be a number, e\.g\. \/0/,
    ],
    ["a query", "redis://:Sup3rS3cretPw@cache.example?db=1", /no query or fragment/],
    [
      "a user without password",
      "redis://Sup3rS3cretPw@cache.example",
      /a user name needs a password/,
    ],
    [
      "bad percent-encoding",
      "redis://:Sup3rS3cretPw%zz@cache.example",
      /the password is not valid percent-encoding/,
    ],
  ])("refuses %s with one line naming REDIS_URL, never its password", (_what, url, problem) => {
    const error = configError({ REDIS_URL: url });
    expect(error.lines).toHaveLength(1);
    expect(error.lines[0]).toMatch(/^REDIS_URL: /);
    expect(error.lines[0]).toMatch(problem);
    for (const text of [error.message, String(error), ...error.lines]) {
      expect(text).not.toContain("Sup3rS3cretPw");
    }
  });

  it("reads a channel prefix of letters, digits and . _ : -, and refuses anything else", () => {
    expect(loadConfig({ REDIS_CHANNEL_PREFIX: "statuses.eu-1:" }).events.channelPrefix).toBe(
      "statuses.eu-1:",
    );
    for (const value of ["has space", "a/b", "é", "x".repeat(65)]) {
      expect(onlyLine({ REDIS_CHANNEL_PREFIX: value }, "REDIS_CHANNEL_PREFIX")).toBe(
        "REDIS_CHANNEL_PREFIX: must be 1 to 64 letters, digits or . _ : - (e.g. prod: or statuses.eu:)",
      );
    }
  });
});

describe("GraphQL settings", () => {
  it("reads the limits and the exposure switches", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      GRAPHQL_MAX_DEPTH: "8",
      GRAPHQL_MAX_ALIASES: "5",
      GRAPHQL_MAX_DIRECTIVES: "3",
      GRAPHQL_MAX_TOKENS: "500",
      GRAPHQL_MAX_COST: "900",
      GRAPHQL_INTROSPECTION: "true",
      GRAPHQL_SANDBOX: "yes",
      HTTP_BODY_LIMIT_KB: "64",
    });
    expect(config.graphql).toEqual({
      maxDepth: 8,
      maxAliases: 5,
      maxDirectives: 3,
      maxTokens: 500,
      maxCost: 900,
      introspection: true,
      sandbox: true,
      bodyLimitBytes: 64 * 1024,
    });
    expect(loadConfig({ NODE_ENV: "production" }).graphql).toMatchObject({
      introspection: false,
      sandbox: false,
    });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: "false" }).graphql.introspection).toBe(false);
  });

  it.each([
    [{ GRAPHQL_MAX_DEPTH: "0" }, "GRAPHQL_MAX_DEPTH", /whole number from 1 to 100/],
    [{ GRAPHQL_MAX_ALIASES: "lots" }, "GRAPHQL_MAX_ALIASES", /whole number/],
    [{ HTTP_BODY_LIMIT_KB: "1.5" }, "HTTP_BODY_LIMIT_KB", /whole number/],
    [{ GRAPHQL_INTROSPECTION: "maybe" }, "GRAPHQL_INTROSPECTION", /true or false/],
    [{ STATUS_CACHE_ENABLED: "sometimes" }, "STATUS_CACHE_ENABLED", /true or false/],
    [{ STATUS_CACHE_REFRESH_MS: "5" }, "STATUS_CACHE_REFRESH_MS", /from 10 to 60000/],
    [{ STATUS_CACHE_REFRESH_MS: "1e3" }, "STATUS_CACHE_REFRESH_MS", /from 10 to 60000/],
    [{ STATUS_CACHE_REFRESH_MS: "60001" }, "STATUS_CACHE_REFRESH_MS", /from 10 to 60000/],
  ])("refuses %j with one line naming %s", (env, variable, pattern) => {
    expect(onlyLine(env, variable)).toMatch(pattern);
  });
});

describe("a blank NODE_ENV", () => {
  it("is refused rather than taken as development (which turns introspection on)", () => {
    expect(onlyLine({ NODE_ENV: " " }, "NODE_ENV")).toBe(
      "NODE_ENV: must be one of development, production, test",
    );
  });
});

describe("HTTP timeouts and JWT lifetime", () => {
  it.each([
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: "0" }, "HTTP_HEADERS_TIMEOUT_SECONDS", /1 to 300/],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: "1.5" }, "HTTP_REQUEST_TIMEOUT_SECONDS", /whole number/],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "-1" }, "HTTP_KEEP_ALIVE_TIMEOUT_SECONDS", /1 to 3600/],
    [{ JWT_MAX_AGE_SECONDS: "59" }, "JWT_MAX_AGE_SECONDS", /60 to 604800/],
    [
      { HTTP_HEADERS_TIMEOUT_SECONDS: "40", HTTP_REQUEST_TIMEOUT_SECONDS: "30" },
      "HTTP_HEADERS_TIMEOUT_SECONDS",
      /not be longer than HTTP_REQUEST_TIMEOUT_SECONDS/,
    ],
  ])("refuses %j", (env, variable, message) => {
    expect(onlyLine(env, variable)).toMatch(message);
  });
});
