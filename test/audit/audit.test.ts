import { describeEachDatabase, expectError } from "../support/harness";

interface Entry {
  id: string;
  at: string;
  actorId: string;
  actorRole: string | null;
  action: string;
  entityType: string;
  entityId: string;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
  requestId: string | null;
}

const ENTRY = `id at actorId actorRole action entityType entityId changes requestId`;

describeEachDatabase("audit trail", (server) => {
  const log = async (filter: Record<string, unknown>, first = 50) =>
    (
      await server.ok<{ auditLog: { totalCount: number; edges: Array<{ node: Entry }> } }>(
        `query($filter: AuditLogFilter, $first: Int) { auditLog(filter: $filter, first: $first) { totalCount edges { node { ${ENTRY} } } } }`,
        { filter, first },
      )
    ).auditLog;

  it("records who created and changed a call status, with before and after, and the request id", async () => {
    const created = await server.gql<{ createCallStatus: { id: string } }>(
      `mutation { createCallStatus(input: { title: "Audited", leadStatusCode: "qualified" }) { id } }`,
      undefined,
      { "x-request-id": "audit-create-1" },
    );
    const id = created.data!.createCallStatus.id;
    await server.gql(
      `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "Audited twice", showToAiAgents: true }) { id } }`,
      { id },
      { "x-request-id": "audit-update-1" },
    );
    const viewer = await server.ok<{ viewer: { actorId: string } }>(`{ viewer { actorId } }`);

    const entries = (await log({ entityType: "CALL_STATUS", entityId: id })).edges.map(
      (e) => e.node,
    );
    expect(entries.map((e) => e.action)).toEqual(["UPDATE", "CREATE"]); // newest first
    const [update, create] = entries;
    expect(create).toMatchObject({
      actorId: viewer.viewer.actorId,
      actorRole: "ADMIN",
      entityType: "CALL_STATUS",
      entityId: id,
      requestId: "audit-create-1",
    });
    expect(create.changes).toEqual(
      expect.arrayContaining([
        { field: "title", before: null, after: "Audited" },
        { field: "code", before: null, after: "audited" },
      ]),
    );
    expect(update.requestId).toBe("audit-update-1");
    expect(update.changes).toEqual([
      { field: "title", before: "Audited", after: "Audited twice" },
      { field: "showToAiAgents", before: false, after: true },
    ]);

    const history = await server.ok<{ callStatus: { history: Entry[] } }>(
      `query($id: ID) { callStatus(id: $id) { history { action changes } } }`,
      { id },
    );
    expect(history.callStatus.history.map((e) => e.action)).toEqual(["CREATE", "UPDATE"]);
  });

  it("writes nothing for a refused or empty change", async () => {
    const created = await server.ok<{ createLeadStatus: { id: string } }>(
      `mutation { createLeadStatus(input: { title: "Audited lead", category: IN_PROGRESS }) { id } }`,
    );
    const id = created.createLeadStatus.id;
    const before = (await log({ entityType: "LEAD_STATUS", entityId: id })).totalCount;
    expect(before).toBe(1);
    expectError(
      await server.gql(
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { color: "red" }) { id } }`,
        { id },
      ),
      "BAD_USER_INPUT",
    );
    expectError(
      await server.gql(
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "x", expectedVersion: 7 }) { id } }`,
        { id },
      ),
      "CONFLICT",
    );
    await server.ok(
      `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "Audited lead" }) { id } }`,
      {
        id,
      },
    );
    expectError(
      await server.gql(
        `mutation { createLeadStatus(input: { code: "new", title: "Dup", category: IN_PROGRESS }) { id } }`,
      ),
      "CONFLICT",
    );
    expect((await log({ entityType: "LEAD_STATUS", entityId: id })).totalCount).toBe(1);
    const history = await server.ok<{ leadStatus: { history: Entry[] } }>(
      `query($id: ID) { leadStatus(id: $id) { history { action } } }`,
      { id },
    );
    expect(history.leadStatus.history).toEqual([{ action: "CREATE" }]);
  });

  it("records API key creation and revocation, never the secret", async () => {
    const secret = await server.createKey("AGENT", "audited key");
    const id = (
      await server.ok<{ apiKeys: Array<{ id: string; prefix: string }> }>(
        `{ apiKeys { id prefix } }`,
      )
    ).apiKeys.find((k) => secret.startsWith(`${k.prefix}_`))!.id;
    await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id });
    await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id }); // no-op
    const entries = (await log({ entityType: "API_KEY", entityId: id })).edges.map((e) => e.node);
    expect(entries.map((e) => e.action)).toEqual(["REVOKE", "CREATE"]);
    expect(entries[1].changes).toEqual([
      { field: "name", before: null, after: "audited key" },
      { field: "role", before: null, after: "AGENT" },
      { field: "prefix", before: null, after: secret.slice(0, 12) },
    ]);
    expect(JSON.stringify(entries)).not.toContain(secret.slice(13));
    // The bootstrap key was created by the service itself.
    const bootstrap = (await log({ entityType: "API_KEY", actorId: "system" })).edges.map(
      (e) => e.node,
    );
    expect(bootstrap).toHaveLength(1);
    expect(bootstrap[0]).toMatchObject({ action: "CREATE", actorRole: null });
  });

  it("filters by actor and time, pages, and is for ADMIN only", async () => {
    const all = await log({});
    expect(all.totalCount).toBeGreaterThanOrEqual(6);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    expect((await log({ from: hourAgo })).totalCount).toBe(all.totalCount);
    expect((await log({ to: hourAgo })).totalCount).toBe(0);
    const page = await log({}, 2);
    expect(page.edges).toHaveLength(2);

    const agent = await server.createKey("AGENT", "nosy agent");
    const forbidden = await server.gql(`{ auditLog { totalCount } }`, undefined, {
      "x-api-key": agent,
    });
    expectError(forbidden, "FORBIDDEN");
    const history = await server.gql(
      `{ callStatus(code: "qualified") { history { id } } }`,
      undefined,
      {
        "x-api-key": agent,
      },
    );
    expect(history.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });
});
