/**
 * End-to-end start-up like `npm start`: the compiled service (`dist/src/main.js`, built with
 * `npx tsc -p tsconfig.json` before the tests run) in a fresh working directory, on SQLite.
 */
import fs from "node:fs";
import path from "node:path";
import {
  API_KEY_PATTERN,
  APIKEY_CLI,
  cleanupProcesses,
  freePort,
  MAIN,
  postGraphQL,
  requireBuild,
  runApiKeyCli,
  startReadyService,
  startService,
  stopService,
  tempDir,
  waitForLog,
  withTimeout,
  type Running,
} from "../support/processes";
import { createTestDatabase, testDatabases } from "../support/harness";

const SEEDED_CALL_STATUSES = [
  "qualified",
  "disqualified",
  "voicemail",
  "call_terminated",
  "not_accepted_by_operator",
  "post_processing_not_completed",
  "missed_by_system",
];

afterEach(cleanupProcesses);

/** The lines of the service's output (stdout and stderr) that hold a whole API key. */
function linesWithKeys(running: Running): string[] {
  return `${running.stdout()}\n${running.stderr()}`
    .split("\n")
    .filter((line) => API_KEY_PATTERN.test(line));
}

/** The data rows of `apikey list` (the header line left out). */
function listedRows(stdout: string): string[][] {
  return stdout
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => line.split("\t"));
}

async function expectUnauthenticated(url: string, key?: string): Promise<void> {
  const response = await postGraphQL(url, "{ callStatuses { code } }", { key });
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBeTruthy();
  expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(response.body.data ?? null).toBeNull();
}

describe("service start-up (npm start, SQLite)", () => {
  beforeAll(() => requireBuild(MAIN, APIKEY_CLI));

  it("starts with no DATABASE_URL on an embedded SQLite file under ./data, logs a bootstrap key once, serves with it, stops on SIGTERM", async () => {
    const cwd = tempDir("cls-startup-");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    const running = startService(cwd, { PORT: String(port), LOG_LEVEL: "info" });

    const ready = await waitForLog(running, "GraphQL API ready");
    expect(ready.msg).toContain(url);
    expect(fs.existsSync(path.join(cwd, "data", "statuses.db"))).toBe(true);

    // The bootstrap key: one pino JSON line on stdout, with a hint for Apollo Sandbox's Headers.
    const keyLines = linesWithKeys(running);
    expect(keyLines).toHaveLength(1);
    const logged = JSON.parse(keyLines[0]) as { msg: string };
    const key = API_KEY_PATTERN.exec(logged.msg)?.[0];
    expect(key).toBeDefined();
    expect(logged.msg).toContain(`X-Api-Key: ${key}`);
    expect(running.stderr()).not.toContain(key!);

    // No credential: refused as a whole with 401 and a challenge.
    await expectUnauthenticated(url);

    // With the bootstrap key: the seeded call statuses, in order.
    const withKey = await postGraphQL<{ callStatuses: Array<{ code: string }> }>(
      url,
      "{ callStatuses { code } }",
      { key },
    );
    expect(withKey.status).toBe(200);
    expect(withKey.body.errors).toBeUndefined();
    expect(withKey.body.data?.callStatuses.map((s) => s.code)).toEqual(SEEDED_CALL_STATUSES);

    // The same key as a bearer token; it is an ADMIN key.
    const viewer = await postGraphQL<{ viewer: { role: string; keyPrefix: string } }>(
      url,
      "{ viewer { role keyPrefix } }",
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(viewer.status).toBe(200);
    expect(viewer.body.data?.viewer).toEqual({ role: "ADMIN", keyPrefix: key!.slice(0, 12) });

    const exit = await stopService(running);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(running.stderr()).not.toMatch(/\n\s+at /);
    // The key was shown in that one line only, also after being used.
    expect(linesWithKeys(running)).toEqual(keyLines);

    // Restarted on the same working directory (the same database): no new key, the old one works.
    const again = await startReadyService(cwd, {});
    expect(linesWithKeys(again.running)).toEqual([]);
    const reused = await postGraphQL<{ callStatuses: Array<{ code: string }> }>(
      again.url,
      "{ callStatuses { code } }",
      { key },
    );
    expect(reused.status).toBe(200);
    expect(reused.body.data?.callStatuses.map((s) => s.code)).toEqual(SEEDED_CALL_STATUSES);
    await expectUnauthenticated(again.url);
    expect(await stopService(again.running)).toEqual({ code: 0, signal: null });
    expect(linesWithKeys(again.running)).toEqual([]);

    // Exactly one key exists: the bootstrap ADMIN key, created once.
    const list = await runApiKeyCli(cwd, ["list"]);
    expect(list.code).toBe(0);
    const rows = listedRows(list.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0][1]).toBe(key!.slice(0, 12));
    expect(rows[0][2]).toBe("ADMIN");
    expect(rows[0][3]).toBe("active");
    expect(list.stdout).not.toContain(key!);
  }, 90_000);

  it("in production (NODE_ENV=production) on a fresh database creates and logs no key, and refuses requests", async () => {
    const cwd = tempDir("cls-startup-");
    const { running, url } = await startReadyService(cwd, { NODE_ENV: "production" });

    await expectUnauthenticated(url);
    // A well-formed key that does not exist is refused too.
    await expectUnauthenticated(url, `csk_00000000_${"A".repeat(43)}`);

    expect(await stopService(running)).toEqual({ code: 0, signal: null });
    expect(running.stdout()).not.toContain("csk_");
    expect(running.stderr()).not.toContain("csk_");

    const list = await runApiKeyCli(cwd, ["list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^id\tprefix\trole\tstatus/);
    expect(listedRows(list.stdout)).toEqual([]);
  }, 60_000);

  it("refuses DATABASE_URL=postgres://… with exit code 1 and one clear stderr line, no stack", async () => {
    const cwd = tempDir("cls-startup-");
    const port = await freePort();
    const running = startService(cwd, {
      PORT: String(port),
      LOG_LEVEL: "info",
      DATABASE_URL: "postgres://x/y",
    });

    const exit = await withTimeout(running.exited, 20_000, "exit on a bad DATABASE_URL");
    expect(exit).toEqual({ code: 1, signal: null });
    const stderr = running.stderr();
    const lines = stderr.split("\n").filter((line) => line.includes("DATABASE_URL"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DATABASE_URL: unsupported scheme "postgres"');
    expect(stderr).not.toContain("    at ");
    expect(running.stdout()).not.toContain("GraphQL API ready");
    expect(fs.existsSync(path.join(cwd, "data"))).toBe(false);
  }, 60_000);

  it("refuses a malformed CORS_ORIGINS entry at start with exit code 1, naming its place", async () => {
    const cwd = tempDir("cls-startup-");
    const port = await freePort();
    const running = startService(cwd, {
      PORT: String(port),
      LOG_LEVEL: "info",
      DATABASE_URL: "sqlite::memory:",
      CORS_ORIGINS: "https://app.example.com,https://settings.example.com/",
    });

    const exit = await withTimeout(running.exited, 20_000, "exit on a bad CORS_ORIGINS");
    expect(exit).toEqual({ code: 1, signal: null });
    const lines = running
      .stderr()
      .split("\n")
      .filter((line) => line.includes("CORS_ORIGINS"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("CORS_ORIGINS: origin 2: must be an origin");
    expect(running.stdout()).not.toContain("GraphQL API ready");
  }, 60_000);
});

const describeMysql = testDatabases().includes("mariadb") ? describe : describe.skip;

describeMysql("service start-up (npm start, MariaDB)", () => {
  afterAll(cleanupProcesses);

  it("in production, serves and exits 0 on SIGTERM with its database connections open", async () => {
    const database = await createTestDatabase("mariadb");
    try {
      const {
        host,
        port,
        username,
        password,
        database: name,
      } = database.config as Extract<typeof database.config, { kind: "mysql" }>;
      const url = `mariadb://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
      const cwd = tempDir("cls-startup-");
      const { running, url: graphql } = await startReadyService(cwd, {
        NODE_ENV: "production",
        DATABASE_URL: url,
      });
      // A request opens pooled connections, which would keep a process that forgot them alive.
      await expectUnauthenticated(graphql);
      expect(await stopService(running)).toEqual({ code: 0, signal: null });
      expect(running.stdout()).toContain("shutting down");
    } finally {
      await database.drop();
    }
  }, 60_000);
});
