/**
 * The pure parsing in src/config.ts: `DATABASE_URL` (`parseDatabaseUrl`), the printable target
 * (`describeDatabase`) and the GraphQL defaults. Reading the whole environment is
 * test/config.test.ts.
 */
import path from "node:path";
import { EnvError } from "envalid";
import {
  DEFAULT_SQLITE_PATH,
  describeDatabase,
  graphqlDefaults,
  parseDatabaseUrl,
} from "../../src/config";

function refusal(raw: string): EnvError {
  try {
    parseDatabaseUrl(raw, "/srv/app");
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return error as EnvError;
  }
  throw new Error(`parseDatabaseUrl accepted ${raw}`);
}

describe("parseDatabaseUrl: SQLite", () => {
  it.each(["", "   ", "\n"])("gives the default file under the working directory for %p", (raw) => {
    expect(parseDatabaseUrl(raw, "/srv/app")).toEqual({
      kind: "sqlite",
      path: path.resolve("/srv/app", DEFAULT_SQLITE_PATH),
    });
  });

  it.each([
    ["sqlite:x.db", "/srv/app/x.db"],
    ["sqlite:./data/../x.db", "/srv/app/x.db"],
    ["sqlite://x.db", "/srv/app/x.db"],
    ["sqlite:/var/lib/x.db", "/var/lib/x.db"],
    ["sqlite:///var/lib/x.db", "/var/lib/x.db"],
    ["  sqlite:x.db  ", "/srv/app/x.db"],
  ])("resolves %p to %p", (raw, file) => {
    expect(parseDatabaseUrl(raw, "/srv/app")).toEqual({ kind: "sqlite", path: file });
  });

  // sqlite::memory:, every part of a mariadb:// URL and the default port: test/config.test.ts.
  it("keeps :memory: written sqlite://:memory: too", () => {
    expect(parseDatabaseUrl("sqlite://:memory:")).toEqual({ kind: "sqlite", path: ":memory:" });
  });

  it.each(["sqlite:", "sqlite://"])("refuses %p without a file path", (raw) => {
    expect(refusal(raw).message).toMatch(/needs a file path/);
  });
});

describe("parseDatabaseUrl: MySQL and MariaDB", () => {
  it("takes the scheme in any case", () => {
    expect(parseDatabaseUrl("MYSQL://u:p@h/db")).toMatchObject({ kind: "mysql", flavour: "mysql" });
    expect(parseDatabaseUrl("MariaDB://u:p@h/db")).toMatchObject({ flavour: "mariadb" });
  });

  it("defaults to root without a password on port 3306", () => {
    expect(parseDatabaseUrl("mysql://db.example/app")).toMatchObject({
      host: "db.example",
      port: 3306,
      username: "root",
      password: "",
      database: "app",
    });
    expect(parseDatabaseUrl("mysql://u@h/app")).toMatchObject({ username: "u", password: "" });
  });

  it("decodes percent-encoded user names, passwords and database names", () => {
    expect(parseDatabaseUrl("mysql://us%40r:p%3Ass%2F%23@h/%C3%A9t%C3%A9")).toMatchObject({
      username: "us@r",
      password: "p:ss/#",
      database: "été",
    });
  });

  it("takes an IPv6 address without its brackets", () => {
    expect(parseDatabaseUrl("mysql://u:p@[::1]:3307/db")).toMatchObject({
      host: "::1",
      port: 3307,
    });
  });

  it.each([
    ["no database name", "mysql://u:p@h/", /missing database name/],
    ["no path at all", "mysql://u:p@h", /missing database name/],
    ["a database name with a slash", "mysql://u:p@h/a/b", /missing database name/],
    ["an encoded slash in the database name", "mysql://u:p@h/a%2Fb", /missing database name/],
    ["no host", "mysql:u:p@h/db", /missing host/],
    ["an empty host", "mysql://:3306/db", /not a valid URL/],
    ["a port out of range", "mysql://u:p@h:99999/db", /not a valid URL/],
    ["a port that is not a number", "mysql://u:p@h:abc/db", /not a valid URL/],
    [
      "a bad escape in the password",
      "mysql://u:p%zz@h/db",
      /password is not valid percent-encoding/,
    ],
    ["a bad escape in the user name", "mysql://u%zz:p@h/db", /user name is not valid/],
    ["a bad escape in the database", "mysql://u:p@h/d%zz", /database name is not valid/],
  ])("refuses %s", (_what, raw, message) => {
    expect(refusal(raw).message).toMatch(message);
  });

  it.each([
    ["another scheme", "postgres://u:p@h/db", /unsupported scheme "postgres"/],
    ["host:port without a scheme", "localhost:3306/db", /unsupported scheme "localhost"/],
    ["a bare path", "/var/lib/x.db", /not a URL/],
    ["a bare word", "database", /not a URL/],
  ])("refuses %s, naming the forms it takes", (_what, raw, message) => {
    const error = refusal(raw);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/mysql:\/\/.*sqlite:PATH/);
  });

  it("never repeats the password in its complaints", () => {
    const secret = "Sup3rS3cret";
    for (const raw of [
      `mysql://u:${secret}@h/`,
      `mysql://u:${secret}@h:99999/db`,
      `mysql://u:${secret}%zz@h/db`,
      `mysql:u:${secret}@h/db`,
      `postgres://u:${secret}@h/db`,
    ]) {
      expect(refusal(raw).message).not.toContain(secret);
    }
  });
});

describe("describeDatabase", () => {
  it("names the server and database without credentials", () => {
    const mariadb = parseDatabaseUrl("mariadb://u:secret@h:3310/db");
    const mysql = parseDatabaseUrl("mysql://admin:secret@h/db");
    expect(describeDatabase(mariadb)).toBe("MariaDB h:3310/db");
    expect(describeDatabase(mysql)).toBe("MySQL h:3306/db");
    expect(describeDatabase(mysql)).not.toMatch(/secret|admin/);
  });

  it("names the SQLite file", () => {
    expect(describeDatabase(parseDatabaseUrl("sqlite:/var/x.db"))).toBe("SQLite /var/x.db");
    expect(describeDatabase(parseDatabaseUrl("sqlite::memory:"))).toBe("SQLite :memory:");
  });
});

describe("graphqlDefaults", () => {
  it("turns introspection and the Sandbox off in production only", () => {
    expect(graphqlDefaults("production")).toMatchObject({ introspection: false, sandbox: false });
    for (const env of ["development", "test"] as const) {
      expect(graphqlDefaults(env)).toMatchObject({ introspection: true, sandbox: true });
    }
  });

  it("has the same limits in every environment", () => {
    const limits = {
      maxDepth: 12,
      maxAliases: 15,
      maxDirectives: 10,
      maxTokens: 2000,
      maxCost: 50000,
      bodyLimitBytes: 1024 * 1024,
    };
    for (const env of ["development", "test", "production"] as const) {
      expect(graphqlDefaults(env)).toMatchObject(limits);
    }
  });
});
