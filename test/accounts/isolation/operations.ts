/**
 * The operation generator: every Query and Mutation field, from the schema itself, with A's ids,
 * codes, cursors and actors in its arguments (one variant per probe) and B's own values elsewhere.
 */
import {
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
} from "graphql";
import { encodeCursor } from "../../../src/common/pagination";
import { MISSING_ID, MISSING_CODE, MAX_DEPTH, type Inventory } from "./parties";

/** Replaced by a new unique value at each run (a new code, a neutral text). */
export const FRESH_CODE = "<fresh code>";
export const FRESH_TEXT = "<fresh text>";

/** What the generator puts in one argument or input field. */
export interface Slot {
  /** A value valid in B's own account: used wherever the position is filled without a probe. */
  own: unknown;
  /** A's values: each aimed at the operation in a variant of its own. */
  probes: unknown[];
  /** The same kind of value as `probe` that exists in no account: the probe's twin. */
  missing: (probe: unknown) => unknown;
  /** More values worth one run each (enum values, booleans), compared with nothing. */
  others?: unknown[];
}

/** What the builders draw on: A's values to aim, B's own values to fill the rest. */
export interface World {
  /** Only A's: none of these ids, codes, cursors or actors is B's. */
  a: Inventory;
  /** One row of each type of B's own, which the operations may change freely. */
  ownIds: Record<string, string>;
  ownCodes: Record<string, string>;
  ownActor: string;
  ownExternalId: string;
  /** A time in the future (next call times). */
  future: string;
}

export const plain = (own: unknown): Slot => ({ own, probes: [], missing: () => own });

/** A reference by id to a row of `type` (undefined: the type cannot be told, so any of A's). */
export function idSlot(type: string | undefined, world: World): Slot {
  const probes = type
    ? [...(world.a.ids.get(type) ?? [])]
    : [...new Set([...world.a.ids.values()].flatMap((set) => [...set]))];
  const own = world.ownIds[type ?? "CallStatus"];
  if (own === undefined || probes.length === 0) {
    throw new Error(`the test has no ${type} rows of B's and A's: add them to the setup`);
  }
  return { own, probes, missing: () => MISSING_ID };
}

/** A reference by code to a row of `type` (statuses, accounts). */
export function codeSlot(type: string, world: World): Slot {
  const own = world.ownCodes[type];
  const probes = world.a.codes.get(type) ?? [];
  if (own === undefined || probes.length === 0) {
    throw new Error(`the test has no ${type} codes of B's and of A's alone: add them to the setup`);
  }
  return { own, probes, missing: () => MISSING_CODE };
}

export const text = (): Slot => plain(FRESH_TEXT);
export const newCode = (): Slot => plain(FRESH_CODE);

/**
 * How arguments and input fields are filled, by `Owner.name` (an input type's field, or an
 * argument as `Query.field.argument`) or by plain name. Ids, `code` and `<type>Code` strings,
 * booleans and enums need no entry (see `slotFor`); any other argument without one fails the
 * test, naming it, until it is added here.
 */
export const BUILDERS: Record<string, (world: World) => Slot> = {
  // A new code is a fresh one of B's, never one of A's (B would then simply have it too).
  "CreateCallStatusInput.code": newCode,
  "CreateLeadStatusInput.code": newCode,
  "CreateAccountInput.code": newCode,
  // A code whose name does not say its kind: a lead's status.
  statusCode: (world) => codeSlot("LeadStatus", world),
  // The AI tool's arguments name a call status.
  "RecordAiCallResultInput.arguments": (world) => {
    const slot = codeSlot("CallStatus", world);
    const wrap = (code: unknown) => ({ callStatusCode: code });
    return {
      own: wrap(slot.own),
      probes: slot.probes.map(wrap),
      missing: () => wrap(MISSING_CODE),
    };
  },
  // Free text is neutral and fresh: a marker here would only end up in B's own rows.
  title: text,
  name: text,
  description: text,
  comment: text,
  // A new lead's external id is fresh; anywhere else it names a lead.
  "CreateLeadInput.externalId": text,
  externalId: (world) => ({
    own: world.ownExternalId,
    probes: world.a.externalIds,
    missing: () => "zz-missing-external-id",
  }),
  idempotencyKey: text,
  revision: text,
  phone: () => plain("+1 555 0100"),
  // Looking a lead up by phone: A's numbers, which B's lead shares one of.
  "LeadFilter.phone": (world) => ({
    own: "+44 20 7946 0001",
    probes: world.a.phones,
    missing: () => "+44 20 7946 0999",
  }),
  color: () => plain("#00AA00"),
  // Searching for A's marker or codes finds nothing of A's.
  search: (world) => ({
    own: "bravo",
    probes: ["ALPHA-SECRET", ...[...world.a.codes.values()].flat()],
    missing: () => "zz nothing like it",
  }),
  actorId: (world) => ({
    own: world.ownActor,
    probes: world.a.actors,
    missing: () => `key:${MISSING_ID}`,
  }),
  // A's cursors are positions, not rows: they must page B's own rows only.
  after: (world) => ({
    own: null,
    probes: world.a.cursors,
    missing: (probe) => {
      // The same kind and shape of cursor (a call's holds its time too), at a missing row.
      const [kind, ...keys] = Buffer.from(String(probe), "base64url").toString("utf8").split(":");
      return encodeCursor(kind, ...keys.slice(0, -1).map(Number), Number(MISSING_ID));
    },
  }),
  first: () => plain(100),
  "Query.changes.types": () => plain("call.recorded"),
  // Webhooks: B's endpoint URL (nobody listens there), A's endpoints and events as targets.
  url: () => plain("http://127.0.0.1:9/bravo-walk"),
  events: () => plain("lead.created"),
  endpointId: (world) => idSlot("WebhookEndpoint", world),
  // Its answer is not the endpoint itself, so the id's type is not told by it.
  "Mutation.rotateWebhookEndpointSecret.id": (world) => idSlot("WebhookEndpoint", world),
  "RedeliverWebhookEventsInput.eventId": (world) => idSlot("Change", world),
  overlapSeconds: () => plain(60),
  // A reorder naming A's codes: refused as codes B has no status with, exactly like missing ones.
  "Mutation.reorderCallStatuses.codes": (world) => codeSlot("CallStatus", world),
  "Mutation.reorderLeadStatuses.codes": (world) => codeSlot("LeadStatus", world),
  expectedRevision: () => plain(null),
  sort: () => plain(5),
  expectedVersion: () => plain(1),
  from: () => plain("2000-01-01T00:00:00.000Z"),
  to: () => plain("2100-01-01T00:00:00.000Z"),
  nextCallAt: (world) => plain(world.future),
};

/** Where an enum's first value would make every variant fail the same way. */
export const ENUM_BASELINE: Record<string, string> = { Role: "AGENT" };

export const pascal = (name: string) =>
  name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _sep, letter: string) => letter.toUpperCase());

/** The generator's view of the schema: which types are rows with ids, and which have codes. */
export class SchemaFacts {
  readonly withIds = new Set<string>();
  readonly withCodes = new Set<string>();

  constructor(readonly schema: GraphQLSchema) {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      const fields = type.getFields();
      if (fields.id && String(fields.id.type) === "ID!") this.withIds.add(type.name);
      if (fields.id && fields.code) this.withCodes.add(type.name);
    }
  }

  /** `leadId` → Lead, `callStatusCode` → CallStatus (when such a type exists). */
  typeNamedBy(name: string, suffix: "Id" | "Code"): string | undefined {
    if (!name.endsWith(suffix) || name === suffix) return undefined;
    const type = name.slice(0, -suffix.length).replace(/^./, (c) => c.toUpperCase());
    return (suffix === "Id" ? this.withIds : this.withCodes).has(type) ? type : undefined;
  }
}

/** One argument or input field: a leaf with its slot, or an input object with its fields. */
export interface InputNode {
  name: string;
  required: boolean;
  list: boolean;
  slot?: Slot;
  fields?: InputNode[];
}

/**
 * The slot of one leaf position. `target` is the type the operation answers (what its `id` and
 * `code` arguments name); `site` says where the position is, for the failure message.
 */
export function slotFor(
  owner: string,
  name: string,
  type: GraphQLNamedType,
  target: string | undefined,
  site: string,
  facts: SchemaFacts,
  world: World,
): Slot {
  const builder = BUILDERS[`${owner}.${name}`] ?? BUILDERS[name];
  if (builder) return builder(world);
  if (type.name === "ID") {
    const named =
      name === "id" && target && facts.withIds.has(target) ? target : facts.typeNamedBy(name, "Id");
    return idSlot(named, world);
  }
  if (type.name === "String") {
    const coded =
      name === "code" && target && facts.withCodes.has(target)
        ? target
        : facts.typeNamedBy(name, "Code");
    if (coded) return codeSlot(coded, world);
  }
  if (type.name === "Boolean")
    return { own: false, probes: [], missing: () => false, others: [true] };
  if (isEnumType(type)) {
    const values = type.getValues().map((value) => value.value as string);
    const own = ENUM_BASELINE[type.name] ?? values[0];
    return { own, probes: [], missing: () => own, others: values.filter((v) => v !== own) };
  }
  throw new Error(
    `No argument builder for ${site} (${type.name}): add one to BUILDERS in test/accounts/isolation/operations.ts`,
  );
}

export function inputNode(
  name: string,
  type: GraphQLInputType,
  owner: string,
  target: string | undefined,
  site: string,
  context: { facts: SchemaFacts; world: World; problems: string[] },
  depth = 0,
): InputNode {
  const required = isNonNullType(type);
  const inner = isNonNullType(type) ? type.ofType : type;
  const list = isListType(inner);
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    if (depth > 3) {
      context.problems.push(`${site}: input objects nested too deeply for the generator`);
      return { name, required, list, fields: [] };
    }
    const fields = Object.values(named.getFields()).map((field) =>
      inputNode(
        field.name,
        field.type,
        named.name,
        undefined,
        `${site}.${field.name}`,
        context,
        depth + 1,
      ),
    );
    return { name, required, list, fields };
  }
  try {
    return {
      name,
      required,
      list,
      slot: slotFor(owner, name, named, target, site, context.facts, context.world),
    };
  } catch (error) {
    context.problems.push((error as Error).message);
    return { name, required, list, slot: plain(null) };
  }
}

export type Args = Record<string, unknown>;

export const wrap = (node: InputNode, value: unknown) => (node.list ? [value] : value);

/** Only what is required, each with its own (B's) value. */
export function baseline(nodes: InputNode[]): Args {
  const args: Args = {};
  for (const node of nodes) {
    if (node.required)
      args[node.name] = wrap(node, node.fields ? baseline(node.fields) : node.slot!.own);
  }
  return args;
}

/** Every argument and input field, each with its own (B's) value. */
export function everything(nodes: InputNode[]): Args {
  const args: Args = {};
  for (const node of nodes) {
    args[node.name] = wrap(node, node.fields ? everything(node.fields) : node.slot!.own);
  }
  return args;
}

/** `args` with the leaf at the end of `chain` set to `value` (its objects made as needed). */
export function setAt(args: Args, chain: InputNode[], value: unknown): Args {
  const copy = JSON.parse(JSON.stringify(args)) as Args;
  let container = copy;
  chain.forEach((node, index) => {
    if (index === chain.length - 1) {
      container[node.name] = wrap(node, value);
      return;
    }
    let current = container[node.name];
    if (current === undefined || current === null) {
      current = wrap(node, baseline(node.fields!));
      container[node.name] = current;
    }
    container = (node.list ? (current as Args[])[0] : current) as Args;
  });
  return copy;
}

export function leaves(nodes: InputNode[], chain: InputNode[] = []): InputNode[][] {
  return nodes.flatMap((node) =>
    node.fields ? leaves(node.fields, [...chain, node]) : [[...chain, node]],
  );
}

export interface Variant {
  label: string;
  variables: Args;
  /** The same operation with the probe replaced by a value that exists nowhere. */
  twin?: Args;
}

/**
 * The runs of one field: its required arguments only; every argument; then each of A's values
 * in each position (from both of those), with its twin; then each other enum or boolean value.
 */
export function variantsOf(nodes: InputNode[]): Variant[] {
  const base = baseline(nodes);
  const full = everything(nodes);
  const variants: Variant[] = [
    { label: "required arguments only", variables: base },
    { label: "every argument", variables: full },
  ];
  for (const chain of leaves(nodes)) {
    const leaf = chain[chain.length - 1];
    const slot = leaf.slot!;
    const where = chain.map((node) => node.name).join(".");
    for (const probe of slot.probes) {
      for (const [from, args] of [
        ["", base],
        [" with every argument", full],
      ] as const) {
        variants.push({
          label: `${where} = A's ${JSON.stringify(probe)}${from}`,
          variables: setAt(args, chain, probe),
          twin: setAt(args, chain, slot.missing(probe)),
        });
      }
    }
    const required = chain.every((node) => node.required);
    const others = slot.others ? (required ? slot.others : [slot.own, ...slot.others]) : [];
    for (const other of others) {
      variants.push({
        label: `${where} = ${JSON.stringify(other)}`,
        variables: setAt(base, chain, other),
      });
    }
  }
  const seen = new Set<string>();
  return variants.filter((variant) => {
    const key = JSON.stringify([variant.variables, variant.twin]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One Query or Mutation field: one document, run once per variant. */
export interface Operation {
  root: "Query" | "Mutation";
  field: string;
  document: string;
  /** Variables of nested fields' required arguments, the same in every variant. */
  nested: Args;
  variants: Variant[];
}

/** The selection of every field of `type` to MAX_DEPTH, no type twice on one path. */
export function selectionOf(
  type: GraphQLNamedType,
  path: string[],
  context: {
    facts: SchemaFacts;
    world: World;
    problems: string[];
    nested: { definitions: string[]; values: Args };
  },
): string {
  const { schema } = context.facts;
  if (isAbstractType(type)) {
    const parts = schema
      .getPossibleTypes(type)
      .map((possible) => `... on ${possible.name} ${selectionOf(possible, path, context)}`);
    return `{ __typename ${parts.join(" ")} }`;
  }
  const parts = ["__typename"];
  for (const field of Object.values((type as GraphQLObjectType).getFields())) {
    const named = getNamedType(field.type);
    const expand = !isLeafType(named) && path.length < MAX_DEPTH && !path.includes(named.name);
    if (!isLeafType(named) && !expand) continue;
    const args = nestedArguments(type.name, field, context);
    parts.push(
      expand
        ? `${field.name}${args} ${selectionOf(named, [...path, named.name], context)}`
        : `${field.name}${args}`,
    );
  }
  return `{ ${parts.join(" ")} }`;
}

/** A nested field's required arguments (as variables, B's own values); optional ones left out. */
export function nestedArguments(
  owner: string,
  field: GraphQLField<unknown, unknown>,
  context: {
    facts: SchemaFacts;
    world: World;
    problems: string[];
    nested: { definitions: string[]; values: Args };
  },
): string {
  const required = field.args.filter((arg) => isNonNullType(arg.type));
  if (required.length === 0) return "";
  const target = getNamedType(field.type).name;
  const parts = required.map((arg) => {
    const node = inputNode(
      arg.name,
      arg.type,
      `${owner}.${field.name}`,
      target,
      `${owner}.${field.name}(${arg.name})`,
      context,
    );
    const variable = `n${context.nested.definitions.length}_${arg.name}`;
    context.nested.definitions.push(`$${variable}: ${String(arg.type)}`);
    context.nested.values[variable] = baseline([node])[arg.name];
    return `${arg.name}: $${variable}`;
  });
  return `(${parts.join(", ")})`;
}

/**
 * Every field of Query and Mutation as an operation with its variants; throws, naming every
 * argument it has no builder for, rather than leave a field out.
 */
export function generateOperations(facts: SchemaFacts, world: World): Operation[] {
  const problems: string[] = [];
  const operations: Operation[] = [];
  for (const root of [facts.schema.getQueryType(), facts.schema.getMutationType()]) {
    if (!root) continue;
    const rootName = root.name as "Query" | "Mutation";
    for (const field of Object.values(root.getFields())) {
      const target = getNamedType(field.type).name;
      const nested = { definitions: [] as string[], values: {} as Args };
      const context = { facts, world, problems, nested };
      const nodes = field.args.map((arg) =>
        inputNode(
          arg.name,
          arg.type,
          `${rootName}.${field.name}`,
          target,
          `${rootName}.${field.name}(${arg.name})`,
          context,
        ),
      );
      const named = getNamedType(field.type);
      const selection = isLeafType(named)
        ? ""
        : selectionOf(named, [root.name, named.name], context);
      const definitions = [
        ...field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`),
        ...nested.definitions,
      ];
      const argumentList = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
      const document =
        `${rootName === "Query" ? "query" : "mutation"} Probe_${field.name}` +
        `${definitions.length > 0 ? `(${definitions.join(", ")})` : ""}` +
        ` { ${field.name}${argumentList ? `(${argumentList})` : ""} ${selection} }`;
      operations.push({
        root: rootName,
        field: field.name,
        document,
        nested: nested.values,
        variants: variantsOf(nodes),
      });
    }
  }
  if (problems.length > 0) {
    throw new Error(`The isolation walk cannot build arguments for:\n  ${problems.join("\n  ")}`);
  }
  return operations;
}
