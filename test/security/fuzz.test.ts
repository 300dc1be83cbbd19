/**
 * Fuzzing over HTTP, on every database: a few thousand random and mutated requests — valid
 * operations of the schema with hostile variables, mutated and truncated documents, random
 * tokens, and raw HTTP requests with broken bodies, content types, methods and credentials.
 *
 * Whatever comes in: never a 5xx, never INTERNAL_SERVER_ERROR, never an error without a known
 * `extensions.code`, never a stack trace, SQL text or driver message, and the process keeps
 * serving with its seeded statuses intact.
 *
 * Reproducible: every property runs with a fixed seed; a failure prints fast-check's shrunk
 * counterexample, the seed and the path to replay it. To explore further: FUZZ_SEED=<n> (another
 * seed), FUZZ_SCALE=<n> (n times as many requests), FUZZ_REPORT=1 (print responses by status).
 *
 * The server bugs it found are fixed, each kept below as a plain test of its minimal reproduction.
 */
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { SignJWT } from "jose";
import { graphqlDefaults } from "../../src/config";
import { describeEachDatabaseKind, LEAK_PATTERN, TestServer } from "../support/harness";

const SEED = Number(process.env.FUZZ_SEED ?? 20_250_611);
/** Requests per property, per database (fast-check runs; one request each); FUZZ_SCALE=<n> multiplies them. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = {
  operations: Math.round(3000 * SCALE),
  documents: Math.round(1500 * SCALE),
  http: Math.round(1000 * SCALE),
};
const PROPERTY_TIMEOUT_MS = 300_000;
const REQUEST_TIMEOUT_MS = 20_000;

const JWT_SECRET = "fuzz-shared-secret-of-at-least-32-bytes!";

/** Every `extensions.code` a client may see here (the database is up: no SERVICE_UNAVAILABLE). */
const KNOWN_CODES = new Set([
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
const LEAK = new RegExp(
  `${LEAK_PATTERN.source}|\\n\\s+at |Unexpected token|SyntaxError|TypeError|RangeError|` +
    `Maximum call stack|Cannot read propert|is not a function|is not iterable|node_modules|` +
    `Pool is closed|connection is not open|Driver not Connected|TypeORM|better-sqlite3|mysql2`,
);
/**
 * Generated input must not look like a leak itself: it may be echoed in an error message, or be
 * stored (as a title, a name, …) and listed by later requests, or turned into a lowercase code.
 */
const LEAK_LIKE_INPUT = new RegExp(`${LEAK.source}|\\b(SET|UPDATE|SELECT|INSERT)\\b`, "i");
const leakFree = (text: string) => !LEAK_LIKE_INPUT.test(text);
/** The emitted schema, descriptions included, as introspection returns it. */
const SCHEMA_TEXT = fs.readFileSync(path.join(__dirname, "..", "..", "schema.graphql"), "utf8");

const ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
type RoleName = (typeof ROLES)[number];
const SYSTEM_CALL_CODES = [
  "qualified",
  "disqualified",
  "voicemail",
  "call_terminated",
  "not_accepted_by_operator",
  "post_processing_not_completed",
  "missed_by_system",
];
const SYSTEM_LEAD_STATUSES: Record<string, string> = {
  new: "IN_PROGRESS",
  in_progress: "IN_PROGRESS",
  qualified: "QUALIFIED",
  disqualified: "DISQUALIFIED",
};
const LEAD_CODES = Object.keys(SYSTEM_LEAD_STATUSES);

// ---------------------------------------------------------------------------------------------
// Values

/** Serialized specially (see `serialize`): keeps counterexamples short and bodies huge. */
const repeated = (char: string, times: number) => `@@repeat:${times}:${char}@@`;
const deep = (kind: "array" | "object", depth: number) => `@@deep:${kind}:${depth}@@`;

/** JSON text of `value`, with the `repeated` and `deep` placeholders expanded. */
function serialize(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text
    .replace(/"@@repeat:(\d+):([^@"]+)@@"/g, (_, times: string, char: string) =>
      JSON.stringify(char.repeat(Number(times))),
    )
    .replace(/"@@deep:(array|object):(\d+)@@"/g, (_, kind: string, depth: string) =>
      kind === "array"
        ? "[".repeat(Number(depth)) + "]".repeat(Number(depth))
        : '{"a":'.repeat(Number(depth)) + "1" + "}".repeat(Number(depth)),
    );
}

const SPECIAL_STRINGS = [
  "",
  " ",
  "   ",
  "\t\n",
  "%",
  "_",
  "%%",
  "__",
  "%_%",
  "a%b_c",
  "\\",
  "\\%",
  "\\_",
  "'",
  "''",
  '"',
  "' OR '1'='1",
  "1; DROP TABLE call_statuses; --",
  "qualified' --",
  "\u0000",
  "a\u0000b",
  "\u202eevil",
  "\ufeff",
  "\u00a0",
  "\u2028",
  "\ud800",
  "\udfff",
  "😀",
  "👨‍👩‍👧‍👦",
  "Квалифицирован",
  "Голосовая почта",
  "ǅǈ",
  "ß",
  "İstanbul",
  "ﬁ",
  "e\u0301",
  "null",
  "undefined",
  "NaN",
  "__proto__",
  "constructor",
  "toString",
  "{}",
  "[]",
  "<script>alert(1)</script>",
  "${x}",
  "{{x}}",
  "%s%n%x",
  "../../etc/passwd",
  "qualified",
  "QUALIFIED",
  " qualified ",
  "new",
  "in_progress",
  "#FFFFFF",
  "#ffffff",
  "2030-01-01T00:00:00Z",
  "key:1",
  "csk_",
];

const hugeString = fc
  .record({
    char: fc.constantFrom("x", "Я", "😀", " ", "%", "_"),
    times: fc.constantFrom(64, 65, 255, 256, 1000, 1001, 2000, 2001, 65_536, 200_000),
  })
  .map(({ char, times }) => repeated(char, times));

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }).filter(leakFree) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).filter(leakFree) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: hugeString },
);

/** What a person would type: 1–40 characters, not blank, any script, or right at the limit. */
const validText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "Перезвонить завтра",
        "Голосовая почта",
        "Callback ☎",
        "%",
        "_",
        "😀",
        "a".repeat(255),
        "Я".repeat(255),
        "😀".repeat(255),
      ),
    },
  )
  .filter((s) => s.trim() !== "" && leakFree(s));

const numbers = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    0,
    -1,
    1,
    2147483647,
    -2147483648,
    2147483648,
    -2147483649,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    1e21,
    1e308,
    -1e308,
    0.5,
    -0.0001,
    1e-7,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Anything JSON can carry: wrong types, nested objects where scalars belong, deep nesting. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: numbers },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 2,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).filter((v) => leakFree(JSON.stringify(v) ?? "")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      {},
      [],
      [1, 2],
      ["qualified"],
      { a: { b: { c: null } } },
      JSON.parse('{"__proto__":{"polluted":true}}'),
      { constructor: { prototype: { polluted: true } } },
      { "": "" },
      [[[]]],
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        kind: fc.constantFrom("array" as const, "object" as const),
        depth: fc.constantFrom(20, 200, 5_000, 100_000),
      })
      .map(({ kind, depth }) => deep(kind, depth)),
  },
);

/**
 * How far generated variables stray: "valid" ones are what a well-behaved client sends (they may
 * still conflict, be refused for the role, or sit at the edge of a range); "typed" ones have the
 * GraphQL types the operation declares and may break every other rule (empty, too long, unknown
 * codes, odd ids, dates out of range); "hostile" ones are mostly typed, but any value may be
 * anything at all.
 */
type Mode = "valid" | "typed" | "hostile";

/** A value of `valid`, or in hostile mode sometimes anything at all. */
function mix<T>(mode: Mode, valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  if (mode !== "hostile") return valid;
  return fc.oneof(
    { weight: 5, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: hostile },
  );
}

const ODD_IDS = [
  "0",
  "-1",
  " 3 ",
  "03",
  "3.0",
  "1e1",
  "0x1",
  "+3",
  "2147483647",
  "2147483648",
  "4294967296",
  "9999999999",
  "10000000000",
  "99999999999999999999999",
  "abc",
  "",
  " ",
  "١",
  "3\u0000",
  "3;",
  "1 OR 1=1",
  "%",
];
const anyId = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_IDS) },
);
/** Mostly the ids that exist (the first rows of each table). */
const typedId = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_IDS) },
);

const ODD_CODES = [
  "A",
  "a",
  "Qualified",
  "QUALIFIED",
  "qualified ",
  " qualified",
  "a".repeat(64),
  "a".repeat(65),
  "1abc",
  "_abc",
  "ab-cd",
  "квалиф",
  "%",
  "_",
  "q%",
  "in\\_progress",
  "qualified\u0000",
];
const callCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SYSTEM_CALL_CODES) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CODES) },
);
const leadCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...LEAD_CODES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CODES) },
);
const newCode = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,63}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...SYSTEM_CALL_CODES, ...LEAD_CODES, ...ODD_CODES) },
);

const sort = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.constantFrom(0, -1, 1, 2147483647, -2147483648, 2147483646),
);

function enumOf(mode: Mode, values: readonly string[]): fc.Arbitrary<unknown> {
  if (mode !== "hostile") return fc.constantFrom(...values);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...values) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...values.map((v) => v.toLowerCase()),
        "",
        "UNKNOWN",
        "SYSTEM",
        "ALWAYS",
        "ADMIN",
      ),
    },
    { weight: 1, arbitrary: hostile },
  );
}
const AUDIENCES = ["AGENT", "AI_AGENT"];
const STATUS_TYPES = ["SYSTEM", "CUSTOM"];
const VISIBILITIES = ["ALWAYS", "AFTER_CALL_TRANSFER", "NEVER"];
const CATEGORIES = ["IN_PROGRESS", "QUALIFIED", "DISQUALIFIED"];
const TOOL_FORMATS = ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"];
const AUDIT_ENTITIES = ["CALL_STATUS", "LEAD_STATUS", "API_KEY"];

const color = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^#[0-9A-Fa-f]{6}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("#fff", "red", "#GGGGGG", "", "#1234567", "123456", "#12345g"),
  },
);

const inOneHour = Date.now() + 3_600_000;
const dateTime = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date(inOneHour), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  {
    weight: 2,
    arbitrary: fc
      .date({ min: new Date("1000-01-01"), max: new Date(inOneHour), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  {
    // valid RFC 3339, at the edges of what JavaScript, the drivers and the columns can hold
    weight: 2,
    arbitrary: fc.constantFrom(
      "9999-12-31T23:59:59Z",
      "9999-12-31T23:59:59.999Z",
      "9999-12-31T23:00:00-05:00",
      "9999-12-31T23:59:59-23:59",
      "0000-01-01T00:00:00Z",
      "0001-01-01T00:00:00+14:00",
      "1970-01-01T00:00:00Z",
      "2038-01-19T03:14:08Z",
      "2106-02-07T06:28:16Z",
      "2030-01-01T00:00:00.123456789Z",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "2030-06-30T23:59:60Z",
      "2030-02-30T00:00:00Z",
      "2030-13-01T00:00:00Z",
      "2030-01-01T24:00:00Z",
      "2030-01-01",
      "2030-01-01T00:00:00",
      "2030-01-01 00:00:00",
      "+275760-09-13T00:00:00Z",
      "-000001-01-01T00:00:00Z",
      "now",
      "",
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(1_900_000_000_000, 0, -1) },
);

/** In the future: mostly soon, sometimes at the very end of what RFC 3339 can say. */
const futureDateTime = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .date({ min: new Date(inOneHour), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "9999-12-31T23:59:59Z",
      "9999-12-31T23:59:59.999Z",
      "9999-12-31T23:00:00-05:00",
      "9999-12-31T23:59:59-23:59",
      "2038-01-19T03:14:08Z",
      "2106-02-07T06:28:16Z",
    ),
  },
);

const cursor = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom("call", "lead", "audit", "calls", "x", ""),
      id: fc.constantFrom("1", "0", "-1", "2147483648", "9999999999", "99999999999", "a", ""),
    })
    .map(({ kind, id }) => Buffer.from(`${kind}:${id}`, "utf8").toString("base64url")),
  fc.base64String({ maxLength: 40 }),
  fc.constantFrom("", "=", "!!!", "bGVhZDox", "Y2FsbDox", "YXVkaXQ6MQ", "Y2FsbDoxMjM0NTY3ODkwMTIz"),
);
const pageSize = fc.oneof(
  fc.integer({ min: 1, max: 100 }),
  fc.constantFrom(0, -1, 101, 2147483647, -2147483648),
);

/**
 * An input object with the fields of `model`: in valid and typed mode with the `required` ones
 * and any subset of the others; in hostile mode any subset, maybe an unknown field, maybe not an object.
 */
function inputOf(
  mode: Mode,
  model: Record<string, fc.Arbitrary<unknown>>,
  required: string[] = [],
): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(model).map(([key, arb]) => [key, mix(mode, arb)]),
  );
  if (mode !== "hostile") return fc.record(fields, { requiredKeys: required });
  const object = fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.option(
        fc.tuple(fc.constantFrom("id", "type", "code", "version", "typo", "__typename"), hostile),
        { freq: 8 },
      ),
    )
    .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
  return fc.oneof({ weight: 8, arbitrary: object }, { weight: 1, arbitrary: hostile });
}

/** Variables: like `inputOf`, and in hostile mode sometimes not even an object. */
function variablesOf(
  mode: Mode,
  model: Record<string, fc.Arbitrary<unknown>>,
  required: string[] = [],
): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(model).map(([key, arb]) => [key, mix(mode, arb)]),
  );
  if (mode !== "hostile") return fc.record(fields, { requiredKeys: required });
  return fc.oneof(
    { weight: 12, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    { weight: 1, arbitrary: hostile },
  );
}

// ---------------------------------------------------------------------------------------------
// Operations of the schema

const CALL_STATUS = `id code title description sort type agentVisibility showToAgent showToAiAgents
  commentRequired planningTimeRequired version createdAt updatedAt leadStatus { id code category }`;
const LEAD_STATUS = "id code title category color sort type version createdAt updatedAt";
const LEAD = "id name phone externalId version status { code }";
const CALL = `id comment afterCallTransfer nextCallAt leadStatusChanged recordedBy recordedByRole
  createdAt status { code } lead { id }`;

interface Operation {
  name: string;
  /** How often it is picked, relative to the others (1 unless given). */
  weight?: number;
  document: string;
  variables: fc.Arbitrary<unknown>;
}

/** Key ids the fuzzing must not revoke (the keys it sends), and one it may. */
interface KeyIds {
  keep: Set<string>;
  victim: string;
  revoked: string;
}

function operations(keys: KeyIds, mode: Mode): Operation[] {
  const valid = mode === "valid";
  const id = valid
    ? fc.integer({ min: 1, max: 5 }).map(String)
    : mode === "typed"
      ? typedId
      : anyId;
  const str = valid ? validText : text;
  const callCodes = valid ? fc.constantFrom(...SYSTEM_CALL_CODES) : callCode;
  const leadCodes = valid ? fc.constantFrom(...LEAD_CODES) : leadCode;
  const when = valid ? futureDateTime : dateTime;
  const colour = valid ? fc.stringMatching(/^#[0-9A-Fa-f]{6}$/) : color;
  const key = valid
    ? fc.uuid()
    : fc.oneof(text, fc.constantFrom("k1", "k2", "K1", "k1 ", "😀", "😁"));
  const version =
    mode === "typed"
      ? fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(-1, 2147483647, -2147483648))
      : fc.oneof(fc.integer({ min: 0, max: 20 }), numbers);
  const callStatusFilter = inputOf(mode, {
    search: str,
    visibleTo: enumOf(mode, AUDIENCES),
    afterCallTransfer: fc.boolean(),
    type: enumOf(mode, STATUS_TYPES),
    leadStatusCode: leadCodes,
  });
  const leadStatusFilter = inputOf(mode, {
    search: str,
    category: enumOf(mode, CATEGORIES),
    type: enumOf(mode, STATUS_TYPES),
  });
  const recordInput = inputOf(
    mode,
    {
      leadId: id,
      callStatusCode: callCodes,
      comment: fc.option(str, { nil: null }),
      idempotencyKey: key,
      afterCallTransfer: fc.boolean(),
      nextCallAt: fc.option(when, { nil: null }),
    },
    ["leadId", "callStatusCode"],
  );
  const validAiArguments = fc.record(
    {
      callStatusCode: fc.constantFrom("qualified", "disqualified"),
      comment: validText,
      nextCallAt: futureDateTime,
    },
    { requiredKeys: ["callStatusCode"] },
  );
  const aiArguments = valid
    ? fc.oneof(
        validAiArguments,
        validAiArguments.map((args) => JSON.stringify(args)),
      )
    : fc.oneof(
        inputOf(mode, { callStatusCode: callCodes, comment: str, nextCallAt: when }),
        inputOf(mode, { callStatusCode: callCodes, comment: str, nextCallAt: when }).map((args) =>
          serialize(args),
        ),
        fc.constantFrom('{"callStatusCode":', "{}", "[]", "null", '"qualified"', "", "{'a':1}"),
        // a deep structure where the tool expects a scalar
        fc
          .record({
            field: fc.constantFrom("callStatusCode", "comment", "nextCallAt", "extra"),
            nested: fc.constantFrom(
              deep("array", 5_000),
              deep("object", 100_000),
              deep("array", 100_000),
            ),
            asText: fc.boolean(),
          })
          .map(({ field, nested, asText }) => {
            const args = { callStatusCode: "qualified", [field]: nested };
            return asText ? serialize(args) : args;
          }),
        hostile,
      );
  // Any id but the keys in use; conservative: whatever the server would read as their number.
  const revocableId = fc
    .oneof(
      fc.constantFrom(keys.victim, keys.revoked),
      fc.integer({ min: 100, max: 1_000_000 }).map(String),
      fc.constantFrom(...ODD_IDS),
      hostile,
    )
    .filter((value) => {
      const trimmed = String(value).trim();
      return !(/^[0-9]+(\.0*)?$/.test(trimmed) && keys.keep.has(String(Number(trimmed))));
    });

  return [
    {
      name: "callStatuses",
      document: `query CallStatuses($filter: CallStatusFilter) {
        callStatuses(filter: $filter) { ${CALL_STATUS} } }`,
      variables: variablesOf(mode, { filter: callStatusFilter }),
    },
    {
      name: "callStatus",
      document: `query CallStatus($id: ID, $code: String) {
        callStatus(id: $id, code: $code) { ${CALL_STATUS} history { action changes actorRole } } }`,
      variables: variablesOf(mode, { id, code: callCodes }),
    },
    {
      name: "leadStatuses",
      document: `query LeadStatuses($filter: LeadStatusFilter, $visibleTo: Audience, $transfer: Boolean) {
        leadStatuses(filter: $filter) {
          ${LEAD_STATUS} callStatuses(visibleTo: $visibleTo, afterCallTransfer: $transfer) { code }
        } }`,
      variables: variablesOf(mode, {
        filter: leadStatusFilter,
        visibleTo: enumOf(mode, AUDIENCES),
        transfer: fc.boolean(),
      }),
    },
    {
      name: "leadStatus",
      document: `query LeadStatus($id: ID, $code: String) {
        leadStatus(id: $id, code: $code) { ${LEAD_STATUS} history { action entityId } } }`,
      variables: variablesOf(mode, { id, code: leadCodes }),
    },
    {
      name: "leads",
      document: `query Leads($first: Int, $after: String, $filter: LeadFilter) {
        leads(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { ${LEAD} } } } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          search: str,
          statusCode: leadCodes,
          category: enumOf(mode, CATEGORIES),
          phone: str,
          externalId: str,
        }),
      }),
    },
    {
      name: "lead",
      document: `query Lead($id: ID!, $first: Int, $after: String) {
        lead(id: $id) { ${LEAD} calls(first: $first, after: $after) {
          totalCount edges { cursor node { ${CALL} } } } } }`,
      variables: variablesOf(mode, { id, first: pageSize, after: cursor }, ["id"]),
    },
    {
      name: "calls",
      document: `query Calls($first: Int, $after: String, $filter: CallFilter) {
        calls(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { endCursor hasNextPage } edges { node { ${CALL} } } } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          leadId: id,
          callStatusCode: callCodes,
          from: when,
          to: when,
        }),
      }),
    },
    {
      name: "auditLog",
      document: `query AuditLog($first: Int, $after: String, $filter: AuditLogFilter) {
        auditLog(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { endCursor }
          edges { cursor node { id action entityType entityId actorId actorRole at changes requestId } }
        } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          actorId: fc.oneof(text, fc.constantFrom("key:1", "key:2", "system", "cli")),
          entityId: id,
          entityType: enumOf(mode, AUDIT_ENTITIES),
          from: when,
          to: when,
        }),
      }),
    },
    {
      name: "apiKeys",
      document: `query ApiKeys { apiKeys { id prefix name role active revokedAt lastUsedAt } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "callOutcomeTool",
      document: `query Tool($format: ToolFormat!, $audience: Audience, $transfer: Boolean) {
        callOutcomeTool(format: $format, audience: $audience, afterCallTransfer: $transfer) {
          name description allowedCodes revision parameters definition } }`,
      variables: variablesOf(
        mode,
        {
          format: enumOf(mode, TOOL_FORMATS),
          audience: enumOf(mode, AUDIENCES),
          transfer: fc.boolean(),
        },
        ["format"],
      ),
    },
    {
      name: "configurationWarnings",
      document: `query Warnings { configurationWarnings { kind audience callStatusCodes message } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "viewer",
      document: `query Viewer { viewer { role actorId keyPrefix } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "createCallStatus",
      weight: 2,
      document: `mutation CreateCallStatus($input: CreateCallStatusInput!) {
        createCallStatus(input: $input) { ${CALL_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            {
              code: newCode,
              title: str,
              description: fc.option(str, { nil: null }),
              sort,
              commentRequired: fc.boolean(),
              planningTimeRequired: fc.boolean(),
              leadStatusCode: fc.option(leadCodes, { nil: null }),
              agentVisibility: enumOf(mode, VISIBILITIES),
              showToAiAgents: fc.boolean(),
            },
            ["title"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "updateCallStatus",
      weight: 3,
      document: `mutation UpdateCallStatus($id: ID!, $input: UpdateCallStatusInput!) {
        updateCallStatus(id: $id, input: $input) { ${CALL_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          id,
          input: inputOf(mode, {
            title: str,
            description: fc.option(str, { nil: null }),
            sort,
            commentRequired: fc.boolean(),
            planningTimeRequired: fc.boolean(),
            leadStatusCode: fc.option(leadCodes, { nil: null }),
            agentVisibility: enumOf(mode, VISIBILITIES),
            showToAiAgents: fc.boolean(),
            ...(valid ? {} : { expectedVersion: version }),
          }),
        },
        ["id", "input"],
      ),
    },
    {
      name: "createLeadStatus",
      weight: 1,
      document: `mutation CreateLeadStatus($input: CreateLeadStatusInput!) {
        createLeadStatus(input: $input) { ${LEAD_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            { code: newCode, title: str, category: enumOf(mode, CATEGORIES), color: colour, sort },
            ["title", "category"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "updateLeadStatus",
      weight: 2,
      document: `mutation UpdateLeadStatus($id: ID!, $input: UpdateLeadStatusInput!) {
        updateLeadStatus(id: $id, input: $input) { ${LEAD_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          id,
          input: inputOf(mode, {
            title: str,
            color: colour,
            sort,
            category: enumOf(mode, CATEGORIES),
            ...(valid ? {} : { expectedVersion: version }),
          }),
        },
        ["id", "input"],
      ),
    },
    {
      name: "createLead",
      weight: 1,
      document: `mutation CreateLead($input: CreateLeadInput!) { createLead(input: $input) { ${LEAD} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(mode, {
            externalId: valid
              ? fc.option(fc.uuid(), { nil: null })
              : fc.oneof(
                  fc.option(text, { nil: null }),
                  fc.constantFrom("ext-1", "EXT-1", "ext-1 ", "😀", "😁"),
                ),
            name: str,
            phone: valid
              ? fc.stringMatching(/^[0-9 +().-]{1,32}$/)
              : fc.oneof(fc.stringMatching(/^[0-9 +().-]{0,40}$/), text),
            statusCode: leadCodes,
          }),
        },
        ["input"],
      ),
    },
    {
      name: "recordCallResult",
      weight: 6,
      document: `mutation Record($input: RecordCallResultInput!) {
        recordCallResult(input: $input) { leadStatusChanged lead { ${LEAD} } call { ${CALL} } } }`,
      variables: variablesOf(mode, { input: recordInput }, ["input"]),
    },
    {
      name: "recordAiCallResult",
      weight: 4,
      document: `mutation RecordAi($input: RecordAiCallResultInput!) {
        recordAiCallResult(input: $input) { leadStatusChanged call { ${CALL} } lead { ${LEAD} } } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            {
              leadId: id,
              arguments: aiArguments,
              idempotencyKey: key,
              revision: fc.oneof(text, fc.stringMatching(/^[0-9a-f]{8,64}$/)),
            },
            ["leadId", "arguments"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "createApiKey",
      document: `mutation CreateApiKey($input: CreateApiKeyInput!) {
        createApiKey(input: $input) { apiKey { id prefix name role active } } }`,
      variables: variablesOf(
        mode,
        { input: inputOf(mode, { name: str, role: enumOf(mode, ROLES) }, ["name", "role"]) },
        ["input"],
      ),
    },
    {
      name: "revokeApiKey",
      document: `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id active revokedAt } }`,
      // never a key in use, however hostile the rest
      variables: fc.record({ id: revocableId }),
    },
  ];
}

/** Documents that exercise the rest of the language: fragments, directives, several operations. */
const EXTRA_DOCUMENTS = [
  `{ __typename }`,
  `{ callStatuses(filter: { search: "%_", visibleTo: AGENT, afterCallTransfer: true }) {
    code title leadStatus { code callStatuses(visibleTo: AI_AGENT) { code } } } }`,
  `{ callStatus(code: "qualified") { id code } leadStatus(id: "1") { code } }`,
  `query Both($skip: Boolean = false) { a: callStatuses { ...F @skip(if: $skip) }
    b: leadStatuses { code callStatuses(visibleTo: AI_AGENT) { ...F } } }
    fragment F on CallStatus { id code sort }`,
  `query A { viewer { role } } query B { leadStatuses { code } }`,
  `mutation { createLeadStatus(input: { title: "Fuzz", category: IN_PROGRESS, color: "#00FF00" }) {
    id code } }`,
  `mutation { createCallStatus(input: { title: "Fuzz №1 — Ёлка", leadStatusCode: "qualified",
    agentVisibility: AFTER_CALL_TRANSFER, sort: 2147483647 }) { id code sort } }`,
  `subscription { callStatuses { code } }`,
  `{ __schema { queryType { name } types { name kind fields { name args { name type { name kind
    ofType { name } } } } } } }`,
  `{ __type(name: "CallStatus") { name fields { name description } } }`,
  `query ($a: Int = "x") { viewer { role } }`,
  `fragment A on Query { ...B } fragment B on Query { ...A } { ...A }`,
  `{ viewer { role @include(if: true) @skip(if: false) } }`,
  `{ viewer { ... @defer { role } } }`,
  `{ callOutcomeTool(format: OPENAI) { name definition parameters } configurationWarnings { kind } }`,
  `{ leads(first: 100) { edges { node { calls(first: 100) { edges { node { status { leadStatus {
    callStatuses { leadStatus { code } } } } } } } } } } }`,
  `{ a: callStatus(id: "1") { code } b: callStatus(id: 1) { code } c: callStatus(code: "x", id: "1")
    { code } d: callStatus { code } }`,
];

/** Bits of GraphQL syntax and of the schema, for random documents and insertions. */
const TOKENS = [
  "@skip(if: true)",
  "@include(if: $x)",
  ...String.raw`
    query mutation subscription fragment on ... { } ( ) [ ] : = ! $ $id $input @ | & " """ #
    \u0000 "\uD800" 1e999 0x1 -0 null true false __typename __schema callStatuses callStatus
    leadStatuses leadStatus viewer leads calls auditLog callOutcomeTool createCallStatus
    updateCallStatus createLeadStatus recordCallResult input filter search code title id
    CallStatus LeadStatus String ID! Int [String!]! AGENT ALWAYS SYSTEM OPENAI "qualified" "%_"
    2147483648
  `
    .trim()
    .split(/\s+/),
];

// ---------------------------------------------------------------------------------------------
// Credentials

type Credential =
  | RoleName
  | "NONE"
  | "REVOKED"
  | "WRONG_SECRET"
  | "JWT_AGENT"
  | "JWT_ADMIN_LOWERCASE"
  | "JWT_EXPIRED"
  | "JWT_UNSIGNED"
  | "JWT_OTHER_SECRET"
  | "JWT_HS512"
  | "JWT_BAD_ROLE"
  | "JWT_ROLE_ARRAY"
  | "JWT_NO_SUB"
  | { header: string; value: string };

const printableAscii = fc.string({ unit: "grapheme-ascii", maxLength: 60 });
const credential: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("ADMIN" as const) },
  { weight: 3, arbitrary: fc.constantFrom("AGENT" as const, "AI_AGENT" as const) },
  { weight: 1, arbitrary: fc.constant("SYSTEM" as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Credential>(
      "NONE",
      "REVOKED",
      "WRONG_SECRET",
      "JWT_AGENT",
      "JWT_ADMIN_LOWERCASE",
      "JWT_EXPIRED",
      "JWT_UNSIGNED",
      "JWT_OTHER_SECRET",
      "JWT_HS512",
      "JWT_BAD_ROLE",
      "JWT_ROLE_ARRAY",
      "JWT_NO_SUB",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      header: fc.constantFrom("x-api-key", "authorization", "X-API-KEY"),
      // `<ADMIN>`, `<AGENT>`, `<JWT_AGENT>` stand for real credentials
      value: fc.oneof(
        printableAscii,
        fc.constantFrom(
          "Bearer",
          "Bearer ",
          "Bearer  <ADMIN>",
          "bearer <ADMIN>",
          "Bearer <ADMIN> extra",
          "Basic <ADMIN>",
          "Token <ADMIN>",
          "<ADMIN>x",
          "<ADMIN>, <AGENT>",
          " <AGENT> ",
          "Bearer <JWT_AGENT>",
          "<JWT_AGENT>",
          "Bearer <JWT_AGENT>x",
          "Bearer x<JWT_AGENT>",
          "Bearer a.b.c",
          "Bearer ..",
          "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwicm9sZSI6IkFETUlOIn0.",
          "csk_",
          "csk_00000000_",
          `csk_00000000_${"A".repeat(43)}`,
          `csk_zzzzzzzz_${"-".repeat(43)}`,
          "x".repeat(8000),
        ),
      ),
    }),
  },
);

interface Secrets {
  keys: Record<RoleName | "REVOKED" | "WRONG_SECRET", string>;
  jwts: Record<string, string>;
}

function credentialHeaders(credential: Credential, secrets: Secrets): Record<string, string> {
  if (typeof credential === "object") {
    const value = credential.value
      .replace(/<(ADMIN|AGENT)>/g, (_, role: RoleName) => secrets.keys[role])
      .replace(/<JWT_AGENT>/g, secrets.jwts.JWT_AGENT);
    return { [credential.header]: value };
  }
  if (credential === "NONE") return {};
  if (credential.startsWith("JWT_")) return { authorization: `Bearer ${secrets.jwts[credential]}` };
  return { "x-api-key": secrets.keys[credential as keyof Secrets["keys"]] };
}

async function signJwts(): Promise<Record<string, string>> {
  const secret = new TextEncoder().encode(JWT_SECRET);
  const sign = (
    claims: Record<string, unknown>,
    options: { alg?: string; key?: Uint8Array; exp?: number | string; sub?: boolean } = {},
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? "HS256" })
      .setIssuedAt()
      .setExpirationTime(options.exp ?? "1h");
    if (options.sub !== false) jwt.setSubject("fuzz-user");
    return jwt.sign(options.key ?? secret);
  };
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    JWT_AGENT: await sign({ role: "AGENT" }),
    JWT_ADMIN_LOWERCASE: await sign({ role: "admin" }),
    JWT_EXPIRED: await sign({ role: "ADMIN" }, { exp: Math.floor(Date.now() / 1000) - 60 }),
    JWT_UNSIGNED: `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "x", role: "ADMIN" })}.`,
    JWT_OTHER_SECRET: await sign(
      { role: "ADMIN" },
      { key: new TextEncoder().encode("another-secret-of-at-least-32-bytes!!!") },
    ),
    JWT_HS512: await sign({ role: "ADMIN" }, { alg: "HS512" }),
    JWT_BAD_ROLE: await sign({ role: "root" }),
    JWT_ROLE_ARRAY: await sign({ role: ["ADMIN"] }),
    JWT_NO_SUB: await sign({ role: "ADMIN" }, { sub: false }),
  };
}

// ---------------------------------------------------------------------------------------------
// Documents: mutations and generators

type Edit =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "replace"; at: number; length: number; text: string }
  | { kind: "truncate"; at: number };

const insertion = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }) },
);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.nat({ max: 8 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: insertion }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 12 }),
    text: insertion,
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function applyEdits(source: string, edits: Edit[]): string {
  let result = source;
  for (const e of edits) {
    const at = e.at % (result.length + 1);
    switch (e.kind) {
      case "delete":
        result = result.slice(0, at) + result.slice(at + e.length);
        break;
      case "insert":
        result = result.slice(0, at) + e.text + result.slice(at);
        break;
      case "duplicate":
        result = result.slice(0, at + e.length) + result.slice(at);
        break;
      case "replace":
        result = result.slice(0, at) + e.text + result.slice(at + e.length);
        break;
      case "truncate":
        result = result.slice(0, at);
        break;
    }
  }
  return result;
}

/** Documents at and beyond the limits: aliases, depth, directives, tokens, fragments. */
const overLimits = fc
  .record({
    kind: fc.constantFrom("aliases", "depth", "directives", "fragments", "operations", "list"),
    n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(200, 1000, 3000)),
  })
  .map(({ kind, n }) => {
    const range = Array.from({ length: n }, (_, i) => i);
    switch (kind) {
      case "aliases":
        return `{ ${range.map((i) => `a${i}: callStatuses { code }`).join(" ")} }`;
      case "depth": {
        let inner = "code";
        for (let level = n; level >= 1; level -= 1)
          inner = `${level % 2 === 0 ? "callStatuses" : "leadStatus"} { ${inner} }`;
        return `{ leadStatuses { ${inner} } }`;
      }
      case "directives":
        return `{ viewer { role ${range.map(() => "@include(if: true)").join(" ")} } }`;
      case "fragments":
        return (
          `{ ...f0 } ` +
          range.map((i) => `fragment f${i} on Query { viewer { role } ...f${i + 1} }`).join(" ") +
          ` fragment f${n} on Query { __typename }`
        );
      case "operations":
        return range.map((i) => `query q${i} { viewer { role } }`).join(" ");
      default:
        return `{ callStatuses(filter: { search: "${"%_".repeat(n)}" }) { code } }`;
    }
  });

interface DocumentRequest {
  document: string;
  variables: unknown;
  operationName?: unknown;
  credential: Credential;
}

function documentRequests(ops: Operation[]): fc.Arbitrary<DocumentRequest> {
  // no revocation in documents that get mutated: a mutation could aim it at a key in use
  const base = fc.oneof(
    ...ops
      .filter((op) => op.name !== "revokeApiKey")
      .map((op) => fc.record({ document: fc.constant(op.document), variables: op.variables })),
    fc.record({
      document: fc.constantFrom(...EXTRA_DOCUMENTS),
      variables: fc.option(
        variablesOf("hostile", { x: fc.boolean(), skip: fc.boolean(), a: numbers }),
      ),
    }),
  );
  const mutated = fc
    .tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([{ document, variables }, edits]) => ({
      document: applyEdits(document, edits),
      variables,
    }));
  const spliced = fc.tuple(base, base, fc.nat(), fc.nat()).map(([a, b, i, j]) => ({
    document:
      a.document.slice(0, i % (a.document.length + 1)) +
      b.document.slice(j % (b.document.length + 1)),
    variables: b.variables,
  }));
  const tokens = fc
    .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 80 })
    .map((list) => ({ document: list.join(" "), variables: undefined as unknown }));
  const limits = overLimits.map((document) => ({ document, variables: undefined as unknown }));
  return fc
    .record({
      doc: fc.oneof(
        { weight: 8, arbitrary: mutated },
        { weight: 2, arbitrary: base },
        { weight: 1, arbitrary: spliced },
        { weight: 2, arbitrary: tokens },
        { weight: 2, arbitrary: limits },
      ),
      operationName: fc.option(
        fc.oneof(fc.constantFrom("A", "B", "Both", "CallStatuses", "Nope", ""), hostile),
        { freq: 3, nil: undefined },
      ),
      credential,
    })
    .map(({ doc, operationName, credential }) => ({
      ...doc,
      ...(operationName === undefined ? {} : { operationName }),
      credential,
    }));
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

type Body =
  | { json: unknown }
  | { text: string }
  | { bytes: number[] }
  | { encoded: "utf16le" | "latin1" | "bom"; json: unknown }
  | { gzip: unknown }
  | { oversize: true }
  | { gzipBomb: true };

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Body;
  credential: Credential;
}

const PATHS = [
  "/graphql",
  "/graphql/",
  "/",
  "/nope",
  "/healthz",
  "/readyz",
  "/graphql/x",
  "/GRAPHQL",
  "/graphql;x",
  "/graphql%2F",
  "/%2e%2e/graphql",
  "//graphql",
  "/graphql/..%2f",
  `/${"a".repeat(4000)}`,
];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=UTF-16",
  "application/json; charset=latin1",
  "application/json; charset=bogus",
  "application/json;;",
  "application/JSON",
  "application/graphql",
  "application/graphql-response+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "text/plain",
  "text/plain; charset=utf-8",
  "*/*",
  "",
  "json",
];
const ACCEPTS = [
  "application/json",
  "application/graphql-response+json",
  "application/graphql-response+json, application/json;q=0.9",
  "text/html",
  "multipart/mixed; deferSpec=20220824",
  "multipart/mixed",
  "text/event-stream",
  "*/*",
  "image/png",
  "",
];

/** Every byte of the UTF-8 of `text` percent-encoded (lone surrogates become U+FFFD). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) => `%${byte.toString(16).padStart(2, "0")}`)
    .join("");
}

function queryString(): fc.Arbitrary<string> {
  const name = fc.constantFrom("query", "variables", "extensions", "operationName", "x", "");
  const value = fc.oneof(
    fc.constantFrom(...EXTRA_DOCUMENTS),
    fc.constantFrom(
      "{ callStatuses { code } }",
      "mutation { createLead(input: {}) { id } }",
      '{"a":1}',
      "{",
      "[]",
      "null",
      '{"persistedQuery":{"version":1,"sha256Hash":"abc"}}',
      '{"persistedQuery":{"version":2}}',
    ),
    text.filter((s) => !s.startsWith("@@")),
  );
  const pair = fc
    .tuple(name, value, fc.boolean())
    .map(([n, v, raw]) => (raw ? `${n}=${v.replace(/[#\s]/g, "+")}` : `${n}=${percentEncoded(v)}`));
  return fc.oneof(
    fc.array(pair, { maxLength: 5 }).map((pairs) => `?${pairs.join("&")}`),
    fc.constantFrom("?%", "?%zz", "?query=%E0%A4%A", "?query", "?=", "?&&&", "?query[]=1", ""),
  );
}

function rawRequests(ops: Operation[]): fc.Arbitrary<RawRequest> {
  const validBody = fc
    .record(
      {
        query: fc.oneof(
          fc.constantFrom(
            ...ops.filter((op) => op.name !== "revokeApiKey").map((op) => op.document),
          ),
          fc.constantFrom(...EXTRA_DOCUMENTS),
        ),
        variables: fc.oneof(fc.constant({}), hostile),
        operationName: fc.oneof(fc.constantFrom("A", "CallStatuses"), hostile),
        extensions: fc.oneof(
          fc.constant({}),
          fc.record({
            persistedQuery: inputOf("hostile", {
              version: fc.constant(1),
              sha256Hash: fc.stringMatching(/^[0-9a-f]{64}$/),
            }),
          }),
          hostile,
        ),
      },
      { requiredKeys: ["query"] },
    )
    .chain((body) =>
      // any field replaced by anything
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(body as Record<string, unknown>) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom("query", "variables", "operationName", "extensions"), hostile)
            .map(([key, value]) => ({ ...body, [key]: value })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom("query", "variables")
            .map((key) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== key))),
        },
      ),
    );
  const jsonBody = fc.oneof(
    { weight: 4, arbitrary: validBody },
    { weight: 1, arbitrary: fc.array(validBody, { maxLength: 3 }) },
    { weight: 1, arbitrary: hostile },
  );
  const body: fc.Arbitrary<Body> = fc.oneof(
    { weight: 6, arbitrary: jsonBody.map((json) => ({ json })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(jsonBody, fc.array(edit, { minLength: 1, maxLength: 3 }))
        .map(([json, edits]) => ({ text: applyEdits(serialize(json), edits) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          text.filter((s) => !s.startsWith("@@")),
          fc.constantFrom("", "{", "}", "null", "[", "\u0000", '{"query":"{__typename}"}}'),
        )
        .map((t) => ({ text: t })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 64 })
        .map((bytes) => ({ bytes: [...bytes] }))
        .filter(({ bytes }) => leakFree(Buffer.from(bytes).toString("latin1"))),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        encoded: fc.constantFrom("utf16le" as const, "latin1" as const, "bom" as const),
        json: jsonBody,
      }),
    },
    { weight: 1, arbitrary: jsonBody.map((gzip) => ({ gzip })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>({ oversize: true }, { gzipBomb: true }),
    },
  );
  const optional = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { freq, nil: undefined });
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant("POST") },
        { weight: 3, arbitrary: fc.constant("GET") },
        { weight: 2, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") },
      ),
      path: fc.oneof(
        { weight: 8, arbitrary: fc.constant("/graphql") },
        { weight: 2, arbitrary: fc.constantFrom(...PATHS) },
      ),
      search: fc.oneof(
        { weight: 2, arbitrary: fc.constant("") },
        { weight: 3, arbitrary: queryString() },
      ),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant("application/json") },
        { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      contentEncoding: optional(
        fc.constantFrom("gzip", "deflate", "br", "identity", "bogus", "gzip, gzip"),
        8,
      ),
      accept: optional(fc.constantFrom(...ACCEPTS)),
      preflight: optional(fc.constantFrom("true", "", "1")),
      requestId: optional(fc.oneof(printableAscii, fc.constantFrom("abc-123", "a".repeat(300))), 4),
      origin: optional(fc.constantFrom("http://evil.example", "null", "*"), 6),
      corsMethod: optional(fc.constantFrom("POST", "GET", "DELETE"), 4),
      body: optional(body, 10),
      credential,
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.contentType !== undefined) headers["content-type"] = r.contentType;
      if (r.contentEncoding !== undefined) headers["content-encoding"] = r.contentEncoding;
      if (r.accept !== undefined) headers.accept = r.accept;
      if (r.preflight !== undefined) headers["apollo-require-preflight"] = r.preflight;
      if (r.requestId !== undefined) headers["x-request-id"] = r.requestId;
      if (r.origin !== undefined) headers.origin = r.origin;
      if (r.corsMethod !== undefined) headers["access-control-request-method"] = r.corsMethod;
      const withBody = r.method !== "GET" && r.method !== "HEAD";
      return {
        method: r.method,
        path: r.path + r.search,
        headers,
        ...(withBody ? { body: r.body ?? { json: { query: "{ viewer { role } }" } } } : {}),
        credential: r.credential,
      };
    });
}

let gzipBombBytes: Buffer | undefined;

function encodeBody(body: Body): Buffer {
  if ("json" in body && !("encoded" in body)) return Buffer.from(serialize(body.json), "utf8");
  if ("text" in body) return Buffer.from(body.text, "utf8");
  if ("bytes" in body) return Buffer.from(body.bytes);
  if ("encoded" in body) {
    const json = serialize(body.json);
    return body.encoded === "bom"
      ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, "utf8")])
      : Buffer.from(json, body.encoded);
  }
  if ("gzip" in body) return gzipSync(Buffer.from(serialize(body.gzip), "utf8"));
  if ("oversize" in body)
    return Buffer.from(`{"query":"{ viewer { role } }","pad":"${" ".repeat(1_100_000)}"}`);
  gzipBombBytes ??= gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
  return gzipBombBytes;
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface FuzzContext {
  server: TestServer;
  secrets: Secrets;
  sent: number;
  /** Responses by HTTP status and error codes (printed with FUZZ_REPORT=1). */
  outcomes: Record<string, number>;
}

interface LogLine {
  level?: number;
  requestId?: string;
  err?: { message?: string; stack?: string };
}

function parsedLogs(server: TestServer): LogLine[] {
  return server.logs.map((line) => JSON.parse(line) as LogLine);
}

/** Sends one request and throws, describing the response, when any promise is broken. */
async function sendAndCheck(context: FuzzContext, request: Sent): Promise<void> {
  context.sent += 1;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(
      `no response (${(error as Error).message}; cause: ${String((error as Error).cause)})`,
    );
  }
  const text = await response.text();
  if (process.env.FUZZ_REPORT) {
    const codes = /"code":"(\w+)"/.exec(text)?.[1] ?? (/"data":\{"/.test(text) ? "data" : "-");
    const key = `${response.status} ${codes}`;
    context.outcomes[key] = (context.outcomes[key] ?? 0) + 1;
  }
  const problems = problemsOf(request, response.status, response.headers, text);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join("; ")}\n  response: HTTP ${response.status} ` +
        `${response.headers.get("content-type") ?? "(no content type)"}\n  ${text.slice(0, 1500)}`,
    );
  }
}

function problemsOf(request: Sent, status: number, headers: Headers, text: string): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);

  // A match that only echoes the request's own text (e.g. an unknown field name) is no leak, nor
  // is one from the schema's own descriptions (introspection: "… at all (`agentVisibility` …").
  const sentText = `${request.url} ${JSON.stringify(request.headers)} ${request.body?.toString("utf8") ?? ""}`;
  for (const match of text.matchAll(new RegExp(LEAK.source, "g"))) {
    if (!sentText.includes(match[0]) && !SCHEMA_TEXT.includes(match[0]))
      problems.push(`leak: ${JSON.stringify(match[0])}`);
  }

  // Node's HTTP parser refuses a request line or headers over 16 KB before any route sees the
  // request; the service still answers that (431) in JSON with a request id.

  if (!headers.get("x-request-id")) problems.push("no X-Request-Id header");
  const contentType = headers.get("content-type") ?? "";
  const isJson = /\bjson\b/i.test(contentType);
  if (status >= 400 && !isJson && request.method !== "HEAD")
    problems.push(`an error response that is not JSON (${contentType || "no content type"})`);
  if (!isJson || request.method === "HEAD") return problems;

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push("the content type says JSON but the body is not");
    return problems;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    problems.push("the JSON body is not an object");
    return problems;
  }
  const { errors } = body as { errors?: unknown };
  if (status >= 400 && !Array.isArray(errors)) problems.push(`HTTP ${status} without errors`);
  if (errors === undefined) return problems;
  if (!Array.isArray(errors) || errors.length === 0) {
    problems.push("`errors` is not a non-empty array");
    return problems;
  }
  for (const error of errors as Array<{
    message?: unknown;
    extensions?: Record<string, unknown>;
  }>) {
    const code = error?.extensions?.code;
    const requestId = error?.extensions?.requestId;
    if (typeof error?.message !== "string") problems.push("an error without a message");
    if (typeof requestId !== "string") problems.push("an error without requestId");
    if (typeof code !== "string") problems.push("an error without extensions.code");
    else if (!KNOWN_CODES.has(code)) problems.push(`error code ${code}`);
  }
  return problems;
}

function graphqlRequest(
  context: FuzzContext,
  request: {
    document: string;
    variables?: unknown;
    operationName?: unknown;
    credential: Credential;
  },
): Sent {
  const body: Record<string, unknown> = { query: request.document };
  if (request.variables !== undefined) body.variables = request.variables;
  if (request.operationName !== undefined) body.operationName = request.operationName;
  return {
    method: "POST",
    url: context.server.url,
    headers: {
      "content-type": "application/json",
      ...credentialHeaders(request.credential, context.secrets),
    },
    body: Buffer.from(serialize(body), "utf8"),
  };
}

interface OperationRequest {
  operation: string;
  mode: Mode;
  document: string;
  variables: unknown;
  credential: Credential;
  transport: "POST" | "GET";
}

function operationSent(context: FuzzContext, request: OperationRequest): Sent {
  if (request.transport === "POST") return graphqlRequest(context, request);
  const search = new URLSearchParams({ query: request.document });
  if (request.variables !== undefined) search.set("variables", serialize(request.variables));
  return {
    method: "GET",
    url: `${context.server.url}?${search}`,
    headers: {
      "apollo-require-preflight": "true",
      ...credentialHeaders(request.credential, context.secrets),
    },
  };
}

function rawSent(context: FuzzContext, request: RawRequest): Sent {
  return {
    method: request.method,
    url: new URL(context.server.url).origin + request.path,
    headers: { ...request.headers, ...credentialHeaders(request.credential, context.secrets) },
    ...(request.body ? { body: encodeBody(request.body) } : {}),
  };
}

function assertProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  run: (value: T) => Promise<void>,
): Promise<void> {
  return fc.assert(fc.asyncProperty(arbitrary, run), { seed: SEED, numRuns });
}

// ---------------------------------------------------------------------------------------------

describeEachDatabaseKind("fuzzing over HTTP", (kind) => {
  const server = new TestServer(kind);
  const context: FuzzContext = {
    server,
    secrets: { keys: {}, jwts: {} } as Secrets,
    sent: 0,
    outcomes: {},
  };
  let ops: Operation[] = [];
  const opsOf = {} as Record<Mode, Operation[]>;

  beforeAll(async () => {
    // The real limits (the harness relaxes aliases and tokens for fixtures), JWTs accepted, and
    // errors logged so that a masked failure shows up too.
    await server.start(
      {
        graphql: graphqlDefaults("test"),
        auth: {
          apiKeyCacheSeconds: 5,
          jwt: {
            secret: JWT_SECRET,
            roleClaim: "role",
            maxAgeSeconds: 3600,
            accountClaim: "account",
          },
        },
        logLevel: "warn",
      },
      { captureLogs: true },
    );
    const keys = context.secrets.keys;
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const)
      keys[role] = await server.createKey(role, `fuzz ${role}`);
    keys.REVOKED = await server.createKey("ADMIN", "fuzz revoked");
    await server.createKey("AGENT", "fuzz victim");
    keys.WRONG_SECRET = `${keys.ADMIN.slice(0, -4)}${keys.ADMIN.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const { apiKeys } = await server.ok<{ apiKeys: Array<{ id: string; name: string }> }>(
      `{ apiKeys { id name } }`,
    );
    const idOf = (name: string) => apiKeys.find((k) => k.name === name)!.id;
    const revoked = idOf("fuzz revoked");
    await server.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revoked });
    const victim = idOf("fuzz victim");
    const keep = new Set(apiKeys.map((k) => k.id).filter((k) => k !== victim && k !== revoked));
    for (const mode of ["valid", "typed", "hostile"] as const)
      opsOf[mode] = operations({ keep, victim, revoked }, mode);
    ops = opsOf.hostile;
    context.secrets.jwts = await signJwts();
    for (let i = 0; i < 3; i += 1) {
      await server.ok(`mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`, {
        input: { name: `Fuzz lead ${i}`, phone: "+1 555 0100" },
      });
    }
  });
  afterAll(() => server.stop());

  // The bugs this fuzzing found, each with its minimal reproduction and the answer it now gets.
  it.each([
    // Apollo's automatic persisted queries are off: one code, not Apollo's code-less errors.
    [
      "a persisted query of an unsupported version",
      { query: "{ viewer { role } }", extensions: { persistedQuery: { version: 2 } } },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    [
      "a persisted query without a version",
      { query: "{ viewer { role } }", extensions: { persistedQuery: {} } },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    [
      "a persisted query whose hash does not match the query",
      {
        query: "{ viewer { role } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } },
      },
      "PERSISTED_QUERY_NOT_SUPPORTED",
    ],
    // graphql-js 16 would refuse it only at execution, with an error without a code.
    [
      "a subscription",
      { query: "subscription { callStatuses { code } }" },
      "GRAPHQL_VALIDATION_FAILED",
    ],
    // The AI tool's error message used to JSON.stringify() the given value whatever it was.
    [
      "AI tool arguments with a deeply nested callStatusCode",
      {
        query: `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) {
          call { id } } }`,
        variables: { input: { leadId: "1", arguments: { callStatusCode: deep("array", 5_000) } } },
      },
      "BAD_USER_INPUT",
    ],
    // graphql-scalars' DateTime JSON.stringify()s a value it refuses (a RangeError's text leaked).
    [
      "a deeply nested DateTime",
      {
        query: "query($filter: CallFilter) { calls(filter: $filter) { totalCount } }",
        variables: { filter: { to: deep("array", 5_000) } },
      },
      "BAD_USER_INPUT",
    ],
  ])("answers %s with a client error", async (_what, body, code) => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": server.adminKey },
      body: serialize(body),
    });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(text).not.toMatch(LEAK);
    const { errors } = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions?.code).toBe(code);
  });

  // On MariaDB the insert used to fail (INTERNAL_SERVER_ERROR); SQLite stored year 0000.
  it("refuses a nextCallAt after 9999-12-31 in UTC, by GraphQL and by the AI tool", async () => {
    await server.ok(
      `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
      { input: { code: "far_future", title: "Far future", showToAiAgents: true } },
    );
    const nextCallAt = "9999-12-31T23:00:00-05:00";
    const direct = await server.gql(
      `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) {
        call { nextCallAt } } }`,
      { input: { leadId: "1", callStatusCode: "far_future", nextCallAt } },
    );
    expect(direct.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(direct.errors?.[0].message).toMatch(/9999-12-31T23:59:59Z/);
    const viaTool = await server.gql(
      `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) {
        call { id } } }`,
      { input: { leadId: "1", arguments: { callStatusCode: "far_future", nextCallAt } } },
    );
    expect(viaTool.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(viaTool.errors)).toContain("arguments.nextCallAt");
  });

  it(
    "survives operations of the schema with random and hostile variables",
    async () => {
      const request: fc.Arbitrary<OperationRequest> = fc
        .record({
          op: fc.oneof(
            ...ops.flatMap((op, i) =>
              (["valid", "typed", "hostile"] as const).map((mode) => ({
                weight: op.weight ?? 1,
                arbitrary: fc.record({
                  operation: fc.constant(op.name),
                  mode: fc.constant(mode),
                  document: fc.constant(op.document),
                  variables: opsOf[mode][i].variables,
                }),
              })),
            ),
          ),
          credential,
          transport: fc.oneof(
            { weight: 9, arbitrary: fc.constant("POST" as const) },
            { weight: 1, arbitrary: fc.constant("GET" as const) },
          ),
        })
        .map(({ op, credential, transport }) => ({ ...op, credential, transport }))
        .filter((r) => leakFree(serialize(r.variables)));
      await assertProperty(request, RUNS.operations, (r) =>
        sendAndCheck(context, operationSent(context, r)),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "survives mutated, truncated, spliced and random documents",
    async () => {
      const requests = documentRequests(ops).filter(
        (r) => !LEAK.test(r.document) && leakFree(serialize(r.variables ?? null)),
      );
      await assertProperty(requests, RUNS.documents, (r) =>
        sendAndCheck(context, graphqlRequest(context, r)),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "survives raw HTTP requests: broken bodies, content types, methods, paths and parameters",
    async () => {
      const requests = rawRequests(ops).filter((r) => !LEAK.test(JSON.stringify(r)));
      await assertProperty(requests, RUNS.http, (r) => sendAndCheck(context, rawSent(context, r)));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("still serves normally afterwards, with the seeded statuses intact and nothing logged as an error", async () => {
    expect(context.sent).toBeGreaterThanOrEqual(RUNS.operations + RUNS.documents + RUNS.http);

    const health = await fetch(`${new URL(server.url).origin}/healthz`);
    expect(health.status).toBe(200);

    const data = await server.ok<{
      callStatus: { code: string; type: string };
      system: Array<{ code: string; type: string }>;
      leadStatuses: Array<{ code: string; type: string; category: string }>;
      viewer: { role: string };
    }>(`{
      callStatus(code: "qualified") { code type }
      system: callStatuses(filter: { type: SYSTEM }) { code type }
      leadStatuses(filter: { type: SYSTEM }) { code type category }
      viewer { role }
    }`);
    expect(data.callStatus).toEqual({ code: "qualified", type: "SYSTEM" });
    expect(data.system.map((s) => s.code).sort()).toEqual([...SYSTEM_CALL_CODES].sort());
    expect(Object.fromEntries(data.leadStatuses.map((s) => [s.code, s.category]))).toEqual(
      SYSTEM_LEAD_STATUSES,
    );
    expect(data.viewer.role).toBe("ADMIN");

    for (const role of ["AGENT", "AI_AGENT", "SYSTEM"] as const) {
      const viewer = await server.ok<{ viewer: { role: string } }>(
        `{ viewer { role } }`,
        {},
        {
          "x-api-key": context.secrets.keys[role],
        },
      );
      expect(viewer.viewer.role).toBe(role);
    }

    // Nothing was logged as an unexpected error.
    const unexpected = parsedLogs(server).filter((line) => (line.level ?? 0) >= 50);
    expect(unexpected).toEqual([]);
    if (process.env.FUZZ_REPORT) {
      console.log(
        `${kind}: ${context.sent} requests; outcomes: ${JSON.stringify(context.outcomes, null, 1)}`,
      );
    }
  });
});
