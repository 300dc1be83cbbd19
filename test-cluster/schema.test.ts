/**
 * What Galera requires of the schema and of the code, checked on the running cluster where that
 * is possible and in the source where it is not:
 * - a primary key on every table, every table InnoDB (Galera replicates nothing else);
 * - the migrations, run once through HAProxy (the global setup), built the same schema on every
 *   node: their DDL replicated under total-order isolation (TOI);
 * - nothing relies on consecutive auto-increment values (each node hands out every third id);
 * - no table locks or named locks (neither is replicated).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  clusterState,
  GQL,
  HAPROXY_PORT,
  NODES,
  ok,
  queryOn,
  REPO_ROOT,
  report,
  type NodeNumber,
} from "./support/cluster";

const state = clusterState();
const db = state.database;

interface TableRow {
  name: string;
  engine: string;
  primaryKeyColumns: number;
}

async function tables(node: NodeNumber): Promise<TableRow[]> {
  return queryOn<TableRow[]>(
    node,
    `SELECT t.TABLE_NAME AS name, t.ENGINE AS engine,
            (SELECT COUNT(*) FROM information_schema.KEY_COLUMN_USAGE k
              WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
                AND k.CONSTRAINT_NAME = 'PRIMARY') AS primaryKeyColumns
       FROM information_schema.TABLES t
      WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY t.TABLE_NAME`,
    [db],
  );
}

/** Every table's definition as the node shows it (the auto-increment counters left out). */
async function definitions(node: NodeNumber): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of await tables(node)) {
    const [row] = await queryOn<Array<Record<string, string>>>(
      node,
      `SHOW CREATE TABLE \`${table.name}\``,
      [],
      db,
    );
    result[table.name] = row["Create Table"].replace(/ AUTO_INCREMENT=\d+/, "");
  }
  return result;
}

/** Every .ts file under `dir` (relative to the repository). */
function sourceFiles(dir: string): Array<{ file: string; text: string }> {
  const root = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({
      file: path.join(dir, file),
      text: fs.readFileSync(path.join(root, file), "utf8"),
    }));
}

const CODE = [...sourceFiles("src"), ...sourceFiles("migrations")];

/** A PLATFORM key from the compiled CLI, on the cluster's database through HAProxy. */
function platformKey(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        path.join(REPO_ROOT, "dist", "src", "cli", "apikey.js"),
        "create",
        "--role",
        "PLATFORM",
        "--name",
        "cluster ops",
      ],
      {
        cwd: path.dirname(state.instances.haproxy.log),
        env: {
          PATH: process.env.PATH,
          LOG_LEVEL: "silent",
          DATABASE_URL: `mariadb://root@127.0.0.1:${HAPROXY_PORT}/${db}`,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const key = /csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/.exec(stdout)?.[0];
        if (error || !key) reject(new Error(`apikey create failed: ${stdout}${stderr}`));
        else resolve(key);
      },
    );
  });
}

/**
 * The system call statuses of a new account link the lead statuses the seed names, in the same
 * account, exactly as in the default account (made by the migrations with explicit codes).
 */
async function expectSeededLinks(accountCode: string): Promise<void> {
  const linksOf = (where: string, params: unknown[]) =>
    queryOn<Array<{ call: string; lead: string | null; sameAccount: number | null }>>(
      "haproxy",
      `SELECT c.code AS \`call\`, l.code AS lead, (l.account_id = c.account_id) AS sameAccount
         FROM call_statuses c LEFT JOIN lead_statuses l ON l.id = c.lead_status_id
         JOIN accounts a ON a.id = c.account_id
        WHERE c.type = 'SYSTEM' AND ${where} ORDER BY c.code`,
      params,
      db,
    );
  const links = await linksOf("a.code = ?", [accountCode]);
  expect(links.length).toBe(7);
  for (const link of links) if (link.lead !== null) expect(Number(link.sameAccount)).toBe(1);
  const expected = await linksOf("a.id = 1", []);
  expect(links.map(({ call, lead }) => [call, lead])).toEqual(
    expected.map(({ call, lead }) => [call, lead]),
  );
}

describe("the schema on a Galera cluster", () => {
  it("gives every table a primary key and InnoDB, on every node", async () => {
    const perNode = await Promise.all(NODES.map((node) => tables(node)));
    for (const rows of perNode) {
      expect(rows.map((row) => row.name)).toEqual(perNode[0].map((row) => row.name));
      expect(rows.length).toBeGreaterThanOrEqual(9);
      for (const row of rows) {
        expect({ table: row.name, engine: row.engine }).toEqual({
          table: row.name,
          engine: "InnoDB",
        });
        expect({ table: row.name, hasPrimaryKey: Number(row.primaryKeyColumns) > 0 }).toEqual({
          table: row.name,
          hasPrimaryKey: true,
        });
      }
    }
    report("schema", { tables: perNode[0].length, withPrimaryKey: perNode[0].length });
  });

  it("was migrated through HAProxy into the same definitions on all three nodes (DDL under TOI)", async () => {
    const [osuMethod] = await queryOn<Array<{ method: string }>>(
      1,
      "SELECT @@GLOBAL.wsrep_OSU_method AS method",
    );
    expect(osuMethod.method).toBe("TOI");
    const migrations = await queryOn<Array<{ name: string }>>(
      "haproxy",
      "SELECT name FROM migrations ORDER BY id",
      [],
      db,
    );
    // Every migration file (`<timestamp>-<Name>.ts`; `index.ts` lists them) was applied.
    const migrationFiles = sourceFiles("migrations").filter(({ file }) =>
      /^\d+-/.test(path.basename(file)),
    );
    expect(migrations.length).toBe(migrationFiles.length);
    const [first, second, third] = await Promise.all(NODES.map((node) => definitions(node)));
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it("has migrations whose DDL is safe to replicate in total order", () => {
    for (const { file, text } of sourceFiles("migrations")) {
      // No table copies by SELECT, no temporary tables, no engine but InnoDB, no table locks.
      expect({ file, createSelect: /CREATE\s+TABLE[^;]*\bSELECT\b/i.test(text) }).toEqual({
        file,
        createSelect: false,
      });
      expect({ file, temporary: /\bTEMPORARY\b/i.test(text) }).toEqual({ file, temporary: false });
      expect({ file, engine: /ENGINE\s*=\s*(?!InnoDB)/i.test(text) }).toEqual({
        file,
        engine: false,
      });
    }
  });

  it("takes no table locks and no named locks anywhere (grep of src and migrations)", () => {
    const offenders = CODE.filter(({ text }) =>
      /\bLOCK\s+TABLES?\b|\bGET_LOCK\s*\(|\bRELEASE_LOCK\s*\(|\bFLUSH\s+TABLES\b/i.test(text),
    ).map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  it("never computes one id from another (grep: only the first generated id of an insert is read)", () => {
    const offenders = CODE.flatMap(({ file, text }) =>
      [...text.matchAll(/identifiers\[(?!0\])[^\]]*\]|insertId\s*[+-]|\.insert\(\s*\[/g)].map(
        (match) => `${file}: ${match[0]}`,
      ),
    );
    expect(offenders).toEqual([]);
  });

  it("interleaves ids across nodes, and a new account's statuses still link the right rows", async () => {
    const increments = await Promise.all(
      NODES.map((node) =>
        queryOn<Array<{ increment: number; offset: number }>>(
          node,
          "SELECT @@auto_increment_increment AS `increment`, @@auto_increment_offset AS `offset`",
        ),
      ),
    );
    expect(increments.map(([row]) => Number(row.increment))).toEqual([3, 3, 3]);
    expect(new Set(increments.map(([row]) => Number(row.offset))).size).toBe(3);

    // A PLATFORM key (made by the operator's CLI, through HAProxy), then two accounts created
    // through each node's instance.
    const key = await platformKey();
    const ids: Record<string, number[]> = {};
    for (const instance of ["node1", "node2", "node3"] as const) {
      for (const round of [1, 2]) {
        const code = `acct_${instance}_${round}`;
        const data = await ok<{ createAccount: { id: string } }>(
          state.instances[instance].url,
          key,
          `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
          { input: { code, name: `Account ${round} via ${instance}` } },
        );
        (ids[instance] ??= []).push(Number(data.createAccount.id));
        await expectSeededLinks(code);
      }
    }
    // Each node hands out ids of its own residue modulo 3, and two accounts made one after the
    // other through the same node are 3 apart: ids are unique, never consecutive across nodes.
    const firsts = Object.values(ids).map(([first]) => first % 3);
    expect(new Set(firsts).size).toBe(3);
    for (const [first, second] of Object.values(ids)) expect((second - first) % 3).toBe(0);
    const leadStatusIds = await queryOn<Array<{ id: number }>>(
      "haproxy",
      `SELECT l.id FROM lead_statuses l JOIN accounts a ON a.id = l.account_id
        WHERE a.code = 'acct_node2_2' ORDER BY l.id`,
      [],
      db,
    );
    const gaps = leadStatusIds.slice(1).map((row, index) => row.id - leadStatusIds[index].id);
    report("ids across nodes", { accountIds: ids, gapsBetweenOneAccountsLeadStatusIds: gaps });
    expect(gaps.every((gap) => gap === 3)).toBe(true);
  });

  it("creates leads through every node with distinct ids, none of them read back wrong", async () => {
    const created = await Promise.all(
      (["node1", "node2", "node3", "haproxy"] as const).flatMap((instance) =>
        Array.from({ length: 5 }, (_, index) =>
          ok<{ createLead: { id: string } }>(
            state.instances[instance].url,
            state.adminKey,
            GQL.createLead,
            { input: { name: `Lead ${instance} ${index}` } },
          ),
        ),
      ),
    );
    const ids = created.map((data) => Number(data.createLead.id));
    expect(new Set(ids).size).toBe(ids.length);
    const rows = await queryOn<Array<{ id: number; name: string }>>(
      "haproxy",
      `SELECT id, name FROM leads WHERE id IN (${ids.join(",")})`,
      [],
      db,
    );
    expect(rows.length).toBe(ids.length);
  });
});
