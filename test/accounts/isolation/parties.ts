/**
 * The two parties of the isolation tests (accounts A and B: their keys, token and rows), the
 * markers and missing values aimed at B, and what each account holds, read back through the API.
 */
import { SignJWT } from "jose";
import { TestServer } from "../../support/harness";

export const JWT_SECRET = "account-isolation-secret-of-at-least-32-bytes";
/** What every title, name, description and comment of A's carries (codes: `alpha_secret…`). */
export const MARKER = /alpha[\s_-]*secret/i;
/** An id no row has, in range (a positive 32-bit integer). */
export const MISSING_ID = "2147480000";
/** A well-formed code no status and no account has. */
export const MISSING_CODE = "zz_missing_code";
/**
 * How many object types deep the generated selections go (a connection takes two of them:
 * `calls { edges { node { lead { status { … } } } } }` is five).
 */
export const MAX_DEPTH = 5;
/** The roles of B's keys that every generated operation is run as (all of them). */
export const WALK_ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
/** What the platform operator may do; every other field must answer it FORBIDDEN. */
export const PLATFORM_FIELDS = [
  "accounts",
  "createAccount",
  "updateAccount",
  "createApiKey",
  "viewer",
];

export const ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
export type RoleName = (typeof ROLES)[number];

export interface Key {
  id: string;
  prefix: string;
  secret: string;
}

/** One account as the test knows it: its keys, its token, and the rows made through the API. */
export class Party {
  accountId = "";
  keys = {} as Record<RoleName, Key>;
  /** Keys made by the account's ADMIN besides the four of the platform operator. */
  extraKeys: Key[] = [];
  /** A SYSTEM token whose subject (`dialer-1`) is the same in both accounts. */
  token = "";
  callStatusIds = new Map<string, string>();
  leadStatusIds = new Map<string, string>();
  leadIds: string[] = [];
  callIds: string[] = [];

  constructor(
    readonly code: string,
    readonly name: string,
  ) {}

  as(role: RoleName): Record<string, string> {
    return { "x-api-key": this.keys[role].secret };
  }

  get bearer(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  get keyIds(): string[] {
    return [...ROLES.map((role) => this.keys[role].id), ...this.extraKeys.map((k) => k.id)];
  }
}

export function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "dialer-1", iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(JWT_SECRET));
}

// ---------------------------------------------------------------------------------------------
// What each account holds, read back through the API
// ---------------------------------------------------------------------------------------------

/** An account's rows as its ADMIN lists them: ids by GraphQL type, codes, cursors, actors. */
export interface Inventory {
  ids: Map<string, Set<string>>;
  codes: Map<string, string[]>;
  cursors: string[];
  actors: string[];
  prefixes: string[];
  externalIds: string[];
  phones: string[];
}

export type Connection<T> = {
  totalCount: number;
  edges: Array<{ node: T }>;
  pageInfo: { endCursor: string | null };
};

export interface InventoryData {
  viewer: { account: { id: string; code: string } };
  callStatuses: Array<{ id: string; code: string }>;
  leadStatuses: Array<{ id: string; code: string }>;
  leads: Connection<{ id: string; externalId: string | null; phone: string | null }>;
  calls: Connection<{ id: string }>;
  apiKeys: Array<{ id: string; prefix: string }>;
  auditLog: Connection<{ id: string }>;
  changes: Connection<{ id: string }>;
  webhookEndpoints: Array<{ id: string }>;
}

export async function inventory(server: TestServer, party: Party): Promise<Inventory> {
  const data = await server.ok<InventoryData>(
    `{
      viewer { account { id code } }
      callStatuses { id code }
      leadStatuses { id code }
      leads(first: 100) { totalCount edges { node { id externalId phone } } pageInfo { endCursor } }
      calls(first: 100) { totalCount edges { node { id } } pageInfo { endCursor } }
      apiKeys { id prefix }
      auditLog(first: 100) { totalCount edges { node { id } } pageInfo { endCursor } }
      changes(first: 100) { totalCount edges { node { id } } pageInfo { endCursor } }
      webhookEndpoints { id }
    }`,
    undefined,
    party.as("ADMIN"),
  );
  for (const list of [data.leads, data.calls, data.auditLog, data.changes]) {
    expect(list.edges).toHaveLength(list.totalCount); // the inventory must be complete
  }
  const ids = (rows: Array<{ id: string }>) => new Set(rows.map((row) => row.id));
  const nodes = <T>(list: Connection<T>) => list.edges.map((edge) => edge.node);
  return {
    ids: new Map([
      ["Account", new Set([data.viewer.account.id])],
      ["CallStatus", ids(data.callStatuses)],
      ["LeadStatus", ids(data.leadStatuses)],
      ["Lead", ids(nodes(data.leads))],
      ["Call", ids(nodes(data.calls))],
      ["ApiKey", ids(data.apiKeys)],
      ["AuditEntry", ids(nodes(data.auditLog))],
      ["Change", ids(nodes(data.changes))],
      ["WebhookEndpoint", ids(data.webhookEndpoints)],
    ]),
    codes: new Map([
      ["Account", [data.viewer.account.code]],
      ["CallStatus", data.callStatuses.map((s) => s.code)],
      ["LeadStatus", data.leadStatuses.map((s) => s.code)],
    ]),
    cursors: [data.leads, data.calls, data.auditLog, data.changes].flatMap(
      (l) => l.pageInfo.endCursor ?? [],
    ),
    actors: data.apiKeys.map((key) => `key:${key.id}`),
    prefixes: data.apiKeys.map((key) => key.prefix),
    externalIds: nodes(data.leads).flatMap((lead) => lead.externalId ?? []),
    phones: nodes(data.leads).flatMap((lead) => lead.phone ?? []),
  };
}

/** Everything of A's an ADMIN of A can read, to compare before and after B's attempts. */
export const SNAPSHOT = `{
  viewer { account { id code name active } }
  callStatuses {
    id code title description sort type version createdAt updatedAt agentVisibility
    showToAiAgents commentRequired planningTimeRequired leadStatus { id }
    history { id action changes }
  }
  leadStatuses { id code title sort type category color version createdAt updatedAt }
  leads(first: 100) {
    totalCount
    edges { node { id externalId name phone version updatedAt status { id } calls { totalCount } } }
  }
  calls(first: 100) {
    totalCount
    edges { node { id comment recordedBy createdAt leadStatusChanged lead { id } outcome { code } } }
  }
  apiKeys { id name role prefix active revokedAt createdAt }
  auditLog(first: 100) { totalCount edges { node { id action entityType entityId changes } } }
  changes(first: 100) { totalCount edges { node { id type entityId leadId data } } }
  webhookEndpoints { id url description events active previousSecretExpiresAt updatedAt }
}`;
