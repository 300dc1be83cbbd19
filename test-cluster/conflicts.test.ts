/**
 * Concurrent conflicting writes spread over instances on different nodes of a multi-primary
 * cluster. Two nodes changing one row at once cannot both commit: Galera refuses one at COMMIT
 * (a certification failure) or rolls back a local transaction for a write-set arriving from
 * another node (a brute-force abort), and both reach the service as a deadlock (1213), which it
 * retries. What must hold: no INTERNAL_SERVER_ERROR, only SERVICE_UNAVAILABLE when the retries run
 * out, every acknowledged write present, nothing written by a request that failed.
 */
import {
  clusterState,
  conflictCounters,
  GQL,
  gql,
  ok,
  queryOn,
  report,
  tally,
  type Answer,
  type InstanceName,
  type RecordResult,
} from "./support/cluster";

const state = clusterState();
const db = state.database;
const key = state.adminKey;
/** Writers on three different nodes' instances, and one through HAProxy. */
const WRITERS: readonly InstanceName[] = ["node1", "node2", "node3", "haproxy"];
const writer = (index: number) => state.instances[WRITERS[index % WRITERS.length]].url;

const REQUESTS = 40;

async function createLead(name: string): Promise<string> {
  const data = await ok<{ createLead: { id: string } }>(
    state.instances.haproxy.url,
    key,
    GQL.createLead,
    { input: { name } },
  );
  return data.createLead.id;
}

/** No INTERNAL_SERVER_ERROR, nothing but the expected codes, 503s with HTTP 503. */
function expectOnly<T>(answers: Array<Answer<T>>, codes: string[]): void {
  const counts = tally(answers);
  expect(counts.INTERNAL_SERVER_ERROR ?? 0).toBe(0);
  expect(Object.keys(counts).filter((code) => !codes.includes(code))).toEqual([]);
  for (const answer of answers) {
    if (answer.code === "SERVICE_UNAVAILABLE") expect([200, 503]).toContain(answer.status);
  }
}

async function callsOfLead(
  leadId: string,
): Promise<Array<{ id: number; lead_status_changed: number }>> {
  return queryOn(
    "haproxy",
    "SELECT id, lead_status_changed FROM calls WHERE lead_id = ?",
    [Number(leadId)],
    db,
  );
}

describe("concurrent conflicting writes on a multi-primary cluster", () => {
  it(`records ${REQUESTS} results for one lead through instances on different nodes: every acknowledged call stored, none else`, async () => {
    const leadId = await createLead("One lead, many agents");
    const conflictsBefore = await conflictCounters();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, index) =>
        gql<RecordResult>(writer(index), key, GQL.record, {
          // Each result moves the lead: every transaction updates the same row.
          input: { leadId, callStatusCode: index % 2 === 0 ? "qualified" : "disqualified" },
        }),
      ),
    );
    const conflicts = (await conflictCounters()) - conflictsBefore;

    expectOnly(answers, ["ok", "SERVICE_UNAVAILABLE"]);
    const acknowledged = answers.flatMap((a) =>
      a.code === "ok" ? [Number(a.data!.recordCallResult.call.id)] : [],
    );
    const rows = await callsOfLead(leadId);
    expect(rows.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
    // The lead's version moved once per call that changed its status: no lost update.
    const [lead] = await queryOn<Array<{ version: number }>>(
      "haproxy",
      "SELECT version FROM leads WHERE id = ?",
      [Number(leadId)],
      db,
    );
    const changes = rows.filter((row) => Number(row.lead_status_changed) === 1).length;
    expect(Number(lead.version)).toBe(1 + changes);
    report("one lead", {
      requests: REQUESTS,
      codes: tally(answers),
      conflictsRetried: conflicts,
      rows: rows.length,
      acknowledgedMissing: acknowledged.filter((id) => !rows.some((row) => row.id === id)).length,
    });
    // The race was real: the nodes refused or aborted some of these transactions.
    expect(conflicts).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(REQUESTS / 2);
  });

  it(`creates one code ${REQUESTS} times at once on different nodes: one status, the rest CONFLICT`, async () => {
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, index) =>
        gql<{ createCallStatus: { id: string } }>(writer(index), key, GQL.createCallStatus, {
          input: { code: "one_code_everywhere", title: `Attempt ${index}` },
        }),
      ),
    );
    expectOnly(answers, ["ok", "CONFLICT", "SERVICE_UNAVAILABLE"]);
    const counts = tally(answers);
    expect(counts.ok).toBe(1);
    const rows = await queryOn<Array<{ id: number; title: string }>>(
      "haproxy",
      "SELECT id, title FROM call_statuses WHERE code = 'one_code_everywhere'",
      [],
      db,
    );
    expect(rows.length).toBe(1);
    const created = answers.find((a) => a.code === "ok")!;
    expect(String(rows[0].id)).toBe(created.data!.createCallStatus.id);
    report("one code", { requests: REQUESTS, codes: counts, rows: rows.length });
  });

  it(`records one idempotency key ${REQUESTS} times at once on different nodes: one call, every success answers it`, async () => {
    const leadId = await createLead("One key");
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, index) =>
        gql<RecordResult>(writer(index), key, GQL.record, {
          input: { leadId, callStatusCode: "qualified", idempotencyKey: "the-one-key" },
        }),
      ),
    );
    expectOnly(answers, ["ok", "SERVICE_UNAVAILABLE"]);
    const ids = new Set(
      answers.flatMap((a) => (a.code === "ok" ? [a.data!.recordCallResult.call.id] : [])),
    );
    expect(ids.size).toBe(1);
    const rows = await callsOfLead(leadId);
    expect(rows.map((row) => String(row.id))).toEqual([...ids]);
    report("one idempotency key", { requests: REQUESTS, codes: tally(answers), rows: rows.length });
  });

  it("edits a call status's settings while outcomes using it are recorded on other nodes", async () => {
    const created = await ok<{ createCallStatus: { id: string } }>(
      state.instances.node1.url,
      key,
      GQL.createCallStatus,
      { input: { code: "racing_status", title: "Racing 0", leadStatusCode: "qualified" } },
    );
    const statusId = created.createCallStatus.id;
    const leadIds = await Promise.all([1, 2, 3, 4].map((n) => createLead(`Racing lead ${n}`)));
    const conflictsBefore = await conflictCounters();

    const edits = Array.from({ length: 20 }, (_, index) =>
      gql<{ updateCallStatus: { version: number } }>(
        state.instances[index % 2 === 0 ? "node1" : "haproxy"].url,
        key,
        GQL.updateCallStatus,
        {
          id: statusId,
          input: {
            title: `Racing ${index + 1}`,
            leadStatusCode: index % 2 === 0 ? "disqualified" : "qualified",
          },
        },
      ),
    );
    const outcomes = Array.from({ length: 40 }, (_, index) =>
      gql<RecordResult>(state.instances[index % 2 === 0 ? "node2" : "node3"].url, key, GQL.record, {
        input: { leadId: leadIds[index % leadIds.length], callStatusCode: "racing_status" },
      }),
    );
    const [editAnswers, outcomeAnswers] = await Promise.all([
      Promise.all(edits),
      Promise.all(outcomes),
    ]);
    const conflicts = (await conflictCounters()) - conflictsBefore;

    expectOnly(editAnswers, ["ok", "SERVICE_UNAVAILABLE"]);
    expectOnly(outcomeAnswers, ["ok", "SERVICE_UNAVAILABLE"]);
    // Every acknowledged edit is one version and one audit entry; nothing else was written.
    const editsAcknowledged = editAnswers.filter((a) => a.code === "ok").length;
    const [status] = await queryOn<Array<{ version: number }>>(
      "haproxy",
      "SELECT version FROM call_statuses WHERE id = ?",
      [Number(statusId)],
      db,
    );
    expect(Number(status.version)).toBe(1 + editsAcknowledged);
    const [audit] = await queryOn<Array<{ n: number }>>(
      "haproxy",
      "SELECT COUNT(*) AS n FROM audit_log WHERE entity_type = 'CALL_STATUS' AND entity_id = ?",
      [Number(statusId)],
      db,
    );
    expect(Number(audit.n)).toBe(1 + editsAcknowledged);
    // Every acknowledged outcome is stored, and no other.
    const recorded = outcomeAnswers.flatMap((a) =>
      a.code === "ok" ? [Number(a.data!.recordCallResult.call.id)] : [],
    );
    const rows = await queryOn<Array<{ id: number }>>(
      "haproxy",
      `SELECT id FROM calls WHERE lead_id IN (${leadIds.map(Number).join(",")})`,
      [],
      db,
    );
    expect(rows.map((row) => Number(row.id)).sort()).toEqual([...recorded].sort());
    report("settings edit racing outcomes", {
      edits: tally(editAnswers),
      outcomes: tally(outcomeAnswers),
      conflictsRetried: conflicts,
      statusVersion: Number(status.version),
      auditEntries: Number(audit.n),
      callRows: rows.length,
    });
  });
});
