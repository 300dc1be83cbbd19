/**
 * GraphQL documents: the rest of the language (fragments, directives, several operations), and
 * mutated, truncated, spliced, random and over-the-limit ones.
 */
import fc from "fast-check";
import { numbers, hostile, variablesOf } from "./values";
import { type Operation } from "./operations";
import { type Credential, credential } from "./credentials";

/** Documents that exercise the rest of the language: fragments, directives, several operations. */
export const EXTRA_DOCUMENTS = [
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
export const TOKENS = [
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

export type Edit =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "replace"; at: number; length: number; text: string }
  | { kind: "truncate"; at: number };

export const insertion = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }) },
);
export const edit: fc.Arbitrary<Edit> = fc.oneof(
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

export function applyEdits(source: string, edits: Edit[]): string {
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
export const overLimits = fc
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

export interface DocumentRequest {
  document: string;
  variables: unknown;
  operationName?: unknown;
  credential: Credential;
}

export function documentRequests(ops: Operation[]): fc.Arbitrary<DocumentRequest> {
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
