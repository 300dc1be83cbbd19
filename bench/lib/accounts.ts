/**
 * The accounts scenario's data: many accounts, each with its own keys and status lists, created
 * through the service's API with a PLATFORM key — except, for speed, the statuses of most
 * accounts, which are copied from the first account's with set-based SQL (see `copyStatuses`).
 * Also what the scenario's two modules share (scenarios/accounts.ts, accounts-statements.ts):
 * the seeded accounts, one checked request per account, the refresh intervals.
 */
import { DataSource } from "typeorm";
import type { Bench } from "./bench";
import { batched } from "./fixtures";
import type { AccountsResult } from "./results";
import { inParallel } from "./util";

/** STATUS_CACHE_REFRESH_MS of the services under test (the default: the runner's is not passed). */
export const REFRESH_MS = 1000;

/**
 * STATUS_CACHE_REFRESH_MS of the accounts run in which every account stays confirmed current
 * between two of its requests (the per-account cache path alone).
 */
export const LONG_REFRESH_MS = 60_000;

/** The accounts scenario's database, keys and expected answers. */
export interface SeededAccounts {
  databaseUrl: string;
  codes: string[];
  /** One AI_AGENT key per account, in the order of `codes`. */
  aiKeys: string[];
  /** Statuses in each answer. */
  items: number;
  seeding: AccountsResult["seeding"];
  /** Each account's answer, byte for byte (filled by the run that caches every account). */
  expected: string[];
  label: string;
}

/** `bench_0000`, `bench_0001`, … (the service's account code rule: `a-z`, `0-9`, `_`). */
export function accountCode(index: number): string {
  return `bench_${String(index).padStart(4, "0")}`;
}

/** Creates `count` accounts as the platform operator (each with the system statuses). */
export async function createAccounts(
  url: string,
  platformKey: string,
  count: number,
): Promise<string[]> {
  const inputs = Array.from({ length: count }, (_, i) => ({
    code: accountCode(i),
    name: `Bench call centre ${i + 1}`,
  }));
  const created = await batched(
    url,
    platformKey,
    "createAccount",
    "CreateAccountInput",
    "{ code }",
    inputs,
  );
  return created.map((account) => String(account.code));
}

/** One key of `role` for each account, created by the platform operator; returns the secrets. */
export async function createAccountKeys(
  url: string,
  platformKey: string,
  codes: string[],
  role: "ADMIN" | "AI_AGENT",
): Promise<string[]> {
  const inputs = codes.map((accountCode) => ({
    name: `bench ${role.toLowerCase()}`,
    role,
    accountCode,
  }));
  const keys = await batched(
    url,
    platformKey,
    "createApiKey",
    "CreateApiKeyInput",
    "{ secret }",
    inputs,
  );
  return keys.map((key) => String(key.secret));
}

export interface CopyResult {
  accounts: number;
  leadStatuses: number;
  callStatuses: number;
  seconds: number;
}

/**
 * BENCHMARK SHORTCUT, not the service's write path: copies the CUSTOM lead and call statuses of
 * the account `template` (created through the API) to each account in `targets`, with set-based
 * SQL on the SQLite file while no service runs on it. Every column is copied as stored (code,
 * title, sort, version, timestamps); each call status's lead status is the target account's own
 * one with the same code; ids come from the tables' sequences, in the template's order. Each
 * target's status revision is bumped, as a change through the API does; no audit entries are
 * written. Refuses to touch an account that already has custom statuses.
 */
export async function copyStatuses(
  sqliteFile: string,
  template: string,
  targets: string[],
): Promise<CopyResult> {
  const started = Date.now();
  const source = new DataSource({ type: "better-sqlite3", database: sqliteFile });
  await source.initialize();
  try {
    return await source.transaction(async (manager) => {
      const [templateRow] = (await manager.query("SELECT id FROM accounts WHERE code = ?", [
        template,
      ])) as Array<{ id: number }>;
      if (!templateRow) throw new Error(`copyStatuses: no account ${template}`);
      await manager.query("CREATE TEMP TABLE bench_targets (id INTEGER PRIMARY KEY)");
      for (let start = 0; start < targets.length; start += 500) {
        const chunk = targets.slice(start, start + 500);
        await manager.query(
          `INSERT INTO bench_targets (id) SELECT id FROM accounts WHERE code IN (${chunk.map(() => "?").join(", ")})`,
          chunk,
        );
      }
      const [{ n: found }] = (await manager.query(
        "SELECT COUNT(*) AS n FROM bench_targets",
      )) as Array<{ n: number }>;
      if (Number(found) !== targets.length) {
        throw new Error(`copyStatuses: ${found} of ${targets.length} target accounts exist`);
      }
      const [{ n: taken }] = (await manager.query(
        "SELECT COUNT(*) AS n FROM call_statuses WHERE type = 'CUSTOM' AND account_id IN (SELECT id FROM bench_targets)",
      )) as Array<{ n: number }>;
      if (Number(taken) > 0) throw new Error("copyStatuses: target accounts have custom statuses");

      await manager.query(
        `INSERT INTO lead_statuses
           (account_id, code, title, category, sort, color, type, created_at, updated_at, version)
         SELECT a.id, t.code, t.title, t.category, t.sort, t.color, t.type, t.created_at,
                t.updated_at, t.version
         FROM bench_targets a CROSS JOIN lead_statuses t
         WHERE t.account_id = ? AND t.type = 'CUSTOM'
         ORDER BY a.id, t.id`,
        [templateRow.id],
      );
      await manager.query(
        `INSERT INTO call_statuses
           (account_id, code, title, description, sort, comment_required, planning_time_required,
            lead_status_id, type, agent_visibility, show_to_ai_agents, created_at, updated_at,
            version)
         SELECT a.id, t.code, t.title, t.description, t.sort, t.comment_required,
                t.planning_time_required, own.id, t.type, t.agent_visibility,
                t.show_to_ai_agents, t.created_at, t.updated_at, t.version
         FROM bench_targets a CROSS JOIN call_statuses t
         LEFT JOIN lead_statuses linked ON linked.id = t.lead_status_id
         LEFT JOIN lead_statuses own ON own.account_id = a.id AND own.code = linked.code
         WHERE t.account_id = ? AND t.type = 'CUSTOM'
         ORDER BY a.id, t.id`,
        [templateRow.id],
      );
      await manager.query(
        "UPDATE status_revision SET revision = revision + 1 WHERE account_id IN (SELECT id FROM bench_targets)",
      );
      // Every target now has exactly the template's statuses, each linked like the template's.
      const counts = (await manager.query(
        `SELECT
           (SELECT COUNT(*) FROM lead_statuses WHERE account_id IN (SELECT id FROM bench_targets)
              AND type = 'CUSTOM') AS leads,
           (SELECT COUNT(*) FROM call_statuses WHERE account_id IN (SELECT id FROM bench_targets)
              AND type = 'CUSTOM') AS calls,
           (SELECT COUNT(*) FROM lead_statuses WHERE account_id = ? AND type = 'CUSTOM') AS tl,
           (SELECT COUNT(*) FROM call_statuses WHERE account_id = ? AND type = 'CUSTOM') AS tc,
           (SELECT COUNT(*) FROM call_statuses c JOIN lead_statuses l ON l.id = c.lead_status_id
              WHERE c.account_id IN (SELECT id FROM bench_targets)
                AND l.account_id <> c.account_id) AS foreign_links,
           (SELECT COUNT(*) FROM call_statuses WHERE account_id IN (SELECT id FROM bench_targets)
              AND lead_status_id IS NOT NULL AND type = 'CUSTOM') AS links,
           (SELECT COUNT(*) FROM call_statuses WHERE account_id = ? AND lead_status_id IS NOT NULL
              AND type = 'CUSTOM') AS tclinks`,
        [templateRow.id, templateRow.id, templateRow.id],
      )) as Array<Record<string, number>>;
      const c = Object.fromEntries(Object.entries(counts[0]).map(([k, v]) => [k, Number(v)]));
      const n = targets.length;
      if (
        c.leads !== n * c.tl ||
        c.calls !== n * c.tc ||
        c.foreign_links !== 0 ||
        c.links !== n * c.tclinks
      ) {
        throw new Error(`copyStatuses: the copy is not what it should be: ${JSON.stringify(c)}`);
      }
      await manager.query("DROP TABLE bench_targets");
      return {
        accounts: n,
        leadStatuses: c.leads,
        callStatuses: c.calls,
        seconds: (Date.now() - started) / 1000,
      };
    });
  } finally {
    await source.destroy();
  }
}

/** A response without what differs between accounts holding the same statuses: ids and times. */
export function withoutIdsAndTimes(body: string): string {
  return body
    .replace(/"id":"\d+"/g, '"id":"#"')
    .replace(/"(createdAt|updatedAt)":"[^"]*"/g, '"$1":"#"');
}

/** Tables an SQL statement reads or writes, for counting statements by purpose. */
export const SQL_KINDS = [
  ["api key look-up", /^SELECT[\s\S]*FROM "api_keys"/],
  ["api key last use", /^UPDATE "api_keys"/],
  ["status revision", /"status_revision"/],
  ["lead statuses", /^SELECT[\s\S]*FROM "lead_statuses"/],
  ["call statuses", /^SELECT[\s\S]*FROM "call_statuses"/],
] as const;

export type SqlKind = (typeof SQL_KINDS)[number][0] | "other";

/** What a statement is for (see SQL_KINDS). */
export function sqlKind(sql: string): SqlKind {
  for (const [kind, pattern] of SQL_KINDS) if (pattern.test(sql)) return kind;
  return "other";
}

/** One request for each account, 10 at a time, each answer checked. */
export async function everyAccountOnce(
  bench: Bench,
  url: string,
  seeded: SeededAccounts,
): Promise<void> {
  const { codes, aiKeys, items, expected } = seeded;
  await inParallel(
    Array.from({ length: codes.length }, (_, i) => i),
    bench.options.connections,
    async (i) => {
      const reply = await bench.verifyRead(url, aiKeys[i], items, `accounts ${codes[i]}`);
      if (reply.body !== expected[i]) throw new Error(`accounts: ${codes[i]} answered otherwise`);
    },
  );
}
