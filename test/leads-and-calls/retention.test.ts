/**
 * Retention: the operators' `calls:purge` tool (`dist/src/cli/purge-calls.js`) against the
 * service's own database while it runs — it deletes the account's calls recorded before the
 * cutoff, nothing else, and says so in the audit trail.
 */
import path from "node:path";
import { describeEachDatabase, testDatabaseUrl } from "../support/harness";
import {
  cleanupProcesses,
  REPO_ROOT,
  requireBuild,
  runProcess,
  type Finished,
} from "../support/processes";

const PURGE_CLI = path.join(REPO_ROOT, "dist", "src", "cli", "purge-calls.js");

afterEach(cleanupProcesses);
beforeAll(() => requireBuild(PURGE_CLI));

interface AuditNode {
  action: string;
  entityType: string;
  entityId: string;
  actorId: string;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
}

describeEachDatabase("calls:purge", (server) => {
  let otherKey: string;
  let otherAccountId: string;
  let leadId: string;
  let oldIds: string[];
  let newIds: string[];
  let otherIds: string[];

  function purge(args: string[]): Promise<Finished> {
    return runProcess(process.execPath, [PURGE_CLI, ...args], REPO_ROOT, {
      DATABASE_URL: testDatabaseUrl(server.database),
    });
  }

  async function record(
    headers: Record<string, string>,
    lead: string,
    count: number,
  ): Promise<string[]> {
    const fields = Array.from(
      { length: count },
      (_, i) =>
        `c${i}: recordCallResult(input: { leadId: "${lead}", callStatusCode: "voicemail" }) { call { id } }`,
    );
    const data = await server.ok<Record<string, { call: { id: string } }>>(
      `mutation { ${fields.join("\n")} }`,
      {},
      headers,
    );
    return fields.map((_, i) => data[`c${i}`].call.id);
  }

  /** Test setup only: moves calls into the past, as if recorded long ago. */
  async function backdate(ids: string[], day: string): Promise<void> {
    await server.app.dataSource.query(
      `UPDATE calls SET created_at = ? WHERE id IN (${ids.map(() => "?").join(", ")})`,
      [`${day} 12:00:00`, ...ids.map(Number)],
    );
  }

  async function callIds(headers: Record<string, string> = {}): Promise<string[]> {
    const data = await server.ok<{ calls: { edges: Array<{ node: { id: string } }> } }>(
      `{ calls(first: 100) { edges { node { id } } } }`,
      {},
      headers,
    );
    return data.calls.edges.map((e) => e.node.id).sort();
  }

  beforeAll(async () => {
    const platform = { "x-api-key": await server.createPlatformKey() };
    const other = await server.ok<{ createAccount: { id: string } }>(
      `mutation { createAccount(input: { code: "other", name: "Other" }) { id } }`,
      {},
      platform,
    );
    otherAccountId = other.createAccount.id;
    const key = await server.ok<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(input: { name: "other admin", role: ADMIN, accountCode: "other" }) { secret } }`,
      {},
      platform,
    );
    otherKey = key.createApiKey.secret;

    leadId = (
      await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Kept" }) { id } }`,
      )
    ).createLead.id;
    const ids = await record({}, leadId, 5);
    oldIds = ids.slice(0, 3);
    newIds = ids.slice(3);
    await backdate(oldIds, "2020-06-01");

    const otherLead = (
      await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Other's" }) { id } }`,
        {},
        { "x-api-key": otherKey },
      )
    ).createLead.id;
    otherIds = await record({ "x-api-key": otherKey }, otherLead, 2);
    await backdate(otherIds, "2020-06-01");
  });

  it("refuses an incomplete or malformed command line with exit 2, deleting nothing", async () => {
    for (const args of [
      ["--before", "2025-01-01"],
      ["--account", "default"],
      ["--before", "2025-01-01", "--keep-days", "30", "--account", "default"],
      ["--before", "yesterday", "--account", "default"],
      ["--keep-days", "0", "--all-accounts"],
      ["--before", "2025-01-01", "--account", "default", "--batch", "0"],
    ]) {
      const result = await purge(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain("usage:");
    }
    expect(await callIds()).toEqual([...oldIds, ...newIds].sort());
  });

  it("deletes the account's calls recorded before the cutoff, in batches, and audits it", async () => {
    const result = await purge(["--before", "2025-01-01", "--account", "default", "--batch", "2"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("default: deleted 3 call(s)");

    expect(await callIds()).toEqual([...newIds].sort());
    // The lead and the other account's calls are untouched.
    const lead = await server.ok<{ lead: { id: string; status: { code: string } } }>(
      `query($id: ID!) { lead(id: $id) { id status { code } } }`,
      { id: leadId },
    );
    expect(lead.lead).toEqual({ id: leadId, status: { code: "in_progress" } });
    expect(await callIds({ "x-api-key": otherKey })).toEqual([...otherIds].sort());

    const audit = await server.ok<{ auditLog: { edges: Array<{ node: AuditNode }> } }>(
      `{ auditLog(filter: { entityType: CALLS }) { edges { node { action entityType entityId actorId changes } } } }`,
    );
    expect(audit.auditLog.edges.map((e) => e.node)).toEqual([
      {
        action: "PURGE",
        entityType: "CALLS",
        entityId: "1",
        actorId: "cli",
        changes: [
          { field: "recordedBefore", before: null, after: "2025-01-01T00:00:00.000Z" },
          { field: "deletedCalls", before: null, after: 3 },
        ],
      },
    ]);
  });

  it("finds nothing more to delete when run again, and purges every account with --all-accounts", async () => {
    const again = await purge(["--before", "2025-01-01", "--account", "default"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("default: deleted 0 call(s)");

    const all = await purge(["--keep-days", "365", "--all-accounts"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("other: deleted 2 call(s)");
    expect(await callIds({ "x-api-key": otherKey })).toEqual([]);
    expect(await callIds()).toEqual([...newIds].sort());
    const audit = await server.ok<{ auditLog: { edges: Array<{ node: AuditNode }> } }>(
      `{ auditLog(filter: { entityType: CALLS }) { edges { node { entityId changes } } } }`,
      {},
      { "x-api-key": otherKey },
    );
    expect(audit.auditLog.edges.map((e) => e.node.entityId)).toEqual([otherAccountId]);
  });

  it("answers exit 2 for an account that does not exist", async () => {
    const result = await purge(["--before", "2025-01-01", "--account", "nobody"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no account with code "nobody"');
  });
});
