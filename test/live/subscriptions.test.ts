/**
 * Live changes over WebSocket (graphql-ws): the status lists and leads, scoped by role, audience
 * and account like the queries; credentials in connection_init or headers; revocation closes.
 */
import { StatusLoaders } from "../../src/statuses/status.loaders";
import { describeEachDatabase } from "../support/harness";
import { liveClient, settle, type LiveClient } from "./ws-client";

interface CallStatusesChange {
  callStatusesChanged: { revision: string; callStatuses: Array<{ code: string; title: string }> };
}

const CALL_STATUSES = `subscription($visibleTo: Audience, $afterCallTransfer: Boolean) {
  callStatusesChanged(visibleTo: $visibleTo, afterCallTransfer: $afterCallTransfer) {
    revision callStatuses { code title }
  }
}`;

describeEachDatabase("subscriptions over WebSocket", (server) => {
  const keys: Record<string, string> = {};
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"]) keys[role] = await server.createKey(role);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
  });

  function connect(role: string): LiveClient {
    const key = role === "ADMIN" ? server.adminKey : keys[role];
    const client = liveClient(server.url, { "X-Api-Key": key });
    clients.push(client);
    return client;
  }

  async function updateCallStatus(code: string, input: Record<string, unknown>) {
    const { callStatus } = await server.ok<{ callStatus: { id: string } }>(
      `query($code: String) { callStatus(code: $code) { id } }`,
      { code },
    );
    await server.ok(
      `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
      { id: callStatus.id, input },
    );
  }

  it("sends the caller's whole list on subscribing, with the revision statusesRevision answers", async () => {
    const sub = connect("AGENT").subscribe<CallStatusesChange>(CALL_STATUSES);
    const [first] = await sub.waitFor(1);
    expect(first.errors).toBeUndefined();
    const change = first.data!.callStatusesChanged;
    const { callStatuses, statusesRevision } = await server.ok<{
      callStatuses: Array<{ code: string; title: string }>;
      statusesRevision: string;
    }>(`{ callStatuses { code title } statusesRevision }`, {}, { "x-api-key": keys.AGENT });
    expect(change.callStatuses).toEqual(callStatuses);
    expect(change.revision).toBe(statusesRevision);
    expect(change.callStatuses.map((s) => s.code)).toEqual(["qualified", "disqualified"]);
  });

  it("sends the new list after a committed change the caller can see, and nothing for a hidden one", async () => {
    const agent = connect("AGENT").subscribe<CallStatusesChange>(CALL_STATUSES);
    const admin = connect("ADMIN").subscribe<CallStatusesChange>(CALL_STATUSES);
    await agent.waitFor(1);
    await admin.waitFor(1);
    // Hidden from agents: the ADMIN hears of it, the AGENT does not.
    await updateCallStatus("voicemail", { title: "Voicemail (renamed)" });
    const [, afterHidden] = await admin.waitFor(2);
    expect(afterHidden.data!.callStatusesChanged.callStatuses.map((s) => s.title)).toContain(
      "Voicemail (renamed)",
    );
    await settle();
    expect(agent.received).toHaveLength(1);
    // Visible to agents: both hear of it.
    await updateCallStatus("qualified", { title: "Qualified (live)" });
    const [, afterVisible] = await agent.waitFor(2);
    expect(afterVisible.data!.callStatusesChanged.callStatuses[0].title).toBe("Qualified (live)");
    await admin.waitFor(3);
    // Opened to agents: now in the agent's list.
    await updateCallStatus("voicemail", { agentVisibility: "ALWAYS" });
    const [, , opened] = await agent.waitFor(3);
    expect(opened.data!.callStatusesChanged.callStatuses.map((s) => s.code)).toContain("voicemail");
    await updateCallStatus("voicemail", { agentVisibility: "NEVER" });
    const [, , , closedAgain] = await agent.waitFor(4);
    expect(closedAgain.data!.callStatusesChanged.callStatuses.map((s) => s.code)).not.toContain(
      "voicemail",
    );
  });

  it("scopes AI agents to their audience and refuses another one, as callStatuses does", async () => {
    const ai = connect("AI_AGENT");
    const own = ai.subscribe<CallStatusesChange>(CALL_STATUSES);
    const [first] = await own.waitFor(1);
    expect(first.data!.callStatusesChanged.callStatuses.map((s) => s.code)).toEqual([
      "qualified",
      "disqualified",
    ]);
    const other = ai.subscribe<CallStatusesChange>(CALL_STATUSES, { visibleTo: "AGENT" });
    const [refused] = await other.waitFor(1);
    expect(refused.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("executes a document once per change for the subscribers of one role, each role its own answer", async () => {
    const LEAD_STATUSES = `subscription { leadStatusesChanged { revision leadStatuses { code callStatuses { code } } } }`;
    interface LeadStatusesChange {
      leadStatusesChanged: {
        revision: string;
        leadStatuses: Array<{ code: string; callStatuses: Array<{ code: string }> }>;
      };
    }
    const loaders = server.app.container.get(StatusLoaders);
    const calls = jest.spyOn(loaders, "callStatusesOf");
    try {
      const admins = Array.from({ length: 10 }, () =>
        connect("ADMIN").subscribe<LeadStatusesChange>(LEAD_STATUSES),
      );
      const agents = Array.from({ length: 10 }, () =>
        connect("AGENT").subscribe<LeadStatusesChange>(LEAD_STATUSES),
      );
      for (const sub of [...admins, ...agents]) await sub.waitFor(1);
      calls.mockClear();

      const { leadStatus } = await server.ok<{ leadStatus: { id: string } }>(
        `query { leadStatus(code: "in_progress") { id } }`,
      );
      await server.ok(
        `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "In progress (shared)" }) { id } }`,
        { id: leadStatus.id },
      );
      const adminLists = await Promise.all(admins.map(async (sub) => (await sub.waitFor(2))[1]));
      const agentLists = await Promise.all(agents.map(async (sub) => (await sub.waitFor(2))[1]));
      const leadStatuses = adminLists[0].data!.leadStatusesChanged.leadStatuses.length;
      // One execution for the ten administrators and one for the ten agents: each asks for
      // every lead status's call statuses once.
      expect(calls).toHaveBeenCalledTimes(2 * leadStatuses);
      // Each role's answer, the same to all of that role: agents never see what is hidden from
      // them (voicemail), administrators see it, and their revisions differ.
      const codes = (answer: (typeof adminLists)[number]) =>
        answer.data!.leadStatusesChanged.leadStatuses.flatMap((l) =>
          l.callStatuses.map((c) => c.code),
        );
      for (const answer of adminLists) expect(answer).toEqual(adminLists[0]);
      for (const answer of agentLists) expect(answer).toEqual(agentLists[0]);
      expect(codes(adminLists[0])).toContain("voicemail");
      expect(codes(agentLists[0])).not.toContain("voicemail");
      expect(adminLists[0].data!.leadStatusesChanged.revision).not.toBe(
        agentLists[0].data!.leadStatusesChanged.revision,
      );
    } finally {
      calls.mockRestore();
    }
  });

  it("follows one lead: the lead and the call recorded for it, after each committed change", async () => {
    const { createLead } = await server.ok<{ createLead: { id: string } }>(
      `mutation { createLead(input: { name: "Live Lead" }) { id } }`,
    );
    const agent = connect("AGENT");
    const sub = agent.subscribe<{
      leadChanged: {
        lead: { id: string; status: { code: string } };
        call: { id: string; outcome: { code: string } } | null;
      };
    }>(
      `subscription($id: ID) { leadChanged(leadId: $id) { lead { id status { code } } call { id outcome { code } } } }`,
      {
        id: createLead.id,
      },
    );
    await settle(100);
    const { recordCallResult } = await server.ok<{ recordCallResult: { call: { id: string } } }>(
      `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
      { input: { leadId: createLead.id, callStatusCode: "disqualified" } },
      { "x-api-key": keys.SYSTEM },
    );
    const [change] = await sub.waitFor(1);
    expect(change.errors).toBeUndefined();
    expect(change.data!.leadChanged).toEqual({
      lead: { id: createLead.id, status: { code: "disqualified" } },
      call: { id: recordCallResult.call.id, outcome: { code: "disqualified" } },
    });
    // AGENT and AI_AGENT follow one lead at a time.
    const all = agent.subscribe(`subscription { leadChanged { lead { id } } }`);
    const [refused] = await all.waitFor(1);
    expect(refused.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses a connection without a valid credential, and takes one from the upgrade headers", async () => {
    const anonymous = liveClient(server.url, {});
    clients.push(anonymous);
    expect((await anonymous.closed).code).toBe(4403);
    const wrong = liveClient(server.url, { "X-Api-Key": "csk_00000000_nope" });
    clients.push(wrong);
    expect((await wrong.closed).code).toBe(4403);
    const byHeader = liveClient(server.url, undefined, { headers: { "x-api-key": keys.AGENT } });
    clients.push(byHeader);
    const [first] = await byHeader.subscribe<CallStatusesChange>(CALL_STATUSES).waitFor(1);
    expect(first.data!.callStatusesChanged.callStatuses.length).toBeGreaterThan(0);
  });

  it("closes the connection of a key once it is revoked", async () => {
    const { createApiKey } = await server.ok<{
      createApiKey: { apiKey: { id: string }; secret: string };
    }>(
      `mutation { createApiKey(input: { name: "revoked live", role: AGENT }) { apiKey { id } secret } }`,
    );
    const client = liveClient(server.url, { "X-Api-Key": createApiKey.secret });
    clients.push(client);
    await client.subscribe(CALL_STATUSES).waitFor(1);
    await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: createApiKey.apiKey.id,
    });
    expect((await client.closed).code).toBe(4403);
  }, 20_000);

  it("delivers nothing of another account's changes", async () => {
    const platform = await server.createPlatformKey();
    await server.ok(
      `mutation { createAccount(input: { code: "other_live", name: "Other" }) { id } }`,
      {},
      { "x-api-key": platform },
    );
    const { createApiKey } = await server.ok<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(input: { name: "other", role: ADMIN, accountCode: "other_live" }) { secret } }`,
      {},
      { "x-api-key": platform },
    );
    const ours = connect("ADMIN").subscribe<CallStatusesChange>(CALL_STATUSES);
    const theirs = liveClient(server.url, { "X-Api-Key": createApiKey.secret });
    clients.push(theirs);
    const their = theirs.subscribe<CallStatusesChange>(CALL_STATUSES);
    await ours.waitFor(1);
    await their.waitFor(1);
    await server.ok(
      `mutation { createCallStatus(input: { title: "Only theirs" }) { id } }`,
      {},
      { "x-api-key": createApiKey.secret },
    );
    const [, changed] = await their.waitFor(2);
    expect(changed.data!.callStatusesChanged.callStatuses.map((s) => s.title)).toContain(
      "Only theirs",
    );
    await settle();
    expect(ours.received).toHaveLength(1);
  });

  it("holds at most SUBSCRIPTIONS_MAX_PER_CONNECTION subscriptions on one connection", async () => {
    const client = connect("ADMIN");
    const limit = server.app.config.subscriptions.maxPerConnection;
    const open = Array.from({ length: limit }, () => client.subscribe(CALL_STATUSES));
    await Promise.all(open.map((sub) => sub.waitFor(1)));
    const over = client.subscribe(CALL_STATUSES);
    await expect(over.ended).rejects.toEqual([
      expect.objectContaining({ extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } }),
    ]);
    // Completing one makes room again.
    open[0].stop();
    await settle(100);
    await client.subscribe(CALL_STATUSES).waitFor(1);
  });

  it("serves only subscriptions over WebSocket, and refuses them over HTTP", async () => {
    const query = connect("ADMIN").subscribe(`{ statusesRevision }`);
    // Refused before it runs: an `error` message for the operation, the connection stays.
    await expect(query.ended).rejects.toEqual([
      expect.objectContaining({ extensions: { code: "BAD_REQUEST" } }),
    ]);
    const overHttp = await server.gql(CALL_STATUSES);
    expect(overHttp.errors?.[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
