/**
 * Accounts: the platform operator's operations and tools, what a new account starts with, who may
 * create which keys, and how tokens name their account.
 */
import path from "node:path";
import { SignJWT } from "jose";
import { acrossAccounts } from "../../src/db/account-scope";
import { cliOperator, Role } from "../../src/access/principal";
import { ApiKeyService } from "../../src/auth/api-key.service";
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
} from "../support/processes";
import { describeEachDatabaseKind, expectError, TestServer } from "../support/harness";

const JWT_SECRET = "a-shared-secret-of-at-least-32-bytes!";
const ACCOUNT_CLI = path.join(REPO_ROOT, "dist", "src", "cli", "account.js");

function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "user-1", iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(JWT_SECRET));
}

describeEachDatabaseKind("accounts", (kind) => {
  const server = new TestServer(kind);
  let platform: Record<string, string>;
  beforeAll(async () => {
    await server.start({
      auth: {
        apiKeyCacheSeconds: 5,
        jwt: {
          secret: JWT_SECRET,
          roleClaim: "role",
          accountClaim: "account",
          maxAgeSeconds: 3600,
          // The token test below signs PLATFORM tokens: refused unless this is on.
          allowPlatformRole: true,
        },
      },
    });
    const { secret } = await acrossAccounts("test setup", () =>
      server.app.container
        .get(ApiKeyService)
        .create({ name: "platform", role: Role.PLATFORM }, cliOperator(null)),
    );
    platform = { "x-api-key": secret };
  });
  afterAll(() => server.stop());

  const createAccount = async (input: Record<string, unknown>) =>
    (
      await server.ok<{
        createAccount: { id: string; code: string; name: string; active: boolean };
      }>(
        `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id code name active } }`,
        { input },
        platform,
      )
    ).createAccount;

  const keyFor = async (accountCode: string, role = "ADMIN") =>
    (
      await server.ok<{ createApiKey: { secret: string } }>(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
        { input: { name: `${role} of ${accountCode}`, role, accountCode } },
        platform,
      )
    ).createApiKey.secret;

  it("starts the quick-start account as `default`, and the bootstrap key acts in it", async () => {
    const { viewer } = await server.ok<{ viewer: { account: { code: string } } }>(
      `{ viewer { account { code } } }`,
    );
    expect(viewer.account.code).toBe("default");
    const { accounts } = await server.ok<{ accounts: Array<{ code: string }> }>(
      `{ accounts { code } }`,
      undefined,
      platform,
    );
    expect(accounts.map((a) => a.code)).toContain("default");
  });

  it("creates an account with the system statuses, deriving its code from the name", async () => {
    const account = await createAccount({ name: "Acme Call Centre" });
    expect(account).toMatchObject({ code: "acme_call_centre", active: true });
    const key = await keyFor(account.code);
    const data = await server.ok<{
      callStatuses: Array<{ code: string; type: string }>;
      leadStatuses: Array<{ code: string }>;
      viewer: { role: string; account: { code: string } };
    }>(
      `{ callStatuses { code type } leadStatuses { code } viewer { role account { code } } }`,
      undefined,
      { "x-api-key": key },
    );
    expect(data.callStatuses).toHaveLength(7);
    expect(data.callStatuses.every((s) => s.type === "SYSTEM")).toBe(true);
    expect(data.leadStatuses.map((s) => s.code)).toEqual([
      "new",
      "in_progress",
      "qualified",
      "disqualified",
    ]);
    expect(data.viewer).toEqual({ role: "ADMIN", account: { code: account.code } });
  });

  it("refuses a taken account code with CONFLICT, and account operations to anyone but PLATFORM", async () => {
    await createAccount({ code: "taken_code", name: "First" });
    expectError(
      await server.gql(
        `mutation { createAccount(input: { code: "taken_code", name: "Second" }) { id } }`,
        undefined,
        platform,
      ),
      "CONFLICT",
      "code",
    );
    expectError(await server.gql(`{ accounts { code } }`), "FORBIDDEN");
    expectError(
      await server.gql(`mutation { createAccount(input: { name: "By an admin" }) { id } }`),
      "FORBIDDEN",
    );
    // PLATFORM reads no account's data.
    expectError(await server.gql(`{ callStatuses { code } }`, undefined, platform), "FORBIDDEN");
  });

  it("turns an account off (its keys answer 401) and on again", async () => {
    const account = await createAccount({ name: "Sleepy" });
    const key = { "x-api-key": await keyFor(account.code, "AGENT") };
    expect((await server.gql(`{ viewer { role } }`, undefined, key)).status).toBe(200);
    const off = await server.ok<{ updateAccount: { active: boolean } }>(
      `mutation($id: ID!) { updateAccount(id: $id, input: { active: false }) { active } }`,
      { id: account.id },
      platform,
    );
    expect(off.updateAccount.active).toBe(false);
    const refused = await server.gql(`{ viewer { role } }`, undefined, key);
    expect(refused.status).toBe(401);
    expectError(refused, "UNAUTHENTICATED");
    // The default account is unaffected.
    expect((await server.gql(`{ viewer { role } }`)).status).toBe(200);
    await server.ok(
      `mutation($id: ID!) { updateAccount(id: $id, input: { active: true, name: "Awake" }) { id } }`,
      { id: account.id },
      platform,
    );
    expect((await server.gql(`{ viewer { role } }`, undefined, key)).status).toBe(200);
  });

  it("lets an ADMIN create keys of its own account only, never PLATFORM keys", async () => {
    const other = await createAccount({ name: "Other" });
    const create = (input: Record<string, unknown>) =>
      server.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { role } } }`,
        { input: { name: "k", ...input } },
      );
    expectError(
      await create({ role: "AGENT", accountCode: other.code }),
      "BAD_USER_INPUT",
      "accountCode",
    );
    expectError(await create({ role: "PLATFORM" }), "FORBIDDEN");
    const own = await create({ role: "AGENT", accountCode: "default" });
    expect(own.errors).toBeUndefined();
    // PLATFORM must name the account (except for a PLATFORM key), and an existing one.
    const asPlatform = (input: Record<string, unknown>) =>
      server.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
        { input: { name: "k", ...input } },
        platform,
      );
    expectError(await asPlatform({ role: "ADMIN" }), "BAD_USER_INPUT", "accountCode");
    expectError(
      await asPlatform({ role: "ADMIN", accountCode: "no_such_account" }),
      "BAD_USER_INPUT",
      "accountCode",
    );
    expectError(
      await asPlatform({ role: "PLATFORM", accountCode: other.code }),
      "BAD_USER_INPUT",
      "accountCode",
    );
  });

  it("puts a token in the account its account claim names, or in `default` when it names none", async () => {
    const account = await createAccount({ name: "Token Town" });
    const viewerOf = async (claims: Record<string, unknown>) =>
      server.gql<{ viewer: { role: string; account: { code: string } | null } }>(
        `{ viewer { role account { code } } }`,
        undefined,
        { authorization: `Bearer ${await token(claims)}` },
      );
    expect((await viewerOf({ role: "AGENT", account: account.code })).data?.viewer.account).toEqual(
      { code: account.code },
    );
    expect((await viewerOf({ role: "AGENT" })).data?.viewer.account).toEqual({ code: "default" });
    expect((await viewerOf({ role: "AGENT", account: "nowhere" })).status).toBe(401);
    expect((await viewerOf({ role: "PLATFORM", account: account.code })).status).toBe(401);
    expect((await viewerOf({ role: "PLATFORM" })).data?.viewer).toEqual({
      role: "PLATFORM",
      account: null,
    });
    expect((await viewerOf({ role: "platform" })).data?.viewer.role).toBe("PLATFORM");
  });
});

describe("account and apikey command-line tools", () => {
  afterEach(cleanupProcesses);
  beforeAll(() => requireBuild(MAIN, APIKEY_CLI, ACCOUNT_CLI));

  it("creates and lists accounts, and keys for them that act in them", async () => {
    const cwd = tempDir("cls-accounts-");
    const env = { DATABASE_URL: `sqlite:${path.join(cwd, "x.db")}` };
    const created = await runProcess(
      process.execPath,
      [ACCOUNT_CLI, "create", "--code", "acme", "--name", "Acme"],
      cwd,
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout.trim().split("\n").pop()).toBe("acme");

    const listed = await runProcess(process.execPath, [ACCOUNT_CLI, "list"], cwd, env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/\tdefault\tactive\t/);
    expect(listed.stdout).toMatch(/\tacme\tactive\t.*\tAcme/);

    const usage = await runProcess(process.execPath, [ACCOUNT_CLI, "create"], cwd, env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--name is required/);

    const keyRun = await runApiKeyCli(
      cwd,
      ["create", "--role", "ADMIN", "--name", "ui", "--account", "acme"],
      env,
    );
    expect(keyRun.code).toBe(0);
    const key = keyRun.stdout.trim().split("\n").pop()!;
    expect(key).toMatch(API_KEY_PATTERN);
    const unknown = await runApiKeyCli(
      cwd,
      ["create", "--role", "ADMIN", "--name", "ui", "--account", "nope"],
      env,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No account with code "nope"/);

    // PLATFORM keys belong to no account; the tool revokes any key by its prefix.
    const platformKeys: string[] = [];
    for (const name of ["ops", "leaked"]) {
      const run = await runApiKeyCli(cwd, ["create", "--role", "PLATFORM", "--name", name], env);
      expect(run.code).toBe(0);
      platformKeys.push(run.stdout.trim().split("\n").pop()!);
    }
    const withAccount = await runApiKeyCli(
      cwd,
      ["create", "--role", "PLATFORM", "--name", "x", "--account", "acme"],
      env,
    );
    expect(withAccount.code).toBe(2);
    const revoked = await runApiKeyCli(cwd, ["revoke", platformKeys[1].slice(0, 12)], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^Revoked API key \d+ \(csk_[0-9a-f]{8}, "leaked"\)/);

    const service = await startReadyService(cwd, env);
    try {
      const accounts = await postGraphQL<{ accounts: Array<{ code: string }> }>(
        service.url,
        `{ accounts { code } }`,
        { key: platformKeys[0] },
      );
      expect(accounts.body.data?.accounts.map((a) => a.code)).toEqual(["default", "acme"]);
      const refused = await postGraphQL(service.url, `{ accounts { code } }`, {
        key: platformKeys[1],
      });
      expect(refused.status).toBe(401);
      const result = await postGraphQL<{ viewer: { account: { code: string } } }>(
        service.url,
        `{ viewer { account { code } } }`,
        { key },
      );
      expect(result.body.data?.viewer.account.code).toBe("acme");
    } finally {
      await stopService(service.running);
    }
  });
});
