/** The setting of the isolation tests: one server, two accounts filled with marked rows. */
import { TestServer, type DbKind } from "../../support/harness";
import { JWT_SECRET, ROLES, type Key, Party, token } from "./parties";

export const CREATE_CALL_STATUS = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id code } }`;
export const CREATE_LEAD_STATUS = `mutation($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { id code } }`;
export const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id status { id code } } }`;
export const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id status { id code title } } lead { id } }
}`;
export type Recorded = {
  recordCallResult: {
    call: { id: string; status: { id: string; code: string; title: string } | null };
    lead: { id: string };
  };
};

/**
 * The two accounts of the isolation tests on one server of `kind`, filled in `beforeAll`: A's rows
 * of every kind (each marked ALPHA-SECRET), B's with the same codes, external ids and idempotency
 * keys, and rows of B's own that the schema walk may change. Stopped in `afterAll`.
 */
export function twoAccounts(kind: DbKind) {
  const server = new TestServer(kind);
  const A = new Party("alpha_secret", "ALPHA-SECRET Call Centre");
  const B = new Party("bravo", "Bravo Call Centre");
  let platform: Record<string, string>;
  /** B's rows that the walk may change, besides the lists it reads. */
  const bOwn = { spareKey: "", targetCallStatus: "", targetLeadStatus: "", webhookEndpoint: "" };
  let systemCallCodes: string[];
  let systemLeadCodes: string[];

  const gqlAs = <T = Record<string, unknown>>(
    headers: Record<string, string>,
    query: string,
    variables?: Record<string, unknown>,
  ) => server.ok<T>(query, variables, headers);

  async function createCallStatus(party: Party, input: Record<string, unknown>) {
    const data = await gqlAs<{ createCallStatus: { id: string; code: string } }>(
      party.as("ADMIN"),
      CREATE_CALL_STATUS,
      { input },
    );
    party.callStatusIds.set(data.createCallStatus.code, data.createCallStatus.id);
    return data.createCallStatus.id;
  }

  async function createLeadStatus(party: Party, input: Record<string, unknown>) {
    const data = await gqlAs<{ createLeadStatus: { id: string; code: string } }>(
      party.as("ADMIN"),
      CREATE_LEAD_STATUS,
      { input },
    );
    party.leadStatusIds.set(data.createLeadStatus.code, data.createLeadStatus.id);
    return data.createLeadStatus.id;
  }

  async function createLead(party: Party, input: Record<string, unknown>) {
    const data = await gqlAs<{ createLead: { id: string; status: { id: string; code: string } } }>(
      party.as("SYSTEM"),
      CREATE_LEAD,
      { input },
    );
    party.leadIds.push(data.createLead.id);
    return data.createLead;
  }

  async function record(party: Party, headers: Record<string, string>, input: object) {
    const data = await gqlAs<Recorded>(headers, RECORD, { input });
    if (!party.callIds.includes(data.recordCallResult.call.id)) {
      party.callIds.push(data.recordCallResult.call.id);
    }
    return data.recordCallResult;
  }

  async function createKey(headers: Record<string, string>, input: object): Promise<Key> {
    const data = await gqlAs<{
      createApiKey: { secret: string; apiKey: { id: string; prefix: string } };
    }>(
      headers,
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }`,
      { input },
    );
    return { secret: data.createApiKey.secret, ...data.createApiKey.apiKey };
  }

  /** An endpoint of `party`'s on a port nobody listens on (its deliveries fail and wait). */
  async function createWebhookEndpoint(party: Party, description: string): Promise<string> {
    const data = await gqlAs<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
      party.as("ADMIN"),
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
      {
        input: {
          url: `http://127.0.0.1:9/${party.code}`,
          events: ["call.recorded", "lead.created"],
          description,
        },
      },
    );
    return data.createWebhookEndpoint.endpoint.id;
  }

  beforeAll(async () => {
    await server.start({
      auth: {
        apiKeyCacheSeconds: 5,
        jwt: {
          secret: JWT_SECRET,
          roleClaim: "role",
          maxAgeSeconds: 3600,
          accountClaim: "account",
        },
      },
    });
    platform = { "x-api-key": await server.createPlatformKey() };
    const system = await server.ok<{
      callStatuses: Array<{ code: string }>;
      leadStatuses: Array<{ code: string }>;
    }>(
      `{ callStatuses(filter: { type: SYSTEM }) { code } leadStatuses(filter: { type: SYSTEM }) { code } }`,
    );
    systemCallCodes = system.callStatuses.map((s) => s.code);
    systemLeadCodes = system.leadStatuses.map((s) => s.code);

    for (const party of [A, B]) {
      const { createAccount } = await gqlAs<{ createAccount: { id: string } }>(
        platform,
        `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
        { input: { code: party.code, name: party.name } },
      );
      party.accountId = createAccount.id;
      for (const role of ROLES) {
        const label = party === A ? "ALPHA-SECRET" : "bravo";
        party.keys[role] = await createKey(platform, {
          name: `${label} ${role} key`,
          role,
          accountCode: party.code,
        });
      }
      party.token = await token({ role: "SYSTEM", account: party.code });
    }

    // A: every kind of row, every one marked.
    A.extraKeys.push(
      await createKey(A.as("ADMIN"), { name: "ALPHA-SECRET spare key", role: "SYSTEM" }),
      await createKey(A.as("ADMIN"), { name: "ALPHA-SECRET revoked key", role: "AGENT" }),
    );
    await gqlAs(A.as("ADMIN"), `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: A.extraKeys[1].id,
    });
    await createLeadStatus(A, {
      code: "alpha_secret_lead",
      title: "ALPHA-SECRET Lead Status",
      category: "IN_PROGRESS",
      color: "#123456",
    });
    await createLeadStatus(A, {
      code: "shared_lead_code",
      title: "ALPHA-SECRET Shared Lead Status",
      category: "QUALIFIED",
    });
    await createCallStatus(A, {
      code: "alpha_secret_call",
      title: "ALPHA-SECRET Outcome",
      description: "ALPHA-SECRET: what this outcome means",
      leadStatusCode: "alpha_secret_lead",
      showToAiAgents: true,
    });
    await createCallStatus(A, {
      code: "shared_code",
      title: "ALPHA-SECRET Shared Outcome",
      description: "ALPHA-SECRET shared outcome",
      leadStatusCode: "shared_lead_code",
      showToAiAgents: true,
    });
    // An AI-visible status without a description: a configuration warning of A's.
    await createCallStatus(A, {
      code: "alpha_secret_undescribed",
      title: "ALPHA-SECRET Undescribed",
      showToAiAgents: true,
    });
    // Changes (UPDATE audit entries), by the ids the creations answered: the setup reads
    // nothing back, so it still runs when isolation is broken and the tests can say what broke.
    await gqlAs(
      A.as("ADMIN"),
      `mutation($id: ID!) { updateCallStatus(id: $id, input: { title: "ALPHA-SECRET Outcome (renamed)", sort: 5 }) { id } }`,
      { id: A.callStatusIds.get("alpha_secret_call") },
    );
    await gqlAs(
      A.as("ADMIN"),
      `mutation($id: ID!) { updateLeadStatus(id: $id, input: { title: "ALPHA-SECRET Lead Status (renamed)" }) { id } }`,
      { id: A.leadStatusIds.get("alpha_secret_lead") },
    );
    const aLead1 = await createLead(A, {
      externalId: "shared-external-id",
      name: "ALPHA-SECRET Lead One",
      phone: "+44 20 7946 0001",
    });
    const aLead2 = await createLead(A, {
      externalId: "alpha-secret-external-2",
      name: "ALPHA-SECRET Lead Two",
      statusCode: "alpha_secret_lead",
    });
    await record(A, A.as("SYSTEM"), {
      leadId: aLead1.id,
      callStatusCode: "alpha_secret_call",
      comment: "ALPHA-SECRET comment",
      idempotencyKey: "shared-idempotency-key",
    });
    await record(A, A.bearer, {
      leadId: aLead2.id,
      callStatusCode: "shared_code",
      comment: "ALPHA-SECRET via a token",
      idempotencyKey: "shared-token-key",
    });
    const ai = await gqlAs<{ recordAiCallResult: { call: { id: string } } }>(
      A.as("AI_AGENT"),
      `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) { call { id } } }`,
      {
        input: {
          leadId: aLead2.id,
          arguments: { callStatusCode: "alpha_secret_call", comment: "ALPHA-SECRET from the AI" },
          idempotencyKey: "shared-ai-key",
        },
      },
    );
    A.callIds.push(ai.recordAiCallResult.call.id);
    await createWebhookEndpoint(A, "ALPHA-SECRET CRM hook");

    // B: the same codes and keys where A has them, and rows of its own for the walk to use.
    B.extraKeys.push(await createKey(B.as("ADMIN"), { name: "bravo spare key", role: "AGENT" }));
    bOwn.spareKey = B.extraKeys[0].id;
    await createLeadStatus(B, {
      code: "shared_lead_code",
      title: "Bravo Shared Lead Status",
      category: "IN_PROGRESS",
    });
    await createLeadStatus(B, {
      code: "bravo_lead",
      title: "Bravo Lead Status",
      category: "IN_PROGRESS",
    });
    bOwn.targetLeadStatus = await createLeadStatus(B, {
      code: "bravo_target_lead",
      title: "Bravo Target Lead Status",
      category: "IN_PROGRESS",
    });
    await createCallStatus(B, {
      code: "shared_code",
      title: "Bravo Shared Outcome",
      description: "Bravo shared outcome",
      showToAiAgents: true,
    });
    await createCallStatus(B, {
      code: "bravo_call",
      title: "Bravo Outcome",
      description: "Bravo outcome",
      showToAiAgents: true,
    });
    bOwn.targetCallStatus = await createCallStatus(B, {
      code: "bravo_target",
      title: "Bravo Target",
      description: "Changed by the walk",
    });
    const bLead = await createLead(B, {
      externalId: "shared-external-id",
      name: "Bravo Lead One",
      // The same number as A's lead: B's look-up by it must find B's lead alone.
      phone: "+44 20 7946 0001",
    });
    await record(B, B.as("SYSTEM"), { leadId: bLead.id, callStatusCode: "bravo_call" });
    bOwn.webhookEndpoint = await createWebhookEndpoint(B, "Bravo CRM hook");
  });
  afterAll(() => server.stop());

  return {
    server,
    A,
    B,
    bOwn,
    gqlAs,
    createCallStatus,
    createLeadStatus,
    createLead,
    record,
    createKey,
    /** The platform operator's credentials (set in `beforeAll`). */
    get platform() {
      return platform;
    },
    /** The seeded call status codes (read in `beforeAll`). */
    get systemCallCodes() {
      return systemCallCodes;
    },
    /** The seeded lead status codes (read in `beforeAll`). */
    get systemLeadCodes() {
      return systemLeadCodes;
    },
  };
}
