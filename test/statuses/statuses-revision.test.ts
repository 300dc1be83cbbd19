/**
 * `Query.statusesRevision`: the revision of the status settings as the caller sees them. It
 * moves with every committed change of a list the caller reads — and, for AGENT and AI_AGENT,
 * only then: a change of a status hidden from them does not show in theirs.
 */
import { describeEachDatabase, expectError } from "../support/harness";

const REVISION = `{ statusesRevision }`;

describeEachDatabase("statusesRevision", (server) => {
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"]) keys[role] = await server.createKey(role);
  });

  async function revisionOf(role: string): Promise<string> {
    const headers: Record<string, string> = role === "ADMIN" ? {} : { "x-api-key": keys[role] };
    const data = await server.ok<{ statusesRevision: string }>(REVISION, {}, headers);
    expect(typeof data.statusesRevision).toBe("string");
    return data.statusesRevision;
  }

  async function revisions(): Promise<Record<string, string>> {
    const entries = await Promise.all(
      ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"].map(async (role) => [role, await revisionOf(role)]),
    );
    return Object.fromEntries(entries);
  }

  async function update(code: string, input: Record<string, unknown>): Promise<void> {
    const { callStatus } = await server.ok<{ callStatus: { id: string } }>(
      `query($code: String) { callStatus(code: $code) { id } }`,
      { code },
    );
    await server.ok(
      `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
      { id: callStatus.id, input },
    );
  }

  /** Which roles' revisions moved between `before` and `after`. */
  function moved(before: Record<string, string>, after: Record<string, string>): string[] {
    return Object.keys(before).filter((role) => before[role] !== after[role]);
  }

  it("is the account's change counter for ADMIN and SYSTEM, the same one the change log records", async () => {
    const before = await revisionOf("ADMIN");
    expect(before).toMatch(/^[0-9]+$/);
    expect(await revisionOf("SYSTEM")).toBe(before);
    await server.ok(
      `mutation { createLeadStatus(input: { title: "Revision check", category: IN_PROGRESS }) { id } }`,
    );
    const after = await revisionOf("ADMIN");
    expect(Number(after)).toBe(Number(before) + 1);
    const [entry]: Array<{ revision: number | string }> = await server.app.dataSource.query(
      "SELECT revision FROM change_log WHERE type = 'lead_status.created' ORDER BY id DESC LIMIT 1",
    );
    expect(String(entry.revision)).toBe(after);
  });

  it("stays the same while nothing changes, for every role", async () => {
    expect(await revisions()).toEqual(await revisions());
  });

  it("moves for everyone when a status every audience sees changes", async () => {
    const before = await revisions();
    await update("qualified", { description: "The lead is a match (revision test)" });
    expect(moved(before, await revisions())).toEqual(["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"]);
  });

  it("does not move for AGENT or AI_AGENT when a status hidden from both changes", async () => {
    const before = await revisions();
    // voicemail: agentVisibility NEVER, not for AI agents.
    await update("voicemail", { title: "Answering machine" });
    expect(moved(before, await revisions())).toEqual(["ADMIN", "SYSTEM"]);
  });

  it("moves only for the audience that sees the changed status", async () => {
    let before = await revisions();
    // Opened to AI agents only: the AI agents' lists change, the agents' do not.
    await update("missed_by_system", { showToAiAgents: true });
    expect(moved(before, await revisions())).toEqual(["ADMIN", "SYSTEM", "AI_AGENT"]);
    before = await revisions();
    // Offered to agents after a transfer: the agents' lists change (they see such statuses).
    await update("call_terminated", { agentVisibility: "AFTER_CALL_TRANSFER" });
    expect(moved(before, await revisions())).toEqual(["ADMIN", "SYSTEM", "AGENT"]);
  });

  it("moves for agents when a lead status changes (every role reads the lead statuses)", async () => {
    const before = await revisions();
    const { leadStatus } = await server.ok<{ leadStatus: { id: string } }>(
      `{ leadStatus(code: "new") { id } }`,
    );
    await server.ok(
      `mutation($id: ID!) { updateLeadStatus(id: $id, input: { color: "#123456" }) { id } }`,
      { id: leadStatus.id },
    );
    expect(moved(before, await revisions())).toEqual(["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"]);
  });

  it("is refused to the platform operator, who reads no account's settings", async () => {
    const platform = await server.createPlatformKey();
    expectError(await server.gql(REVISION, {}, { "x-api-key": platform }), "FORBIDDEN");
  });
});
