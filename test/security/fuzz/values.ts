/**
 * Values for variables, from valid through wrongly typed to hostile: odd strings and numbers, ids,
 * codes, enums, dates, cursors and page sizes, and input objects built from them per mode.
 */
import fc from "fast-check";
import { leakFree, SYSTEM_CALL_CODES, LEAD_CODES } from "./settings";

/** Serialized specially (see `serialize`): keeps counterexamples short and bodies huge. */
export const repeated = (char: string, times: number) => `@@repeat:${times}:${char}@@`;
export const deep = (kind: "array" | "object", depth: number) => `@@deep:${kind}:${depth}@@`;

/** JSON text of `value`, with the `repeated` and `deep` placeholders expanded. */
export function serialize(value: unknown): string {
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

export const SPECIAL_STRINGS = [
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

export const hugeString = fc
  .record({
    char: fc.constantFrom("x", "Я", "😀", " ", "%", "_"),
    times: fc.constantFrom(64, 65, 255, 256, 1000, 1001, 2000, 2001, 65_536, 200_000),
  })
  .map(({ char, times }) => repeated(char, times));

export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }).filter(leakFree) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).filter(leakFree) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: hugeString },
);

/** What a person would type: 1–40 characters, not blank, any script, or right at the limit. */
export const validText: fc.Arbitrary<string> = fc
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

export const numbers = fc.oneof(
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
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
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
export type Mode = "valid" | "typed" | "hostile";

/** A value of `valid`, or in hostile mode sometimes anything at all. */
export function mix<T>(mode: Mode, valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  if (mode !== "hostile") return valid;
  return fc.oneof(
    { weight: 5, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: hostile },
  );
}

export const ODD_IDS = [
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
export const anyId = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_IDS) },
);
/** Mostly the ids that exist (the first rows of each table). */
export const typedId = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_IDS) },
);

export const ODD_CODES = [
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
export const callCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SYSTEM_CALL_CODES) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CODES) },
);
export const leadCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...LEAD_CODES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CODES) },
);
export const newCode = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{1,63}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...SYSTEM_CALL_CODES, ...LEAD_CODES, ...ODD_CODES) },
);

export const sort = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.constantFrom(0, -1, 1, 2147483647, -2147483648, 2147483646),
);

export function enumOf(mode: Mode, values: readonly string[]): fc.Arbitrary<unknown> {
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
export const AUDIENCES = ["AGENT", "AI_AGENT"];
export const STATUS_TYPES = ["SYSTEM", "CUSTOM"];
export const VISIBILITIES = ["ALWAYS", "AFTER_CALL_TRANSFER", "NEVER"];
export const CATEGORIES = ["IN_PROGRESS", "QUALIFIED", "DISQUALIFIED"];
export const TOOL_FORMATS = ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"];
export const AUDIT_ENTITIES = ["CALL_STATUS", "LEAD_STATUS", "API_KEY"];

export const color = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^#[0-9A-Fa-f]{6}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("#fff", "red", "#GGGGGG", "", "#1234567", "123456", "#12345g"),
  },
);

export const inOneHour = Date.now() + 3_600_000;
export const dateTime = fc.oneof(
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
export const futureDateTime = fc.oneof(
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

export const cursor = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom("call", "lead", "audit", "calls", "x", ""),
      id: fc.constantFrom("1", "0", "-1", "2147483648", "9999999999", "99999999999", "a", ""),
    })
    .map(({ kind, id }) => Buffer.from(`${kind}:${id}`, "utf8").toString("base64url")),
  fc.base64String({ maxLength: 40 }),
  fc.constantFrom("", "=", "!!!", "bGVhZDox", "Y2FsbDox", "YXVkaXQ6MQ", "Y2FsbDoxMjM0NTY3ODkwMTIz"),
);
export const pageSize = fc.oneof(
  fc.integer({ min: 1, max: 100 }),
  fc.constantFrom(0, -1, 101, 2147483647, -2147483648),
);

/**
 * An input object with the fields of `model`: in valid and typed mode with the `required` ones
 * and any subset of the others; in hostile mode any subset, maybe an unknown field, maybe not an object.
 */
export function inputOf(
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
export function variablesOf(
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
