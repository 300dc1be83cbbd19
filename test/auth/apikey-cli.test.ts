/**
 * The operators' API key CLI (`dist/src/cli/apikey.js`, built with `npx tsc -p tsconfig.json`
 * before the tests run) against the running service (`dist/src/main.js`) on the same SQLite
 * database: keys it creates are accepted, keys it revokes are refused, secrets never leak.
 */
import fs from "node:fs";
import path from "node:path";
import {
  API_KEY_PATTERN,
  APIKEY_CLI,
  cleanupProcesses,
  MAIN,
  postGraphQL,
  REPO_ROOT,
  requireBuild,
  runApiKeyCli,
  runProcess,
  startReadyService,
  stopService,
  tempDir,
  type Finished,
} from "../support/processes";

const ROLES = ["ADMIN", "AGENT", "AI_AGENT", "SYSTEM"] as const;
const WHOLE_KEY = new RegExp(`^${API_KEY_PATTERN.source}$`);
const VIEWER = "{ viewer { role actorId keyPrefix } }";

interface Viewer {
  viewer: { role: string; actorId: string; keyPrefix: string | null };
}

interface ListedKey {
  id: string;
  prefix: string;
  role: string;
  status: string;
  name: string;
}

afterEach(cleanupProcesses);

beforeAll(() => requireBuild(MAIN, APIKEY_CLI));

/** A temp working directory and a `sqlite:` URL of a database file inside it. */
function sqliteTarget(): { cwd: string; env: Record<string, string> } {
  const cwd = tempDir("cls-apikey-");
  return { cwd, env: { DATABASE_URL: `sqlite:${path.join(cwd, "x.db")}` } };
}

/** The key printed by `create`: alone on the last line of stdout. */
function createdKey(result: Finished): string {
  expect(result.code).toBe(0);
  const lines = result.stdout.split("\n");
  expect(lines.pop()).toBe(""); // the output ends with a newline
  const last = lines[lines.length - 1];
  expect(last).toMatch(WHOLE_KEY);
  // Shown once: not repeated on another line, not on stderr.
  expect(lines.filter((line) => line.includes(last))).toHaveLength(1);
  expect(result.stderr).not.toContain(last);
  return last;
}

async function createKey(
  cwd: string,
  role: string,
  name: string,
  env: Record<string, string> = {},
): Promise<string> {
  return createdKey(await runApiKeyCli(cwd, ["create", "--role", role, "--name", name], env));
}

/** The rows of `apikey list`, checked against its header. */
function parseList(result: Finished): ListedKey[] {
  expect(result.code).toBe(0);
  const [header, ...rows] = result.stdout.split("\n").filter((line) => line !== "");
  const columns = header.split("\t");
  for (const column of ["id", "prefix", "role", "status", "name"]) {
    expect(columns).toContain(column);
  }
  return rows.map((row) => {
    const cells = row.split("\t");
    expect(cells).toHaveLength(columns.length);
    const cell = (column: string) => cells[columns.indexOf(column)];
    return {
      id: cell("id"),
      prefix: cell("prefix"),
      role: cell("role"),
      status: cell("status"),
      name: cell("name"),
    };
  });
}

async function listKeys(cwd: string, env: Record<string, string> = {}): Promise<ListedKey[]> {
  const result = await runApiKeyCli(cwd, ["list"], env);
  // No secret in a listing, ever.
  expect(result.stdout).not.toMatch(API_KEY_PATTERN);
  expect(result.stderr).not.toMatch(API_KEY_PATTERN);
  return parseList(result);
}

async function viewer(url: string, key: string) {
  return postGraphQL<Viewer>(url, VIEWER, { key });
}

async function expectRevokedRefused(url: string, key: string): Promise<void> {
  const response = await viewer(url, key);
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBeTruthy();
  expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(response.body.errors?.[0]?.message).toMatch(/revoked/i);
  expect(JSON.stringify(response.body)).not.toContain(key);
}

describe("apikey CLI create (SQLite)", () => {
  it("prints the key alone on the last line, and the running service accepts it for each role", async () => {
    const cwd = tempDir("cls-apikey-"); // DATABASE_URL unset: ./data/statuses.db
    const keys: Record<string, string> = {};
    for (const role of ROLES) keys[role] = await createKey(cwd, role, `${role} key`);
    expect(fs.existsSync(path.join(cwd, "data", "statuses.db"))).toBe(true);
    expect(new Set(Object.values(keys)).size).toBe(ROLES.length);

    const listed = await listKeys(cwd);
    const { url, running } = await startReadyService(cwd, {});
    for (const role of ROLES) {
      const key = keys[role];
      const row = listed.find((k) => k.prefix === key.slice(0, 12));
      expect(row).toMatchObject({ role, status: "active", name: `${role} key` });

      const byHeader = await viewer(url, key);
      expect(byHeader.status).toBe(200);
      expect(byHeader.body.errors).toBeUndefined();
      expect(byHeader.body.data?.viewer).toEqual({
        role,
        actorId: `key:${row!.id}`,
        keyPrefix: key.slice(0, 12),
      });
      const byBearer = await postGraphQL<Viewer>(url, VIEWER, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(byBearer.body.data?.viewer.role).toBe(role);
    }
    // Keys existed at start: no bootstrap key was made.
    expect(running.stdout()).not.toMatch(API_KEY_PATTERN);
    expect(await listKeys(cwd)).toHaveLength(ROLES.length);
  }, 90_000);

  it("npm run --silent apikey -- create … (from the repo root, DATABASE_URL=sqlite:FILE) prints the key last", async () => {
    const { cwd, env } = sqliteTarget();
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const result = await runProcess(
      npm,
      ["run", "--silent", "apikey", "--", "create", "--role", "SYSTEM", "--name", "npm wiring"],
      REPO_ROOT,
      env,
      150_000,
    );
    const key = createdKey(result);
    expect(fs.existsSync(path.join(cwd, "x.db"))).toBe(true);
    // The key went to the database DATABASE_URL names.
    const [row] = await listKeys(cwd, env);
    expect(row).toMatchObject({
      prefix: key.slice(0, 12),
      role: "SYSTEM",
      status: "active",
      name: "npm wiring",
    });
  }, 180_000);
});

describe("apikey CLI list and revoke (SQLite)", () => {
  it("lists id, prefix, role, status and name of every key, never a secret", async () => {
    const { cwd, env } = sqliteTarget();
    const first = await createKey(cwd, "ADMIN", "settings ui", env);
    const second = await createKey(cwd, "AI_AGENT", "orchestrator eu-1", env);

    const before = await runApiKeyCli(cwd, ["list"], env);
    expect(before.stdout).not.toContain(first);
    expect(before.stdout).not.toContain(second);
    expect(before.stdout).not.toContain(first.slice(13));
    expect(before.stdout).not.toContain(second.slice(13));
    const rows = parseList(before);
    expect(rows).toEqual([
      {
        id: expect.stringMatching(/^[0-9]+$/),
        prefix: first.slice(0, 12),
        role: "ADMIN",
        status: "active",
        name: "settings ui",
      },
      {
        id: expect.stringMatching(/^[0-9]+$/),
        prefix: second.slice(0, 12),
        role: "AI_AGENT",
        status: "active",
        name: "orchestrator eu-1",
      },
    ]);

    const revoke = await runApiKeyCli(cwd, ["revoke", first.slice(0, 12)], env);
    expect(revoke.code).toBe(0);
    expect(`${revoke.stdout}${revoke.stderr}`).not.toMatch(API_KEY_PATTERN);
    const after = await listKeys(cwd, env);
    expect(after.map((k) => [k.prefix, k.status.split(" ")[0]])).toEqual([
      [first.slice(0, 12), "revoked"],
      [second.slice(0, 12), "active"],
    ]);
  });

  it("revoke <prefix> and revoke <id>: the running service (cache off) refuses the key at once", async () => {
    const { cwd, env } = sqliteTarget();
    const byPrefix = await createKey(cwd, "AGENT", "wrap-up form", env);
    const byId = await createKey(cwd, "SYSTEM", "dialer eu-1", env);
    const kept = await createKey(cwd, "ADMIN", "settings ui", env);
    const { url } = await startReadyService(cwd, { ...env, API_KEY_CACHE_SECONDS: "0" });
    for (const key of [byPrefix, byId, kept]) expect((await viewer(url, key)).status).toBe(200);

    const revokePrefix = await runApiKeyCli(cwd, ["revoke", byPrefix.slice(0, 12)], env);
    expect(revokePrefix.code).toBe(0);
    expect(revokePrefix.stdout).toContain(byPrefix.slice(0, 12));
    await expectRevokedRefused(url, byPrefix);
    expect((await viewer(url, byId)).status).toBe(200);

    const id = (await listKeys(cwd, env)).find((k) => k.prefix === byId.slice(0, 12))!.id;
    // An id in another spelling than its canonical one names no key (as in GraphQL).
    const otherSpelling = await runApiKeyCli(cwd, ["revoke", `0${id}`], env);
    expect(otherSpelling.code).not.toBe(0);
    expect(otherSpelling.stderr).toContain(`No API key with id or prefix "0${id}"`);
    expect((await viewer(url, byId)).status).toBe(200);
    const revokeId = await runApiKeyCli(cwd, ["revoke", id], env);
    expect(revokeId.code).toBe(0);
    expect(revokeId.stdout).toContain(byId.slice(0, 12));
    await expectRevokedRefused(url, byId);
    // Also as a bearer token.
    const bearer = await postGraphQL(url, VIEWER, {
      headers: { authorization: `Bearer ${byId}` },
    });
    expect(bearer.status).toBe(401);
    expect(bearer.body.errors?.[0]?.message).toMatch(/revoked/i);

    // The other key is untouched.
    const still = await viewer(url, kept);
    expect(still.status).toBe(200);
    expect(still.body.data?.viewer.role).toBe("ADMIN");
    const statuses = Object.fromEntries(
      (await listKeys(cwd, env)).map((k) => [k.prefix, k.status.split(" ")[0]]),
    );
    expect(statuses).toEqual({
      [byPrefix.slice(0, 12)]: "revoked",
      [byId.slice(0, 12)]: "revoked",
      [kept.slice(0, 12)]: "active",
    });
  }, 90_000);

  it("with the default key cache (5 s), a key revoked from the CLI is refused within ~6 s", async () => {
    const cwd = tempDir("cls-apikey-");
    const key = await createKey(cwd, "AGENT", "cached");
    const { url } = await startReadyService(cwd, {});
    expect((await viewer(url, key)).status).toBe(200); // now cached by the service

    const revoke = await runApiKeyCli(cwd, ["revoke", key.slice(0, 12)]);
    expect(revoke.code).toBe(0);
    const revokedAt = Date.now();
    let refusedAfterMs: number | undefined;
    while (Date.now() - revokedAt <= 6_000) {
      const response = await viewer(url, key);
      if (response.status === 401) {
        refusedAfterMs = Date.now() - revokedAt;
        break;
      }
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(refusedAfterMs).toBeDefined();
    expect(refusedAfterMs!).toBeLessThanOrEqual(6_000);
    await expectRevokedRefused(url, key);
  }, 60_000);
});

describe("apikey CLI errors", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [[], /no command/],
    [["create", "--role", "ROOT", "--name", "x"], /--role must be one of/],
    [["create", "--name", "x"], /--role must be one of/],
    [["create", "--role", "ADMIN"], /--name is required/],
    [["create", "--role", "ADMIN", "--name", "   "], /--name is required/],
    [["revoke"], /revoke takes one/],
    [["list", "--colour"], /--colour/],
  ])("usage error %j exits 2 with the problem and the usage on stderr", async (args, problem) => {
    const cwd = tempDir("cls-apikey-");
    const result = await runApiKeyCli(cwd, args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(problem);
    expect(result.stderr).toContain("usage:");
    expect(result.stderr).not.toContain("    at ");
    expect(result.stdout).toBe("");
    // A usage error does not touch the database.
    expect(fs.existsSync(path.join(cwd, "data"))).toBe(false);
  });

  it.each([["csk_00000000"], ["424242"]])(
    "revoke of an unknown key (%s) exits 1 with one clear stderr line",
    async (unknown) => {
      const { cwd, env } = sqliteTarget();
      await createKey(cwd, "ADMIN", "the only key", env);
      const result = await runApiKeyCli(cwd, ["revoke", unknown], env);
      expect(result.code).toBe(1);
      const lines = result.stderr.split("\n").filter((line) => line.includes(unknown));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/no api key/i);
      expect(result.stderr).not.toContain("    at ");
      expect(result.stdout).not.toMatch(/revoked/i);
      expect((await listKeys(cwd, env)).map((k) => k.status)).toEqual(["active"]);
    },
  );

  it("DATABASE_URL=postgres://x makes the CLI exit 1 with one clear line, no stack", async () => {
    const cwd = tempDir("cls-apikey-");
    for (const args of [["list"], ["create", "--role", "ADMIN", "--name", "x"]]) {
      const result = await runApiKeyCli(cwd, args, { DATABASE_URL: "postgres://x" });
      expect(result.code).toBe(1);
      const lines = result.stderr.split("\n").filter((line) => line.includes("DATABASE_URL"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('DATABASE_URL: unsupported scheme "postgres"');
      expect(result.stderr).not.toContain("    at ");
      expect(result.stdout).toBe("");
      expect(fs.existsSync(path.join(cwd, "data"))).toBe(false);
    }
  });
});

describe("API key secrets stay out of logs and results", () => {
  it("never appear in the service's log output after use, nor in apiKeys or error responses", async () => {
    const { cwd, env } = sqliteTarget();
    const admin = await createKey(cwd, "ADMIN", "settings ui", env);
    const agent = await createKey(cwd, "AGENT", "wrap-up form", env);
    const secrets = [admin, agent];
    const { url, running } = await startReadyService(cwd, {
      ...env,
      LOG_LEVEL: "trace",
      API_KEY_CACHE_SECONDS: "0",
    });

    const responses: unknown[] = [];
    const ok = await postGraphQL<{ apiKeys: Array<Record<string, unknown>> }>(
      url,
      "{ apiKeys { id name role prefix active createdAt lastUsedAt revokedAt } }",
      { key: admin },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.data?.apiKeys.map((k) => k.prefix)).toEqual([
      admin.slice(0, 12),
      agent.slice(0, 12),
    ]);
    responses.push(ok.body);
    responses.push((await viewer(url, agent)).body);
    // The agent may not list keys (an error that must not echo the caller's key).
    responses.push((await postGraphQL(url, "{ apiKeys { id } }", { key: agent })).body);
    // A wrong secret behind a real prefix, a malformed key, an unknown query: errors, not echoes.
    const wrong = `${agent.slice(0, 13)}${"A".repeat(43)}`;
    const wrongResponse = await viewer(url, wrong);
    expect(wrongResponse.status).toBe(401);
    responses.push(wrongResponse.body);
    responses.push((await viewer(url, `${admin}x`)).body);
    responses.push((await postGraphQL(url, "{ nope }", { key: admin })).body);
    // A revoked key used again.
    expect((await runApiKeyCli(cwd, ["revoke", agent.slice(0, 12)], env)).code).toBe(0);
    responses.push((await viewer(url, agent)).body);

    expect(await stopService(running)).toEqual({ code: 0, signal: null });
    const log = `${running.stdout()}\n${running.stderr()}`;
    expect(log).toContain("GraphQL API ready");
    for (const secret of [...secrets, wrong]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(13)); // the secret part alone
      for (const body of responses) expect(JSON.stringify(body)).not.toContain(secret.slice(13));
    }
    expect(log).not.toMatch(API_KEY_PATTERN);
  }, 60_000);
});
