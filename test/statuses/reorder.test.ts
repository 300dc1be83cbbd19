/**
 * Reordering a status list in one step (`reorderCallStatuses`, `reorderLeadStatuses`): the whole
 * order applied in one transaction, versions bumped only where `sort` changed, one audit entry,
 * one live update and one change event per moved status; every bad list refused naming the code,
 * a stale `expectedRevision` refused — nothing written either way; concurrent with other edits.
 */
import { liveClient, settle, type LiveClient } from "../live/ws-client";
import { describeEachDatabase, expectError, type TestServer } from "../support/harness";

interface Row {
  id: string;
  code: string;
  sort: number;
  version: number;
}

const FIELDS = "id code sort version";

async function callStatuses(server: TestServer): Promise<{ rows: Row[]; revision: string }> {
  const data = await server.ok<{ callStatuses: Row[]; statusesRevision: string }>(
    `{ callStatuses { ${FIELDS} } statusesRevision }`,
  );
  return { rows: data.callStatuses, revision: data.statusesRevision };
}

function reorderCall(server: TestServer, codes: string[], expectedRevision?: string | null) {
  return server.gql<{ reorderCallStatuses: Row[] }>(
    `mutation($codes: [String!]!, $rev: String) { reorderCallStatuses(codes: $codes, expectedRevision: $rev) { ${FIELDS} } }`,
    { codes, rev: expectedRevision },
  );
}

describeEachDatabase("reordering statuses", (server) => {
  const clients: LiveClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
  });

  it("applies the whole order at once: sort 10, 20, … along the list, versions bumped only where sort changed", async () => {
    const before = await callStatuses(server);
    // The last first, the rest as they were: every status but one moves.
    const codes = [before.rows.at(-1)!.code, ...before.rows.slice(0, -1).map((r) => r.code)];
    const response = await reorderCall(server, codes, before.revision);
    expect(response.errors).toBeUndefined();
    const answered = response.data!.reorderCallStatuses;
    expect(answered.map((r) => r.code)).toEqual(codes);
    expect(answered.map((r) => r.sort)).toEqual(codes.map((_, i) => (i + 1) * 10));
    for (const row of answered) {
      const old = before.rows.find((r) => r.code === row.code)!;
      expect(row.version).toBe(old.sort === row.sort ? old.version : old.version + 1);
    }
    // What a later read sees, and a new revision.
    const after = await callStatuses(server);
    expect(after.rows).toEqual(answered);
    expect(after.revision).not.toBe(before.revision);

    // Two swapped: only those two are written, every other keeps its version.
    const swapped = [...codes.slice(0, -2), codes.at(-1)!, codes.at(-2)!];
    const second = (await reorderCall(server, swapped)).data!.reorderCallStatuses;
    for (const row of second) {
      const old = answered.find((r) => r.code === row.code)!;
      const moved = swapped.slice(-2).includes(row.code);
      expect([row.code, row.version]).toEqual([row.code, moved ? old.version + 1 : old.version]);
    }
    await reorderCall(server, codes);

    // The same order again: nothing to write, the revision stays.
    const restored = await callStatuses(server);
    const again = await reorderCall(server, codes, restored.revision);
    expect(again.data!.reorderCallStatuses).toEqual(restored.rows);
    expect((await callStatuses(server)).revision).toBe(restored.revision);
  });

  it("writes one audit entry with the order before and after, and one change event per moved status", async () => {
    const before = await callStatuses(server);
    const codes = [...before.rows].reverse().map((r) => r.code);
    const { viewer } = await server.ok<{ viewer: { account: { id: string } } }>(
      `{ viewer { account { id } } }`,
    );
    const { auditLog: priorAudit } = await server.ok<{ auditLog: { totalCount: number } }>(
      `{ auditLog(first: 1) { totalCount } }`,
    );
    expect((await reorderCall(server, codes)).errors).toBeUndefined();
    const { auditLog } = await server.ok<{
      auditLog: {
        totalCount: number;
        edges: Array<{
          node: {
            action: string;
            entityType: string;
            entityId: string;
            changes: Array<{ field: string; before: unknown; after: unknown }>;
          };
        }>;
      };
    }>(
      `{ auditLog(first: 1) { totalCount edges { node { action entityType entityId changes } } } }`,
    );
    expect(auditLog.totalCount).toBe(priorAudit.totalCount + 1);
    expect(auditLog.edges[0].node).toEqual({
      action: "REORDER",
      entityType: "CALL_STATUS_LIST",
      entityId: viewer.account.id,
      changes: [{ field: "order", before: before.rows.map((r) => r.code), after: codes }],
    });
    // The change feed: a call_status.updated for each status whose sort changed.
    const moved = before.rows.filter(
      (r, i) => r.sort !== (codes.indexOf(r.code) + 1) * 10 || i < 0,
    );
    const deadline = Date.now() + 5000;
    let events: Array<{ entityId: string; data: { changes: unknown[] } }> = [];
    while (Date.now() < deadline) {
      const { changes } = await server.ok<{
        changes: {
          edges: Array<{
            node: { entityId: string; data: { changes: unknown[] } };
          }>;
        };
      }>(
        `{ changes(first: 100, types: ["call_status.updated"]) { edges { node { entityId data } } } }`,
      );
      events = changes.edges.map((e) => e.node).slice(-moved.length);
      if (
        events.length === moved.length &&
        events.every((e) => JSON.stringify(e.data.changes).includes('"sort"'))
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events.map((e) => e.entityId).sort()).toEqual(moved.map((r) => r.id).sort());
    for (const event of events) {
      const row = before.rows.find((r) => r.id === event.entityId)!;
      expect(event.data.changes).toEqual([
        { field: "sort", before: row.sort, after: (codes.indexOf(row.code) + 1) * 10 },
      ]);
    }
  });

  it("refuses a repeated, unknown or missing code, naming it, and writes nothing", async () => {
    const before = await callStatuses(server);
    const codes = before.rows.map((r) => r.code);
    const cases: Array<[string[], RegExp]> = [
      [[...codes, codes[0]], new RegExp(`"${codes[0]}" more than once`)],
      [[...codes.slice(1), "no_such_status"], /"no_such_status", which no call status has/],
      [codes.slice(1), new RegExp(`"${codes[0]}" missing`)],
      [[], /must name every call status/],
    ];
    for (const [list, message] of cases) {
      const response = await reorderCall(server, list);
      expectError(response, "BAD_USER_INPUT", "codes");
      expect(response.errors![0].message).toMatch(message);
    }
    expect(await callStatuses(server)).toEqual(before);
  });

  it("refuses a stale expectedRevision with CONFLICT and writes nothing", async () => {
    const before = await callStatuses(server);
    // A status created meanwhile (say by another administrator).
    await server.ok(`mutation { createCallStatus(input: { title: "Created meanwhile" }) { id } }`);
    const current = await callStatuses(server);
    const codes = [...current.rows].reverse().map((r) => r.code);
    const stale = await reorderCall(server, codes, before.revision);
    expectError(stale, "CONFLICT", "expectedRevision");
    expect(await callStatuses(server)).toEqual(current);
    const fresh = await reorderCall(server, codes, current.revision);
    expect(fresh.errors).toBeUndefined();
  });

  it("stays whole beside concurrent edits: each reorder either applies entirely or is refused as stale", async () => {
    for (let round = 0; round < 5; round += 1) {
      const { rows, revision } = await callStatuses(server);
      const codes = [...rows].reverse().map((r) => r.code);
      const [reordered, edited] = await Promise.all([
        reorderCall(server, codes, revision),
        server.gql<{ updateCallStatus: Row }>(
          `mutation($id: ID!) { updateCallStatus(id: $id, input: { sort: 5 }) { ${FIELDS} } }`,
          { id: rows[1].id },
        ),
      ]);
      expect(edited.errors).toBeUndefined();
      const after = (await callStatuses(server)).rows;
      if (reordered.errors) {
        // The edit committed first: the reorder saw a newer revision and wrote nothing.
        expectError(reordered, "CONFLICT", "expectedRevision");
        const byCode = new Map(after.map((r) => [r.code, r.sort]));
        for (const row of rows) {
          expect(byCode.get(row.code)).toBe(row.id === rows[1].id ? 5 : row.sort);
        }
      } else {
        // The reorder first, then the edit on top of it (it re-read the version the reorder left).
        const expected = codes.map((code, i) => [code, code === rows[1].code ? 5 : (i + 1) * 10]);
        expect(after.map((r) => [r.code, r.sort]).sort()).toEqual(expected.sort());
      }
    }
  });

  it("sends live subscribers one update with the new order", async () => {
    const client = liveClient(server.url, { "X-Api-Key": server.adminKey });
    clients.push(client);
    const sub = client.subscribe<{
      callStatusesChanged: { revision: string; callStatuses: Array<{ code: string }> };
    }>(`subscription { callStatusesChanged { revision callStatuses { code } } }`);
    await sub.waitFor(1);
    const { rows } = await callStatuses(server);
    const codes = [...rows].reverse().map((r) => r.code);
    expect((await reorderCall(server, codes)).errors).toBeUndefined();
    const [, update] = await sub.waitFor(2);
    expect(update.data!.callStatusesChanged.callStatuses.map((s) => s.code)).toEqual(codes);
    await settle(500);
    expect(sub.received).toHaveLength(2);
  });

  it("reorders lead statuses the same way", async () => {
    const { leadStatuses } = await server.ok<{ leadStatuses: Row[] }>(
      `{ leadStatuses { ${FIELDS} } }`,
    );
    const codes = [...leadStatuses].reverse().map((r) => r.code);
    const { reorderLeadStatuses } = await server.ok<{ reorderLeadStatuses: Row[] }>(
      `mutation($codes: [String!]!) { reorderLeadStatuses(codes: $codes) { ${FIELDS} } }`,
      { codes },
    );
    expect(reorderLeadStatuses.map((r) => [r.code, r.sort])).toEqual(
      codes.map((c, i) => [c, (i + 1) * 10]),
    );
    const missing = await server.gql(
      `mutation($codes: [String!]!) { reorderLeadStatuses(codes: $codes) { id } }`,
      {
        codes: codes.slice(1),
      },
    );
    expectError(missing, "BAD_USER_INPUT", "codes");
    expect(missing.errors![0].message).toMatch(/must name every lead status/);
  });

  it("is for administrators only", async () => {
    const { rows } = await callStatuses(server);
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"]) {
      const key = await server.createKey(role);
      const response = await server.gql(
        `mutation($codes: [String!]!) { reorderCallStatuses(codes: $codes) { id } }`,
        { codes: rows.map((r) => r.code) },
        { "x-api-key": key },
      );
      expectError(response, "FORBIDDEN");
    }
    expect((await callStatuses(server)).rows).toEqual(rows);
  });
});
