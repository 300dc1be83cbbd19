/**
 * The statements behind every list and look-up of leads and calls, as the service sends them on
 * a seeded database, explained by the database itself (EXPLAIN on MariaDB, EXPLAIN QUERY PLAN
 * on SQLite): each reads leads and calls through an index that starts with the account — a
 * name search through the word index, which starts with the account too — and a page is read
 * in index order (no sort of the whole list).
 */
import {
  seedVolume,
  volumeLeadExternalId,
  volumeLeadName,
  volumeLeadPhone,
  type VolumeAccount,
} from "../../src/cli/volume-seed";
import { cliOperator, Role } from "../../src/access/principal";
import { AccountService } from "../../src/accounts/account.service";
import { ApiKeyService } from "../../src/auth/api-key.service";
import { acrossAccounts } from "../../src/db/account-scope";
import { describeEachDatabaseKind, TestServer } from "../support/harness";

interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

interface Plan {
  /** One line per table read: `table: how`. */
  lines: string[];
  /** Index names used on leads or calls. */
  indexes: string[];
  /** Leads or calls read in full, without an index. */
  scans: string[];
  /** A sort of the rows read (rather than reading them in index order). */
  sorted: boolean;
}

const READS_VOLUME_TABLES = /\bFROM\s+[`"]?(leads|calls)[`"]?[\s)]/i;

async function explain(server: TestServer, statement: Statement): Promise<Plan> {
  const { dataSource } = server.app;
  if (server.kind === "sqlite") {
    const rows: Array<{ detail: string }> = await dataSource.query(
      `EXPLAIN QUERY PLAN ${statement.sql}`,
      [...statement.parameters],
    );
    const lines = rows.map((row) => row.detail);
    return {
      lines,
      indexes: lines.flatMap((line) => /USING (?:COVERING )?INDEX (\w+)/.exec(line)?.[1] ?? []),
      scans: lines.filter((line) => /^SCAN (leads|calls|lead|call)\b(?! USING)/.test(line)),
      sorted: lines.some((line) => /TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(line)),
    };
  }
  const rows: Array<{ table: string; type: string; key: string | null; Extra: string | null }> =
    await dataSource.query(`EXPLAIN ${statement.sql}`, [...statement.parameters]);
  const own = rows.filter((row) => /^(leads|calls|lead|call)$/.test(row.table));
  return {
    lines: rows.map((row) => `${row.table}: ${row.type} ${row.key ?? "-"} ${row.Extra ?? ""}`),
    indexes: own.flatMap((row) => row.key ?? []),
    scans: own.filter((row) => row.type === "ALL" || !row.key).map((row) => row.table),
    sorted: own.some((row) => /filesort|temporary/i.test(row.Extra ?? "")),
  };
}

describeEachDatabaseKind("query plans of leads and calls on a seeded database", (kind) => {
  const server = new TestServer(kind);
  let account: VolumeAccount;
  let headers: Record<string, string>;

  beforeAll(async () => {
    await server.start();
    const seeded = await acrossAccounts("test setup: seeding", () =>
      seedVolume(server.app.dataSource, server.app.container.get(AccountService), {
        leads: 6_000,
        // 11,000 calls per account: more than `totalCount` counts.
        calls: 33_000,
        accounts: 3,
        chunk: 1_000,
      }),
    );
    account = seeded[1];
    const { secret } = await acrossAccounts("test setup: a key of the seeded account", () =>
      server.app.container
        .get(ApiKeyService)
        .create({ name: "plans", role: Role.ADMIN, accountCode: account.code }, cliOperator(null)),
    );
    headers = { "x-api-key": secret };
  }, 120_000);

  afterAll(() => server.stop());

  /** Runs the operation; returns the plans of its statements over leads and calls. */
  async function plansOf(query: string, variables: Record<string, unknown> = {}) {
    server.resetQueries();
    const response = await server.gql(query, variables, headers);
    expect(response.errors).toBeUndefined();
    const statements = server.statements.filter((s) => READS_VOLUME_TABLES.test(s.sql));
    expect(statements.length).toBeGreaterThan(0);
    return {
      data: response.data as Record<string, unknown>,
      plans: await Promise.all(
        statements.map(async (statement) => ({ ...(await explain(server, statement)), statement })),
      ),
    };
  }

  /** Every statement reads through an index (named `expected` among them); pages are not sorted. */
  async function expectIndexed(
    query: string,
    variables: Record<string, unknown>,
    expected: string,
    options: { sortedAllowed?: boolean } = {},
  ) {
    const { data, plans } = await plansOf(query, variables);
    for (const plan of plans) {
      const context = `${plan.statement.sql}\n${plan.lines.join("\n")}`;
      expect({ context, scans: plan.scans }).toEqual({ context, scans: [] });
      const isPage = /\bLIMIT\b/i.test(plan.statement.sql) && !/COUNT\(/i.test(plan.statement.sql);
      if (isPage && !options.sortedAllowed) {
        expect({ context, sorted: plan.sorted }).toEqual({ context, sorted: false });
      }
    }
    expect(plans.flatMap((plan) => plan.indexes)).toContain(expected);
    return data;
  }

  const PAGE = `edges { node { id } } pageInfo { endCursor }`;

  it("pages all calls through IDX_calls_created_at, also after a cursor and with totalCount", async () => {
    const first = await expectIndexed(
      `{ calls(first: 20) { ${PAGE} } }`,
      {},
      "IDX_calls_created_at",
    );
    const after = (first.calls as { pageInfo: { endCursor: string } }).pageInfo.endCursor;
    await expectIndexed(
      `query($after: String) { calls(first: 20, after: $after) { totalCount ${PAGE} } }`,
      { after },
      "IDX_calls_created_at",
    );
  });

  it("pages calls in a time range through IDX_calls_created_at", async () => {
    const to = new Date();
    const from = new Date(to.getTime() - 30 * 24 * 3600 * 1000);
    await expectIndexed(
      `query($from: DateTime, $to: DateTime) { calls(first: 20, filter: { from: $from, to: $to }) { ${PAGE} } }`,
      { from: from.toISOString(), to: to.toISOString() },
      "IDX_calls_created_at",
    );
  });

  it("pages a lead's calls through IDX_calls_lead, as calls(filter) and as Lead.calls", async () => {
    const leadId = String(account.firstLeadId + 17);
    await expectIndexed(
      `query($leadId: ID) { calls(first: 20, filter: { leadId: $leadId }) { totalCount ${PAGE} } }`,
      { leadId },
      "IDX_calls_lead",
    );
    const data = await expectIndexed(
      `query($id: ID!) { lead(id: $id) { calls(first: 20) { totalCount ${PAGE} } } }`,
      { id: leadId },
      "IDX_calls_lead",
    );
    expect((data.lead as { calls: { totalCount: number } }).calls.totalCount).toBeGreaterThan(0);
  });

  it("reads the calls of a page of leads through IDX_calls_lead", async () => {
    await expectIndexed(
      `{ leads(first: 10) { edges { node { id calls(first: 3) { totalCount ${PAGE} } } } } }`,
      {},
      "IDX_calls_lead",
      // Ranking the listed leads' calls sorts those calls (a few per lead), never the table.
      { sortedAllowed: true },
    );
  });

  it("pages calls of one outcome through IDX_calls_call_status", async () => {
    await expectIndexed(
      `{ calls(first: 20, filter: { callStatusCode: "voicemail" }) { totalCount ${PAGE} } }`,
      {},
      "IDX_calls_call_status",
    );
  });

  it("pages all leads through IDX_leads_account, and one status through IDX_leads_status", async () => {
    await expectIndexed(`{ leads(first: 20) { totalCount ${PAGE} } }`, {}, "IDX_leads_account");
    await expectIndexed(
      `{ leads(first: 20, filter: { statusCode: "new" }) { totalCount ${PAGE} } }`,
      {},
      "IDX_leads_status",
    );
    await expectIndexed(
      `{ leads(first: 20, filter: { category: IN_PROGRESS }) { ${PAGE} } }`,
      {},
      "IDX_leads_status",
      // The per-status ranges are merged: a sort of at most a page per status.
      { sortedAllowed: true },
    );
  });

  it("finds a lead by phone through IDX_leads_phone and by externalId through UQ_leads_external_id", async () => {
    const n = 1432; // of the 2,000 leads of the account
    const phone = await expectIndexed(
      `query($phone: String) { leads(filter: { phone: $phone }) { edges { node { id externalId } } } }`,
      { phone: volumeLeadPhone(1, n) },
      "IDX_leads_phone",
    );
    expect(phone.leads).toEqual({
      edges: [
        {
          node: {
            id: String(account.firstLeadId + n),
            externalId: volumeLeadExternalId(account.code, n),
          },
        },
      ],
    });
    const external = await expectIndexed(
      `query($externalId: String) { leads(filter: { externalId: $externalId }) { edges { node { id } } } }`,
      { externalId: volumeLeadExternalId(account.code, n) },
      "UQ_leads_external_id",
    );
    expect(external.leads).toEqual({ edges: [{ node: { id: String(account.firstLeadId + n) } }] });
  });

  it("counts only when totalCount is asked for, and then no further than 10,001", async () => {
    // The service's own statements (not the EXPLAINs of them this test runs).
    const counts = () =>
      server.statements.filter((s) => /\bCOUNT\(/i.test(s.sql) && !/^EXPLAIN\b/i.test(s.sql));
    const page = `edges { node { id } }`;
    for (const query of [
      `{ calls(first: 20) { ${page} } }`,
      `{ leads(first: 20) { ${page} } }`,
      `{ leads(first: 5) { edges { node { calls(first: 2) { ${page} } } } } }`,
    ]) {
      await plansOf(query);
      expect({ query, counts: counts() }).toEqual({ query, counts: [] });
    }
    // The account holds 11,000 calls: a longer list than is counted.
    const calls = (await plansOf(`{ calls(first: 1) { totalCount } }`)).data.calls;
    expect(calls).toEqual({ totalCount: 10_001 });
    expect(counts()).toHaveLength(1);
    // Shorter lists are counted exactly: the account's 2,000 leads, and a lead's calls.
    const leads = (await plansOf(`{ leads(first: 1) { totalCount } }`)).data.leads;
    expect(leads).toEqual({ totalCount: 2_000 });
    const leadId = String(account.firstLeadId + 17);
    const ofLead = await plansOf(
      `query($id: ID!, $leadId: ID) {
        lead(id: $id) { calls(first: 1) { totalCount } }
        calls(first: 100, filter: { leadId: $leadId }) { edges { node { id } } }
      }`,
      { id: leadId, leadId },
    );
    const lead = ofLead.data.lead as { calls: { totalCount: number } };
    const listed = (ofLead.data.calls as { edges: unknown[] }).edges.length;
    expect(listed).toBeGreaterThan(1);
    expect(lead.calls.totalCount).toBe(listed);
  });

  /**
   * How the name search reads the word index: on SQLite the `SEARCH` line of
   * `lead_name_words`; on MariaDB the index and the key parts its range uses (EXPLAIN FORMAT=JSON).
   */
  async function wordIndexAccess(statement: Statement): Promise<string[]> {
    const { dataSource } = server.app;
    if (kind === "sqlite") {
      const rows: Array<{ detail: string }> = await dataSource.query(
        `EXPLAIN QUERY PLAN ${statement.sql}`,
        [...statement.parameters],
      );
      return rows.map((row) => row.detail).filter((line) => /\bword\b/.test(line));
    }
    const [row]: Array<{ EXPLAIN: string }> = await dataSource.query(
      `EXPLAIN FORMAT=JSON ${statement.sql}`,
      [...statement.parameters],
    );
    const found: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === "object") {
        const table = node as {
          table_name?: string;
          access_type?: string;
          key?: string;
          used_key_parts?: string[];
        };
        if (table.table_name === "word") {
          found.push(
            `${table.access_type} ${table.key} (${(table.used_key_parts ?? []).join(", ")})`,
          );
        }
        Object.values(node).forEach(visit);
      }
    };
    visit(JSON.parse(row.EXPLAIN));
    return found;
  }

  it("searches names through one range of the caller's own words (account first, then the word)", async () => {
    const { first, last } = volumeLeadName(1234);
    const { data, plans } = await plansOf(
      `query($search: String) { leads(first: 100, filter: { search: $search }) { totalCount edges { node { id name } } } }`,
      { search: `${first.slice(0, 4)} ${last}` },
    );
    const found = (data.leads as { edges: Array<{ node: { id: string; name: string } }> }).edges;
    expect(found.map((e) => e.node.id)).toContain(String(account.firstLeadId + 1234));
    for (const edge of found) expect(edge.node.name).toContain(last);
    expect(plans).toHaveLength(2); // the page and its count
    for (const plan of plans) {
      const context = `${plan.statement.sql}\n${plan.lines.join("\n")}`;
      expect({ context, scans: plan.scans }).toEqual({ context, scans: [] });
      const access = await wordIndexAccess(plan.statement);
      expect({ context, access }).toEqual({
        context,
        access:
          kind === "sqlite"
            ? [
                expect.stringMatching(
                  /^SEARCH word USING COVERING INDEX IDX_lead_name_words_search \(account_id=\? AND word>\? AND word<\?\)$/,
                ),
              ]
            : ["range IDX_lead_name_words_search (account_id, word)"],
      });
    }
  });
});
