import path from "node:path";
import { bool, cleanEnv, EnvError, host, makeValidator, port, str } from "envalid";

/** Where and how to reach the database, parsed from `DATABASE_URL`. */
export type DatabaseConfig =
  | {
      kind: "sqlite";
      /** Absolute file path, or `:memory:`. */
      path: string;
    }
  | {
      kind: "mysql";
      /**
       * `mysql` for a `mysql://` URL: the server flavour (MySQL or MariaDB) is detected when
       * connecting. `mariadb` for a `mariadb://` URL.
       */
      flavour: "mysql" | "mariadb";
      host: string;
      port: number;
      username: string;
      password: string;
      database: string;
    };

export interface AppConfig {
  port: number;
  host: string;
  nodeEnv: "development" | "production" | "test";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  database: DatabaseConfig;
  /** Apply pending migrations when the service starts. */
  migrationsRun: boolean;
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
};

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
      MIGRATIONS_RUN: bool({ default: true }),
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
  if (lines.length > 0) throw new ConfigError(lines);

  const database =
    parsed.DATABASE_URL.kind === "sqlite" && parsed.DATABASE_URL.path === ""
      ? parseDatabaseUrl("")
      : parsed.DATABASE_URL;

  return {
    port: parsed.PORT,
    host: parsed.HOST,
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    database,
    migrationsRun: parsed.MIGRATIONS_RUN,
  };
}

/** A printable description of the database target, without credentials. */
export function describeDatabase(db: DatabaseConfig): string {
  return db.kind === "sqlite"
    ? `SQLite ${db.path}`
    : `${db.flavour === "mariadb" ? "MariaDB" : "MySQL"} ${db.host}:${db.port}/${db.database}`;
}
