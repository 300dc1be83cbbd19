import { registerEnumType } from "type-graphql";

/** The kinds of callers. */
export enum Role {
  PLATFORM = "PLATFORM",
  ADMIN = "ADMIN",
  AGENT = "AGENT",
  AI_AGENT = "AI_AGENT",
  SYSTEM = "SYSTEM",
}

registerEnumType(Role, {
  name: "Role",
  description: "What a caller may see and do.",
  valuesConfig: {
    PLATFORM: {
      description:
        "The platform operator, bound to no account: creates and manages accounts and their first keys; sees no account's data.",
    },
    ADMIN: {
      description:
        "Settings pages: reads everything, creates and edits statuses, manages API keys.",
    },
    AGENT: {
      description:
        "An agent's wrap-up form: reads lead statuses and the call statuses offered to agents.",
    },
    AI_AGENT: {
      description:
        "An AI-agent orchestrator: reads lead statuses and the call statuses open to AI agents.",
    },
    SYSTEM: { description: "The dialer: reads every status." },
  },
});

/** Who is calling, established once per request from an API key or a JWT. */
export interface Principal {
  role: Role;
  /** Stable id of the actor: `key:<id>` for an API key, `jwt:<sub>` for a JWT, `cli` for the operator CLI. */
  actorId: string;
  /** How the caller proved who it is. */
  via: "api_key" | "jwt" | "cli";
  /** For API keys: the key's id and its visible prefix. */
  keyId?: number;
  keyPrefix?: string;
  /** For API keys: the key's name. */
  name?: string;
  /** The request this principal acts in, for the audit trail. */
  requestId?: string;
  /** The account the caller acts in (every read and write is limited to it); null for PLATFORM. */
  accountId: number | null;
  /** That account's code; null for PLATFORM. */
  accountCode: string | null;
  /** For JWTs: when the token expires (ms since the epoch); a long-lived subscription ends then. */
  expiresAt?: number;
}

/**
 * The operator running a command-line tool on the server itself: ADMIN of the account it acts
 * for, or PLATFORM (no account) for the platform's own operations.
 */
export function cliOperator(account: { id: number; code: string } | null): Principal {
  return account
    ? {
        role: Role.ADMIN,
        actorId: "cli",
        via: "cli",
        accountId: account.id,
        accountCode: account.code,
      }
    : { role: Role.PLATFORM, actorId: "cli", via: "cli", accountId: null, accountCode: null };
}
