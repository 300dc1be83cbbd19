/**
 * The fuzzing's seed and sizes (FUZZ_SEED, FUZZ_SCALE), and what every answer is held to: the
 * error codes a client may see, the texts that must never reach one, and the seeded statuses.
 */
import fs from "node:fs";
import path from "node:path";
import { LEAK_PATTERN } from "../../support/harness";

export const SEED = Number(process.env.FUZZ_SEED ?? 20_250_611);
/** Requests per property, per database (fast-check runs; one request each); FUZZ_SCALE=<n> multiplies them. */
export const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const RUNS = {
  operations: Math.round(3000 * SCALE),
  documents: Math.round(1500 * SCALE),
  http: Math.round(1000 * SCALE),
};
export const PROPERTY_TIMEOUT_MS = 300_000;
export const REQUEST_TIMEOUT_MS = 20_000;

export const JWT_SECRET = "fuzz-shared-secret-of-at-least-32-bytes!";

/** Every `extensions.code` a client may see here (the database is up: no SERVICE_UNAVAILABLE). */
export const KNOWN_CODES = new Set([
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "FORBIDDEN",
  "UNAUTHENTICATED",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/** The harness's leak pattern, plus raw JavaScript, body-parser and driver error texts. */
export const LEAK = new RegExp(
  `${LEAK_PATTERN.source}|\\n\\s+at |Unexpected token|SyntaxError|TypeError|RangeError|` +
    `Maximum call stack|Cannot read propert|is not a function|is not iterable|node_modules|` +
    `Pool is closed|connection is not open|Driver not Connected|TypeORM|better-sqlite3|mysql2`,
);
/**
 * Generated input must not look like a leak itself: it may be echoed in an error message, or be
 * stored (as a title, a name, …) and listed by later requests, or turned into a lowercase code.
 */
export const LEAK_LIKE_INPUT = new RegExp(`${LEAK.source}|\\b(SET|UPDATE|SELECT|INSERT)\\b`, "i");
export const leakFree = (text: string) => !LEAK_LIKE_INPUT.test(text);
/** The emitted schema, descriptions included, as introspection returns it. */
export const SCHEMA_TEXT = fs.readFileSync(
  path.join(__dirname, "..", "..", "..", "schema.graphql"),
  "utf8",
);

export const ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
export type RoleName = (typeof ROLES)[number];
export const SYSTEM_CALL_CODES = [
  "qualified",
  "disqualified",
  "voicemail",
  "call_terminated",
  "not_accepted_by_operator",
  "post_processing_not_completed",
  "missed_by_system",
];
export const SYSTEM_LEAD_STATUSES: Record<string, string> = {
  new: "IN_PROGRESS",
  in_progress: "IN_PROGRESS",
  qualified: "QUALIFIED",
  disqualified: "DISQUALIFIED",
};
export const LEAD_CODES = Object.keys(SYSTEM_LEAD_STATUSES);
