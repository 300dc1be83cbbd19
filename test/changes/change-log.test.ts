/**
 * The account change log: every committed change of statuses, leads and calls is one entry,
 * written in the change's own transaction (nothing for a refused or rolled-back change), and
 * announced once committed — one announcement per transaction, to the account's listeners only.
 */
import { ChangeLog, type ChangeEvent } from "../../src/changes/change-log";
import { describeEachDatabase, expectError } from "../support/harness";

interface Entry {
  type: string;
  entity_id: number;
  lead_id: number | null;
  revision: number | null;
}

describeEachDatabase("the account change log", (server) => {
  const events: ChangeEvent[] = [];
  let stopListening: () => void;
  let systemKey: string;

  beforeAll(async () => {
    systemKey = await server.createKey("SYSTEM");
    stopListening = server.app.container.get(ChangeLog).subscribe(1, (event) => events.push(event));
  });
  afterAll(() => stopListening());

  /** The default account's entries after `afterId`, oldest first. */
  async function entriesAfter(afterId: number): Promise<Array<Entry & { id: number }>> {
    const rows: Array<Entry & { id: number | string }> = await server.app.dataSource.query(
      "SELECT id, type, entity_id, lead_id, revision FROM change_log WHERE account_id = 1 AND id > ? ORDER BY id",
      [afterId],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      type: row.type,
      entity_id: Number(row.entity_id),
      lead_id: row.lead_id === null ? null : Number(row.lead_id),
      revision: row.revision === null ? null : Number(row.revision),
    }));
  }

  async function lastId(): Promise<number> {
    const [row]: Array<{ id: number | string | null }> = await server.app.dataSource.query(
      "SELECT MAX(id) AS id FROM change_log",
    );
    return Number(row.id ?? 0);
  }

  /** Waits until `count` more announcements than `before` have arrived (they come after commit). */
  async function announcements(before: number, count: number): Promise<ChangeEvent[]> {
    for (let i = 0; i < 200 && events.length < before + count; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return events.slice(before);
  }

  it("logs status changes with the revision they made, and announces each", async () => {
    const start = await lastId();
    const heard = events.length;
    const { createLeadStatus } = await server.ok<{ createLeadStatus: { id: string } }>(
      `mutation { createLeadStatus(input: { title: "Callback", category: IN_PROGRESS }) { id } }`,
    );
    const { createCallStatus } = await server.ok<{ createCallStatus: { id: string } }>(
      `mutation { createCallStatus(input: { title: "Busy", leadStatusCode: "callback" }) { id } }`,
    );
    await server.ok(
      `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Line busy" }) { id } }`,
      { id: createCallStatus.id },
    );
    await server.ok(
      `mutation($id: ID!) { updateLeadStatus(id: $id, input: { color: "#00AA00" }) { id } }`,
      { id: createLeadStatus.id },
    );
    const entries = await entriesAfter(start);
    expect(entries.map(({ type, entity_id, lead_id }) => ({ type, entity_id, lead_id }))).toEqual([
      { type: "lead_status.created", entity_id: Number(createLeadStatus.id), lead_id: null },
      { type: "call_status.created", entity_id: Number(createCallStatus.id), lead_id: null },
      { type: "call_status.updated", entity_id: Number(createCallStatus.id), lead_id: null },
      { type: "lead_status.updated", entity_id: Number(createLeadStatus.id), lead_id: null },
    ]);
    // Each change moved the account's status revision on by one.
    const revisions = entries.map((entry) => entry.revision!);
    expect(revisions.slice(1).map((r, i) => r - revisions[i])).toEqual([1, 1, 1]);
    const heardNow = await announcements(heard, 4);
    expect(heardNow.map((event) => event.changes.map((c) => [c.type, c.id]))).toEqual(
      entries.map((entry) => [[entry.type, entry.id]]),
    );
    expect(heardNow.every((event) => event.accountId === 1)).toBe(true);
  });

  it("logs a new lead, and a recorded call with the lead's move in one announcement", async () => {
    const start = await lastId();
    const heard = events.length;
    const { createLead } = await server.ok<{ createLead: { id: string } }>(
      `mutation { createLead(input: { name: "Change Log" }) { id } }`,
      {},
      { "x-api-key": systemKey },
    );
    const record = (code: string) =>
      server.ok<{ recordCallResult: { call: { id: string } } }>(
        `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
        { input: { leadId: createLead.id, callStatusCode: code } },
        { "x-api-key": systemKey },
      );
    const moved = await record("qualified");
    // Qualified again: the lead stays where it is, so only the call is a change.
    const stayed = await record("qualified");
    const leadId = Number(createLead.id);
    expect(
      (await entriesAfter(start)).map(({ type, entity_id, lead_id, revision }) => ({
        type,
        entity_id,
        lead_id,
        revision,
      })),
    ).toEqual([
      { type: "lead.created", entity_id: leadId, lead_id: leadId, revision: null },
      {
        type: "call.recorded",
        entity_id: Number(moved.recordCallResult.call.id),
        lead_id: leadId,
        revision: null,
      },
      { type: "lead.updated", entity_id: leadId, lead_id: leadId, revision: null },
      {
        type: "call.recorded",
        entity_id: Number(stayed.recordCallResult.call.id),
        lead_id: leadId,
        revision: null,
      },
    ]);
    const heardNow = await announcements(heard, 3);
    expect(heardNow.map((event) => event.changes.map((c) => c.type))).toEqual([
      ["lead.created"],
      ["call.recorded", "lead.updated"],
      ["call.recorded"],
    ]);
  });

  it("logs nothing, and announces nothing, for a change that is refused or finds nothing to change", async () => {
    const start = await lastId();
    const heard = events.length;
    const stale = await server.gql(
      `mutation { updateCallStatus(id: "1", input: { title: "Stale", expectedVersion: 999 }) { id } }`,
    );
    expectError(stale, "CONFLICT");
    const same = await server.ok<{ callStatus: { title: string } }>(
      `{ callStatus(code: "qualified") { title } }`,
    );
    await server.ok(
      `mutation($t: String) { updateCallStatus(id: "1", input: { title: $t }) { id } }`,
      {
        t: same.callStatus.title,
      },
    );
    const { createLead } = await server.ok<{ createLead: { id: string } }>(
      `mutation { createLead(input: { name: "No change" }) { id } }`,
    );
    const refused = await server.gql(
      `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
      // A next call time in the past: refused before anything is written.
      {
        input: {
          leadId: createLead.id,
          callStatusCode: "qualified",
          nextCallAt: "2000-01-01T00:00:00Z",
        },
      },
      { "x-api-key": systemKey },
    );
    expect(refused.errors?.length).toBe(1);
    expect((await entriesAfter(start)).map((entry) => entry.type)).toEqual(["lead.created"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.slice(heard).map((event) => event.changes.map((c) => c.type))).toEqual([
      ["lead.created"],
    ]);
  });

  it("keeps each account's changes apart: another account's are logged and announced under it", async () => {
    const platform = await server.createPlatformKey();
    await server.ok(
      `mutation { createAccount(input: { code: "other_log", name: "Other" }) { id } }`,
      {},
      { "x-api-key": platform },
    );
    const { createApiKey } = await server.ok<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(input: { name: "other admin", role: ADMIN, accountCode: "other_log" }) { secret } }`,
      {},
      { "x-api-key": platform },
    );
    const start = await lastId();
    const heard = events.length;
    await server.ok(
      `mutation { createCallStatus(input: { title: "Elsewhere" }) { id } }`,
      {},
      { "x-api-key": createApiKey.secret },
    );
    expect(await entriesAfter(start)).toEqual([]);
    const [other]: Array<{ n: number | string }> = await server.app.dataSource.query(
      "SELECT COUNT(*) AS n FROM change_log c JOIN accounts a ON a.id = c.account_id WHERE a.code = 'other_log' AND c.type = 'call_status.created'",
    );
    expect(Number(other.n)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.length).toBe(heard);
  });

  it("prunes entries older than the cutoff, across accounts, and keeps newer ones", async () => {
    const log = server.app.container.get(ChangeLog);
    const total = async () => {
      const [row]: Array<{ n: number | string }> = await server.app.dataSource.query(
        "SELECT COUNT(*) AS n FROM change_log",
      );
      return Number(row.n);
    };
    const before = await total();
    expect(before).toBeGreaterThan(3);
    expect(await log.pruneBefore(new Date(Date.now() - 3600_000))).toBe(0);
    expect(await total()).toBe(before);
    expect(await log.pruneBefore(new Date(Date.now() + 3600_000), 2)).toBe(before);
    expect(await total()).toBe(0);
  });
});
