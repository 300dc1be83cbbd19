/**
 * Fills a database with leads and calls at production volume, for benchmarks and query-plan
 * tests: set-based SQL (`INSERT … SELECT` over a generated sequence), a few statements per
 * hundred thousand rows, the same on MySQL/MariaDB and SQLite. Rows look like the service's own:
 * folded name words (and their word index) and E.164 phones (as `fullTextWords` and `toE164` make
 * them), the accounts'
 * own statuses, calls spread over time in recording order.
 */
import type { DataSource, QueryRunner } from "typeorm";
import { cliOperator } from "../access/principal";
import type { AccountService } from "../accounts/account.service";
import { withoutQueryTimeout } from "../db/data-source";

export interface VolumeOptions {
  leads: number;
  calls: number;
  /** Accounts the rows are shared among (created as `volume_1` … when missing). */
  accounts: number;
  /**
   * Every lead's first name begins with this (`VOLUME_NAME_PREFIX` letters or digits, lower
   * case): its words in the word index all start with it. Default: none (the names as always).
   */
  namePrefix?: string;
  /** Rows per INSERT statement (a power of ten wastes nothing: the sequence is made of digits). */
  chunk?: number;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface VolumeAccount {
  id: number;
  code: string;
  /** Ids of the leads written here: `firstLeadId` … `firstLeadId + leads - 1`. */
  firstLeadId: number;
  leads: number;
  calls: number;
}

/** First names: 20 × 20 syllable pairs (400 names). */
const FIRST_A = "an bel car dan el fen gal han il jo kar lin mar nor ol pet ros sal tam vic".split(
  " ",
);
const FIRST_B = "na la ra ta da sa ma ka ia ea ne ny ko vo ri te le mo zo ah".split(" ");
/** Surnames: 40 × 40 × 40 syllables (64,000 surnames: a surname names few leads at any volume). */
const LAST_A = (
  "ab bar cor dal ed fer gor hal ing jen kal lor mor nev ost pal quin rab sor tal " +
  "ul ver wal yor zan bru cle dro fla gre hro kle plo sve tro vla bor kes mun tam"
).split(" ");
const LAST_B = (
  "an ber cin dor el fin gan hor is jar kon lev man nor ov pen quar ris ston tan " +
  "ur vin wor yan zel bri cro dre fli gro kri pre sta tri vro bal kel mir nat pol"
).split(" ");
const LAST_C = (
  "son sky ova berg man ez ini ard ley ton ski dt by sen ing well more ford wood ham " +
  "lund strom vic ic ak ek as os us is rud gard holm fors dal bek aug ott ier stad"
).split(" ");

for (const [words, size] of [
  [FIRST_A, 20],
  [FIRST_B, 20],
  [LAST_A, 40],
  [LAST_B, 40],
  [LAST_C, 40],
] as const) {
  // The SQL picks a word by `n % size`: a missing word would drop the lead.
  if (words.length !== size || new Set(words).size !== size) throw new Error("syllable lists");
}

/** What `namePrefix` may be: folded as `fullTextWords` folds (one word), ASCII, at most 32. */
export const VOLUME_NAME_PREFIX = /^[a-z0-9]{1,32}$/;

/**
 * The generated name of the lead numbered `n` (0-based, per account), as the SQL builds it;
 * `namePrefix` as given to `seedVolume`.
 */
export function volumeLeadName(n: number, namePrefix = ""): { first: string; last: string } {
  const first = cap(namePrefix + FIRST_A[n % 20] + FIRST_B[Math.floor(n / 20) % 20]);
  const m = Math.floor(n / 7) * 7919 + n; // spreads surnames over the lead numbers
  const last = cap(
    LAST_A[m % 40] + LAST_B[Math.floor(m / 40) % 40] + LAST_C[Math.floor(m / 1600) % 40],
  );
  return { first, last };
}

/** The generated E.164 phone of the lead numbered `n` of the account numbered `a` (0-based). */
export function volumeLeadPhone(a: number, n: number): string {
  return `+1${2000000000 + a * 50_000_000 + n}`;
}

/** The generated external id of the lead numbered `n` of account `code`. */
export function volumeLeadExternalId(code: string, n: number): string {
  return `${code}-lead-${n}`;
}

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Seeds `options.leads` leads and `options.calls` calls over `options.accounts` accounts. */
export async function seedVolume(
  dataSource: DataSource,
  accountService: AccountService,
  options: VolumeOptions,
): Promise<VolumeAccount[]> {
  const chunk = options.chunk ?? 100_000;
  const namePrefix = options.namePrefix ?? "";
  if (namePrefix !== "" && !VOLUME_NAME_PREFIX.test(namePrefix)) {
    throw new Error(`namePrefix must match ${String(VOLUME_NAME_PREFIX)}`);
  }
  const progress = options.progress ?? (() => undefined);
  const accounts = await volumeAccounts(accountService, options.accounts);
  const sql = dialect(dataSource);
  const runner = dataSource.createQueryRunner("master");
  const seeded: VolumeAccount[] = [];
  try {
    await withoutQueryTimeout(dataSource, async () => {
      await prepare(runner, sql);
      for (const [a, account] of accounts.entries()) {
        const leads = share(options.leads, options.accounts, a);
        const calls = share(options.calls, options.accounts, a);
        const started = Date.now();
        const firstLeadId = await seedLeads(runner, sql, account, a, leads, chunk, namePrefix);
        await seedCalls(runner, sql, account.id, firstLeadId, leads, calls, chunk);
        seeded.push({ id: account.id, code: account.code, firstLeadId, leads, calls });
        progress(
          `${account.code}: ${leads} leads, ${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      await finish(runner, sql);
    });
  } finally {
    await runner.release();
  }
  return seeded;
}

/** The `i`-th of `parts` shares of `total` (the first ones take the remainder). */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

async function volumeAccounts(service: AccountService, count: number) {
  const platform = cliOperator(null);
  const existing = new Map((await service.list(platform)).map((a) => [a.code, a]));
  const accounts = [];
  for (let i = 1; i <= count; i += 1) {
    const code = `volume_${i}`;
    accounts.push(
      existing.get(code) ?? (await service.create({ code, name: `Volume ${i}` }, platform)),
    );
  }
  return accounts;
}

interface Dialect {
  mysql: boolean;
  concat: (...parts: string[]) => string;
  /** Integer division. */
  div: (a: string, b: string | number) => string;
  /** `start` (a bound 'YYYY-MM-DD HH:MM:SS') plus `seconds`, as the service stores times. */
  addSeconds: (start: string, seconds: string) => string;
}

function dialect(dataSource: DataSource): Dialect {
  const mysql = dataSource.options.type !== "better-sqlite3";
  return mysql
    ? {
        mysql,
        concat: (...parts) => `CONCAT(${parts.join(", ")})`,
        div: (a, b) => `(${a} DIV ${b})`,
        addSeconds: (start, seconds) => `(${start} + INTERVAL ${seconds} SECOND)`,
      }
    : {
        mysql,
        concat: (...parts) => `(${parts.join(" || ")})`,
        div: (a, b) => `(${a} / ${b})`,
        // TypeORM writes SQLite times with milliseconds; the generated ones look the same.
        addSeconds: (start, seconds) =>
          `strftime('%Y-%m-%d %H:%M:%S.000', ${start}, '+' || ${seconds} || ' seconds')`,
      };
}

/** Work tables: the digits (a sequence is their cross product) and the name syllables. */
async function prepare(runner: QueryRunner, sql: Dialect): Promise<void> {
  const temporary = sql.mysql ? "CREATE TEMPORARY TABLE" : "CREATE TEMP TABLE";
  if (sql.mysql) {
    // Every reference the generator writes exists; checking each one doubles the time.
    await runner.query("SET SESSION foreign_key_checks = 0, unique_checks = 0");
  }
  await runner.query(`${temporary} seed_digits (d INTEGER NOT NULL)`);
  await runner.query(
    `INSERT INTO seed_digits (d) VALUES ${Array.from({ length: 10 }, (_, d) => `(${d})`).join(", ")}`,
  );
  for (const [name, words] of [
    ["seed_first_a", FIRST_A],
    ["seed_first_b", FIRST_B],
    ["seed_last_a", LAST_A],
    ["seed_last_b", LAST_B],
    ["seed_last_c", LAST_C],
  ] as const) {
    await runner.query(
      `${temporary} ${name} (i INTEGER NOT NULL PRIMARY KEY, w VARCHAR(16) NOT NULL)`,
    );
    await runner.query(
      `INSERT INTO ${name} (i, w) VALUES ${words.map((word, i) => `(${i}, '${word}')`).join(", ")}`,
    );
  }
}

async function finish(runner: QueryRunner, sql: Dialect): Promise<void> {
  for (const name of [
    "seed_digits",
    "seed_first_a",
    "seed_first_b",
    "seed_last_a",
    "seed_last_b",
    "seed_last_c",
  ]) {
    await runner.query(`DROP ${sql.mysql ? "TEMPORARY " : ""}TABLE IF EXISTS ${name}`);
  }
  // Fresh statistics, so that the planners see the tables as they now are.
  if (sql.mysql) {
    await runner.query("SET SESSION foreign_key_checks = 1, unique_checks = 1");
    await runner.query("ANALYZE TABLE leads, lead_name_words, calls");
  } else {
    await runner.query("ANALYZE");
  }
}

/** `SELECT n` for n from 0 to 10^digits − 1 (as `seq.n`). */
function sequence(digits: number): string {
  const columns = Array.from({ length: digits }, (_, i) => `d${i}.d * ${10 ** i}`).join(" + ");
  const tables = Array.from({ length: digits }, (_, i) => `seed_digits d${i}`).join(" CROSS JOIN ");
  return `(SELECT ${columns} AS n FROM ${tables})`;
}

function digitsFor(count: number): number {
  return Math.max(1, Math.ceil(Math.log10(Math.max(count, 2))));
}

async function seedLeads(
  runner: QueryRunner,
  sql: Dialect,
  account: { id: number; code: string },
  accountIndex: number,
  leads: number,
  chunk: number,
  namePrefix: string,
): Promise<number> {
  const status = await statusId(runner, "lead_statuses", account.id, "new");
  // Explicit ids, one after another: the calls below refer to the leads by arithmetic, and
  // AUTO_INCREMENT leaves gaps between bulk inserts (and steps by the node count on Galera).
  const [last]: Array<{ id: number | string | null }> = await runner.query(
    "SELECT MAX(id) AS id FROM leads",
  );
  const firstId = Number(last?.id ?? 0) + 1;
  // As TypeORM writes times: with milliseconds on SQLite.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000)
    .toISOString()
    .slice(0, sql.mysql ? 19 : 23)
    .replace("T", " ");
  const phoneBase = 2_000_000_000 + accountIndex * 50_000_000;
  for (let offset = 0; offset < leads; offset += chunk) {
    const size = Math.min(chunk, leads - offset);
    const n = `(seq.n + ${offset})`;
    const m = `(${sql.div(n, 7)} * 7919 + ${n})`;
    // The prefix is a literal: VOLUME_NAME_PREFIX lets through letters and digits only.
    const first = namePrefix
      ? sql.concat(`'${namePrefix}'`, "fa.w", "fb.w")
      : sql.concat("fa.w", "fb.w");
    const last = sql.concat("la.w", "lb.w", "lc.w");
    const phone = sql.concat("'+1'", `(${phoneBase} + ${n})`);
    await runner.query(
      `INSERT INTO leads (id, account_id, external_id, phone, phone_e164, name, search_name,
                          status_id, created_at, updated_at, version)
       SELECT ? + ${n}, ?, ${sql.concat("?", n)}, ${phone}, ${phone},
              ${sql.concat(`UPPER(SUBSTR(${first}, 1, 1))`, `SUBSTR(${first}, 2)`, "' '", `UPPER(SUBSTR(${last}, 1, 1))`, `SUBSTR(${last}, 2)`)},
              ${sql.concat(first, "' '", last)}, ?, ?, ?, 1
       FROM ${sequence(digitsFor(size))} seq
       JOIN seed_first_a fa ON fa.i = ${n} % 20
       JOIN seed_first_b fb ON fb.i = ${sql.div(n, 20)} % 20
       JOIN seed_last_a la ON la.i = ${m} % 40
       JOIN seed_last_b lb ON lb.i = ${sql.div(m, 40)} % 40
       JOIN seed_last_c lc ON lc.i = ${sql.div(m, 1600)} % 40
       WHERE seq.n < ?
       ORDER BY seq.n`,
      [firstId, account.id, `${account.code}-lead-`, status, now, now, size],
    );
    // The word index of the names (as `LeadRepository.insert` writes it): both words, each once.
    const [from, to] = [firstId + offset, firstId + offset + size - 1];
    const space = "INSTR(search_name, ' ')";
    await runner.query(
      `INSERT INTO lead_name_words (account_id, lead_id, word)
       SELECT account_id, id, SUBSTR(search_name, 1, ${space} - 1) FROM leads
       WHERE id BETWEEN ? AND ?
       UNION
       SELECT account_id, id, SUBSTR(search_name, ${space} + 1) FROM leads
       WHERE id BETWEEN ? AND ?`,
      [from, to, from, to],
    );
  }
  return firstId;
}

/**
 * Calls in recording order over the last year (times rise with the ids, a few per second at
 * most), each for one of the account's leads — spread so that every lead gets about
 * `calls / leads` of them — with one of the account's seven system call statuses.
 */
async function seedCalls(
  runner: QueryRunner,
  sql: Dialect,
  accountId: number,
  firstLeadId: number,
  leads: number,
  calls: number,
  chunk: number,
): Promise<void> {
  if (leads === 0 || calls === 0) return;
  const statuses: Array<{ id: number | string }> = await runner.query(
    "SELECT id FROM call_statuses WHERE account_id = ? AND type = 'SYSTEM' ORDER BY id",
    [accountId],
  );
  const temporary = sql.mysql ? "CREATE TEMPORARY TABLE" : "CREATE TEMP TABLE";
  await runner.query(`DROP ${sql.mysql ? "TEMPORARY " : ""}TABLE IF EXISTS seed_statuses`);
  await runner.query(
    `${temporary} seed_statuses (i INTEGER NOT NULL PRIMARY KEY, id INTEGER NOT NULL)`,
  );
  await runner.query(
    `INSERT INTO seed_statuses (i, id) VALUES ${statuses.map((s, i) => `(${i}, ${Number(s.id)})`).join(", ")}`,
  );
  const span = 365 * 24 * 3600;
  const start = new Date(Date.now() - span * 1000).toISOString().slice(0, 19).replace("T", " ");
  for (let offset = 0; offset < calls; offset += chunk) {
    const size = Math.min(chunk, calls - offset);
    const n = `(seq.n + ${offset})`;
    await runner.query(
      `INSERT INTO calls (account_id, lead_id, call_status_id, comment, after_call_transfer,
                          next_call_at, lead_status_changed, recorded_by_role, recorded_by,
                          created_at)
       SELECT ?, ? + (${n} * 7919) % ?, st.id, NULL, 0, NULL, 0, 'SYSTEM', 'seed:volume',
              ${sql.addSeconds("?", sql.div(`${n} * ${span}`, calls))}
       FROM ${sequence(digitsFor(size))} seq
       JOIN seed_statuses st ON st.i = ${n} % ${statuses.length}
       WHERE seq.n < ?
       ORDER BY seq.n`,
      [accountId, firstLeadId, leads, start, size],
    );
  }
}

async function statusId(runner: QueryRunner, table: string, accountId: number, code: string) {
  const [row]: Array<{ id: number | string }> = await runner.query(
    `SELECT id FROM ${table} WHERE account_id = ? AND code = ?`,
    [accountId, code],
  );
  if (!row) throw new Error(`account ${accountId} has no ${table} row with code ${code}`);
  return Number(row.id);
}
