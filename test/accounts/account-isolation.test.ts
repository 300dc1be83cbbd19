/**
 * Account isolation, over HTTP, on both databases. Two accounts: A ("alpha_secret"), whose every
 * title, name and comment carries the marker ALPHA-SECRET, and B ("bravo"). B's keys are aimed at
 * every field of Query and Mutation — operations generated from the schema itself, with A's ids,
 * codes, cursors and actors in their arguments — and must never see A's rows, change them, or
 * learn that they exist: an A value must be answered exactly like a value that exists nowhere.
 * Then what needs a story of its own: equal codes and external ids, lists, the AI tool and the
 * warnings, idempotency keys, the platform operator, turning an account off, and races.
 */
import { SignJWT } from "jose";
import {
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";
import { buildAppSchema } from "../../src/app";
import { encodeCursor } from "../../src/common/pagination";
import {
  describeEachDatabaseKind,
  expectError,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";

const JWT_SECRET = "account-isolation-secret-of-at-least-32-bytes";
/** What every title, name, description and comment of A's carries (codes: `alpha_secret…`). */
const MARKER = /alpha[\s_-]*secret/i;
/** An id no row has, in range (a positive 32-bit integer). */
const MISSING_ID = "2147480000";
/** A well-formed code no status and no account has. */
const MISSING_CODE = "zz_missing_code";
/**
 * How many object types deep the generated selections go (a connection takes two of them:
 * `calls { edges { node { lead { status { … } } } } }` is five).
 */
const MAX_DEPTH = 5;
/** The roles of B's keys that every generated operation is run as (all of them). */
const WALK_ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
/** What the platform operator may do; every other field must answer it FORBIDDEN. */
const PLATFORM_FIELDS = ["accounts", "createAccount", "updateAccount", "createApiKey", "viewer"];

const ROLES = ["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const;
type RoleName = (typeof ROLES)[number];

interface Key {
  id: string;
  prefix: string;
  secret: string;
}

/** One account as the test knows it: its keys, its token, and the rows made through the API. */
class Party {
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

function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "dialer-1", iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(JWT_SECRET));
}

// ---------------------------------------------------------------------------------------------
// What each account holds, read back through the API
// ---------------------------------------------------------------------------------------------

/** An account's rows as its ADMIN lists them: ids by GraphQL type, codes, cursors, actors. */
interface Inventory {
  ids: Map<string, Set<string>>;
  codes: Map<string, string[]>;
  cursors: string[];
  actors: string[];
  prefixes: string[];
  externalIds: string[];
  phones: string[];
}

type Connection<T> = {
  totalCount: number;
  edges: Array<{ node: T }>;
  pageInfo: { endCursor: string | null };
};

interface InventoryData {
  viewer: { account: { id: string; code: string } };
  callStatuses: Array<{ id: string; code: string }>;
  leadStatuses: Array<{ id: string; code: string }>;
  leads: Connection<{ id: string; externalId: string | null; phone: string | null }>;
  calls: Connection<{ id: string }>;
  apiKeys: Array<{ id: string; prefix: string }>;
  auditLog: Connection<{ id: string }>;
}

async function inventory(server: TestServer, party: Party): Promise<Inventory> {
  const data = await server.ok<InventoryData>(
    `{
      viewer { account { id code } }
      callStatuses { id code }
      leadStatuses { id code }
      leads(first: 100) { totalCount edges { node { id externalId phone } } pageInfo { endCursor } }
      calls(first: 100) { totalCount edges { node { id } } pageInfo { endCursor } }
      apiKeys { id prefix }
      auditLog(first: 100) { totalCount edges { node { id } } pageInfo { endCursor } }
    }`,
    undefined,
    party.as("ADMIN"),
  );
  for (const list of [data.leads, data.calls, data.auditLog]) {
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
    ]),
    codes: new Map([
      ["Account", [data.viewer.account.code]],
      ["CallStatus", data.callStatuses.map((s) => s.code)],
      ["LeadStatus", data.leadStatuses.map((s) => s.code)],
    ]),
    cursors: [data.leads, data.calls, data.auditLog].flatMap((l) => l.pageInfo.endCursor ?? []),
    actors: data.apiKeys.map((key) => `key:${key.id}`),
    prefixes: data.apiKeys.map((key) => key.prefix),
    externalIds: nodes(data.leads).flatMap((lead) => lead.externalId ?? []),
    phones: nodes(data.leads).flatMap((lead) => lead.phone ?? []),
  };
}

/** Everything of A's an ADMIN of A can read, to compare before and after B's attempts. */
const SNAPSHOT = `{
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
}`;

// ---------------------------------------------------------------------------------------------
// The operation generator: every Query and Mutation field, from the schema itself
// ---------------------------------------------------------------------------------------------

/** Replaced by a new unique value at each run (a new code, a neutral text). */
const FRESH_CODE = "<fresh code>";
const FRESH_TEXT = "<fresh text>";

/** What the generator puts in one argument or input field. */
interface Slot {
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
interface World {
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

const plain = (own: unknown): Slot => ({ own, probes: [], missing: () => own });

/** A reference by id to a row of `type` (undefined: the type cannot be told, so any of A's). */
function idSlot(type: string | undefined, world: World): Slot {
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
function codeSlot(type: string, world: World): Slot {
  const own = world.ownCodes[type];
  const probes = world.a.codes.get(type) ?? [];
  if (own === undefined || probes.length === 0) {
    throw new Error(`the test has no ${type} codes of B's and of A's alone: add them to the setup`);
  }
  return { own, probes, missing: () => MISSING_CODE };
}

const text = (): Slot => plain(FRESH_TEXT);
const newCode = (): Slot => plain(FRESH_CODE);

/**
 * How arguments and input fields are filled, by `Owner.name` (an input type's field, or an
 * argument as `Query.field.argument`) or by plain name. Ids, `code` and `<type>Code` strings,
 * booleans and enums need no entry (see `slotFor`); any other argument without one fails the
 * test, naming it, until it is added here.
 */
const BUILDERS: Record<string, (world: World) => Slot> = {
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
  sort: () => plain(5),
  expectedVersion: () => plain(1),
  from: () => plain("2000-01-01T00:00:00.000Z"),
  to: () => plain("2100-01-01T00:00:00.000Z"),
  nextCallAt: (world) => plain(world.future),
};

/** Where an enum's first value would make every variant fail the same way. */
const ENUM_BASELINE: Record<string, string> = { Role: "AGENT" };

const pascal = (name: string) =>
  name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _sep, letter: string) => letter.toUpperCase());

/** The generator's view of the schema: which types are rows with ids, and which have codes. */
class SchemaFacts {
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
interface InputNode {
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
function slotFor(
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
    `No argument builder for ${site} (${type.name}): add one to BUILDERS in test/accounts/account-isolation.test.ts`,
  );
}

function inputNode(
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

type Args = Record<string, unknown>;

const wrap = (node: InputNode, value: unknown) => (node.list ? [value] : value);

/** Only what is required, each with its own (B's) value. */
function baseline(nodes: InputNode[]): Args {
  const args: Args = {};
  for (const node of nodes) {
    if (node.required)
      args[node.name] = wrap(node, node.fields ? baseline(node.fields) : node.slot!.own);
  }
  return args;
}

/** Every argument and input field, each with its own (B's) value. */
function everything(nodes: InputNode[]): Args {
  const args: Args = {};
  for (const node of nodes) {
    args[node.name] = wrap(node, node.fields ? everything(node.fields) : node.slot!.own);
  }
  return args;
}

/** `args` with the leaf at the end of `chain` set to `value` (its objects made as needed). */
function setAt(args: Args, chain: InputNode[], value: unknown): Args {
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

function leaves(nodes: InputNode[], chain: InputNode[] = []): InputNode[][] {
  return nodes.flatMap((node) =>
    node.fields ? leaves(node.fields, [...chain, node]) : [[...chain, node]],
  );
}

interface Variant {
  label: string;
  variables: Args;
  /** The same operation with the probe replaced by a value that exists nowhere. */
  twin?: Args;
}

/**
 * The runs of one field: its required arguments only; every argument; then each of A's values
 * in each position (from both of those), with its twin; then each other enum or boolean value.
 */
function variantsOf(nodes: InputNode[]): Variant[] {
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
interface Operation {
  root: "Query" | "Mutation";
  field: string;
  document: string;
  /** Variables of nested fields' required arguments, the same in every variant. */
  nested: Args;
  variants: Variant[];
}

/** The selection of every field of `type` to MAX_DEPTH, no type twice on one path. */
function selectionOf(
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
function nestedArguments(
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
function generateOperations(facts: SchemaFacts, world: World): Operation[] {
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

// ---------------------------------------------------------------------------------------------
// Judging an answer
// ---------------------------------------------------------------------------------------------

let freshCounter = 0;

/** The variables as sent: every fresh placeholder replaced by a new unique value. */
function materialize(value: unknown): unknown {
  if (value === FRESH_CODE) return `b_new_${process.pid}_${(freshCounter += 1)}`;
  if (value === FRESH_TEXT) return `bravo probe ${(freshCounter += 1)}`;
  if (Array.isArray(value)) return value.map(materialize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(v)]));
  }
  return value;
}

function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/** What an answer is, for comparing a probe with its twin: error codes, or data or null. */
function outcome(response: GraphQLResponse, field: string): string {
  const codes = (response.errors ?? []).map((e) => e.extensions?.code ?? "?").sort();
  if (codes.length > 0) return codes.join(",");
  return response.data?.[field] === null ? "null" : "data";
}

/** What of A's a value shows: A's rows by type and id, A's marker, key prefixes or actors. */
function traces(value: unknown, a: Inventory, facts: SchemaFacts): string[] {
  const found: string[] = [];
  const aActors = new Set(a.actors);
  const visit = (item: unknown): void => {
    if (typeof item === "string") {
      if (MARKER.test(item)) found.push(`A's marker in ${JSON.stringify(item)}`);
      for (const prefix of a.prefixes) {
        if (item.includes(prefix)) found.push(`A's key prefix ${prefix}`);
      }
      if (aActors.has(item)) found.push(`A's actor ${item}`);
      return;
    }
    if (Array.isArray(item)) return item.forEach(visit);
    if (!item || typeof item !== "object") return;
    const row = item as Record<string, unknown>;
    const type = row.__typename;
    if (typeof type === "string" && row.id !== undefined && a.ids.get(type)?.has(String(row.id))) {
      found.push(`A's ${type} ${String(row.id)}`);
    }
    if (type === "AuditEntry" && typeof row.entityType === "string" && row.entityId !== undefined) {
      const entityType = pascal(row.entityType);
      if (!facts.withIds.has(entityType)) {
        found.push(`audit entity type ${row.entityType} names no type of the schema`);
      } else if (a.ids.get(entityType)?.has(String(row.entityId))) {
        found.push(`an audit entry of A's ${entityType} ${String(row.entityId)}`);
      }
    }
    for (const [key, child] of Object.entries(row)) {
      if (MARKER.test(key)) found.push(`A's marker in the key ${JSON.stringify(key)}`);
      visit(child);
    }
  };
  visit(value);
  return found;
}

/** Error messages may repeat what was sent (A's code in "no call status with code …"). */
function errorsWithoutEcho(response: GraphQLResponse, sent: unknown): string {
  let text = JSON.stringify(response.errors ?? []);
  // Numbers and short strings are left in: they would cut key prefixes and markers apart.
  const echoes = stringsIn(sent)
    .filter((s) => s.length >= 3 && !/^[0-9]+$/.test(s))
    .sort((x, y) => y.length - x.length);
  for (const echo of echoes) text = text.split(echo).join("<sent>");
  return text;
}

/** Codes that mean the generator, not the service, got something wrong (or the service broke). */
const NEVER = ["INTERNAL_SERVER_ERROR", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"];

function malformed(response: GraphQLResponse): string | undefined {
  for (const error of response.errors ?? []) {
    const code = error.extensions?.code ?? "";
    if (NEVER.includes(code) || /^Variable "\$/.test(error.message)) {
      return `${code}: ${error.message}`;
    }
  }
  if (response.status >= 500 || response.status === 401) return `HTTP ${response.status}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describeEachDatabaseKind("account isolation", (kind) => {
  const server = new TestServer(kind);
  const A = new Party("alpha_secret", "ALPHA-SECRET Call Centre");
  const B = new Party("bravo", "Bravo Call Centre");
  let platform: Record<string, string>;
  /** B's rows that the walk may change, besides the lists it reads. */
  const bOwn = { spareKey: "", targetCallStatus: "", targetLeadStatus: "" };
  let systemCallCodes: string[];
  let systemLeadCodes: string[];

  const gqlAs = <T = Record<string, unknown>>(
    headers: Record<string, string>,
    query: string,
    variables?: Record<string, unknown>,
  ) => server.ok<T>(query, variables, headers);

  const CREATE_CALL_STATUS = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id code } }`;
  const CREATE_LEAD_STATUS = `mutation($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { id code } }`;
  const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id status { id code } } }`;
  const RECORD = `mutation($input: RecordCallResultInput!) {
    recordCallResult(input: $input) { call { id status { id code title } } lead { id } }
  }`;
  type Recorded = {
    recordCallResult: {
      call: { id: string; status: { id: string; code: string; title: string } | null };
      lead: { id: string };
    };
  };

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
  });
  afterAll(() => server.stop());

  describe("the same codes, external ids and idempotency keys in both accounts", () => {
    it("gives each account its own status for a code both have", async () => {
      for (const [party, title, leadTitle] of [
        [A, "ALPHA-SECRET Shared Outcome", "ALPHA-SECRET Shared Lead Status"],
        [B, "Bravo Shared Outcome", "Bravo Shared Lead Status"],
      ] as const) {
        for (const role of ROLES) {
          const data = await gqlAs<{
            callStatus: { id: string; title: string };
            leadStatus: { id: string; title: string };
          }>(
            party.as(role),
            `{ callStatus(code: "shared_code") { id title } leadStatus(code: "shared_lead_code") { id title } }`,
          );
          expect(data.callStatus).toEqual({ id: party.callStatusIds.get("shared_code"), title });
          expect(data.leadStatus).toEqual({
            id: party.leadStatusIds.get("shared_lead_code"),
            title: leadTitle,
          });
        }
      }
      // A's shared_code moves leads to A's shared_lead_code; B's links nothing.
      const linked = `{ callStatuses(filter: { leadStatusCode: "shared_lead_code" }) { id } }`;
      expect(await gqlAs(A.as("ADMIN"), linked)).toEqual({
        callStatuses: [{ id: A.callStatusIds.get("shared_code") }],
      });
      expect(await gqlAs(B.as("ADMIN"), linked)).toEqual({ callStatuses: [] });
    });

    it("uses the caller's own status when writing with a code both have", async () => {
      // A's shared_lead_code is QUALIFIED, where no lead may start; B's is IN_PROGRESS.
      const lead = await createLead(B, {
        name: "Bravo Lead Two",
        statusCode: "shared_lead_code",
      });
      expect(lead.status).toEqual({
        id: B.leadStatusIds.get("shared_lead_code"),
        code: "shared_lead_code",
      });
      const linkedId = await createCallStatus(B, {
        code: "bravo_linked",
        title: "Bravo Linked",
        leadStatusCode: "shared_lead_code",
      });
      const linked = await gqlAs<{ callStatus: { leadStatus: { id: string } } }>(
        B.as("ADMIN"),
        `query($id: ID!) { callStatus(id: $id) { leadStatus { id } } }`,
        { id: linkedId },
      );
      expect(linked.callStatus.leadStatus.id).toBe(B.leadStatusIds.get("shared_lead_code"));
      const result = await record(B, B.as("SYSTEM"), {
        leadId: lead.id,
        callStatusCode: "shared_code",
      });
      expect(result.call.status).toEqual({
        id: B.callStatusIds.get("shared_code"),
        code: "shared_code",
        title: "Bravo Shared Outcome",
      });
    });

    it("records two calls for an idempotency key used in both accounts", async () => {
      const bLead = B.leadIds[0];
      const aCalls = [...A.callIds];
      for (const [headers, key] of [
        [B.as("SYSTEM"), "shared-idempotency-key"],
        // The same subject in both accounts: the same actor id, so the same stored hash.
        [B.bearer, "shared-token-key"],
        [B.as("AI_AGENT"), "shared-ai-key"],
      ] as const) {
        const input = { leadId: bLead, callStatusCode: "shared_code", idempotencyKey: key };
        const first = await record(B, headers, input);
        expect(aCalls).not.toContain(first.call.id);
        expect(first.lead.id).toBe(bLead);
        expect(first.call.status?.title).toBe("Bravo Shared Outcome");
        // A retry in B replays B's call, not A's.
        const again = await record(B, headers, input);
        expect(again.call.id).toBe(first.call.id);
      }
      // And a retry in A still replays A's.
      const replay = await record(A, A.bearer, {
        leadId: A.leadIds[1],
        callStatusCode: "shared_code",
        comment: "ALPHA-SECRET via a token",
        idempotencyKey: "shared-token-key",
      });
      expect(replay.call.id).toBe(aCalls[1]);
    });

    it("shows every caller its own account", async () => {
      for (const party of [A, B]) {
        for (const headers of [...ROLES.map((role) => party.as(role)), party.bearer]) {
          const { viewer } = await gqlAs<{ viewer: { account: { id: string; code: string } } }>(
            headers,
            `{ viewer { account { id code } } }`,
          );
          expect(viewer.account).toEqual({ id: party.accountId, code: party.code });
        }
      }
      const { viewer } = await gqlAs(platform, `{ viewer { role account { code } } }`);
      expect(viewer).toEqual({ role: "PLATFORM", account: null });
    });
  });

  describe("lists", () => {
    type Lists = {
      callStatuses: Array<{ id: string; code: string; title: string }>;
      leadStatuses: Array<{ id: string; code: string; title: string }>;
      leads: Connection<{ id: string; name: string | null }>;
      calls: Connection<{ id: string; comment: string | null; lead: { id: string } }>;
    };
    const LISTS = `{
      callStatuses { id code title }
      leadStatuses { id code title }
      leads(first: 100) { totalCount edges { node { id name } } pageInfo { endCursor } }
      calls(first: 100) { totalCount edges { node { id comment lead { id } } } pageInfo { endCursor } }
    }`;
    const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id).sort();
    const nodes = <T>(list: Connection<T>) => list.edges.map((edge) => edge.node);

    it.each(ROLES)("hold only the account's own rows, as %s", async (role) => {
      for (const [party, other] of [
        [A, B],
        [B, A],
      ] as const) {
        const data = await gqlAs<Lists>(party.as(role), LISTS);
        // None of the other's: statuses it made, leads, calls.
        for (const id of ids(data.callStatuses)) {
          expect([...other.callStatusIds.values()]).not.toContain(id);
        }
        for (const id of ids(data.leadStatuses)) {
          expect([...other.leadStatusIds.values()]).not.toContain(id);
        }
        for (const id of ids(nodes(data.leads))) expect(other.leadIds).not.toContain(id);
        for (const id of ids(nodes(data.calls))) expect(other.callIds).not.toContain(id);
        expect(ids(nodes(data.leads))).toEqual([...party.leadIds].sort());
        expect(data.leads.totalCount).toBe(party.leadIds.length);
        expect(ids(nodes(data.calls))).toEqual([...party.callIds].sort());
        expect(data.calls.totalCount).toBe(party.callIds.length);
        for (const call of nodes(data.calls)) expect(party.leadIds).toContain(call.lead.id);
        // Every code once: the account's system statuses and its own, no other's.
        const leadCodes = data.leadStatuses.map((s) => s.code).sort();
        expect(leadCodes).toEqual([...systemLeadCodes, ...party.leadStatusIds.keys()].sort());
        const callCodes = data.callStatuses.map((s) => s.code);
        expect(new Set(callCodes).size).toBe(callCodes.length);
        for (const code of party.callStatusIds.keys()) {
          if (role === "ADMIN" || role === "SYSTEM") expect(callCodes).toContain(code);
        }
        for (const code of callCodes) {
          expect([...systemCallCodes, ...party.callStatusIds.keys()]).toContain(code);
        }
        for (const row of [...data.callStatuses, ...data.leadStatuses]) {
          if (party.callStatusIds.has(row.code) || party.leadStatusIds.has(row.code)) {
            expect([
              party.callStatusIds.get(row.code),
              party.leadStatusIds.get(row.code),
            ]).toContain(row.id);
          }
        }
        if (party === B) expect(JSON.stringify(data)).not.toMatch(MARKER);
      }
    });

    it("of API keys and of the audit trail hold only the account's own", async () => {
      const inventories = { A: await inventory(server, A), B: await inventory(server, B) };
      for (const [party, mine, theirs] of [
        [A, inventories.A, inventories.B],
        [B, inventories.B, inventories.A],
      ] as const) {
        expect([...mine.ids.get("ApiKey")!].sort()).toEqual([...party.keyIds].sort());
        for (const type of mine.ids.keys()) {
          const overlap = [...mine.ids.get(type)!].filter((id) => theirs.ids.get(type)!.has(id));
          expect({ type, overlap }).toEqual({ type, overlap: [] });
        }
        const { auditLog } = await gqlAs<{
          auditLog: Connection<{ entityType: string; entityId: string; changes: unknown }>;
        }>(
          party.as("ADMIN"),
          `{ auditLog(first: 100) { totalCount edges { node { entityType entityId changes } } } }`,
        );
        expect(auditLog.totalCount).toBeGreaterThan(5);
        for (const entry of nodes(auditLog)) {
          // Every entry is about a row of the account's own (or the account itself).
          expect(mine.ids.get(pascal(entry.entityType))).toContain(entry.entityId);
        }
        if (party === B) expect(JSON.stringify(auditLog)).not.toMatch(MARKER);
        else expect(JSON.stringify(auditLog)).toMatch(MARKER);
      }
    });
  });

  describe("the AI tool and the configuration warnings", () => {
    const TOOL = `query($format: ToolFormat!, $audience: Audience) {
      callOutcomeTool(format: $format, audience: $audience) {
        name description parameters definition revision allowedCodes
      }
    }`;

    it("offer B only B's statuses", async () => {
      const { callStatuses } = await gqlAs<{ callStatuses: Array<{ code: string }> }>(
        B.as("ADMIN"),
        `{ callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`,
      );
      for (const format of ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"]) {
        for (const [headers, audience] of [
          [B.as("AI_AGENT"), null],
          [B.as("ADMIN"), "AI_AGENT"],
          [B.as("ADMIN"), "AGENT"],
        ] as const) {
          const data = await gqlAs<{ callOutcomeTool: { allowedCodes: string[] } }>(headers, TOOL, {
            format,
            audience,
          });
          const textOf = JSON.stringify(data);
          expect(textOf).not.toMatch(MARKER); // also A's codes: alpha_secret_…
          if (audience !== "AGENT") {
            expect(data.callOutcomeTool.allowedCodes).toEqual(callStatuses.map((s) => s.code));
          }
        }
      }
      // A's tool does show A's (so the check above could fail).
      const own = await gqlAs(A.as("AI_AGENT"), TOOL, { format: "OPENAI" });
      expect(JSON.stringify(own)).toMatch(MARKER);
    });

    it("warn B only about B's statuses", async () => {
      const WARNINGS = `{ configurationWarnings { kind message callStatusCodes audience } }`;
      const bWarnings = await gqlAs(B.as("ADMIN"), WARNINGS);
      expect(JSON.stringify(bWarnings)).not.toMatch(MARKER);
      const aWarnings = await gqlAs<{
        configurationWarnings: Array<{ kind: string; callStatusCodes: string[] }>;
      }>(A.as("ADMIN"), WARNINGS);
      expect(aWarnings.configurationWarnings).toContainEqual(
        expect.objectContaining({
          kind: "AI_STATUS_WITHOUT_DESCRIPTION",
          callStatusCodes: ["alpha_secret_undescribed"],
        }),
      );
    });
  });

  describe("every Query and Mutation field, aimed at A's data by B", () => {
    let facts: SchemaFacts;
    let world: World;
    let generated: Operation[] | undefined;
    /** Every field's operation (made once; a field it cannot build fails every test here). */
    const operations = () => (generated ??= generateOperations(facts, world));
    let before: unknown;
    /** A's data as its ADMIN reads it, and the codes of any errors (never thrown here). */
    const snapshot = async () => {
      const response = await server.gql(SNAPSHOT, undefined, A.as("ADMIN"));
      const errors = response.errors?.map((e) => [e.path?.join("."), e.extensions?.code]);
      return { errors, data: response.data };
    };

    beforeAll(async () => {
      facts = new SchemaFacts(await buildAppSchema());
      const aInventory = await inventory(server, A);
      const bInventory = await inventory(server, B);
      // Only what is A's alone: a code or an external id B has too is B's own for B (tested
      // above).
      for (const [type, codes] of aInventory.codes) {
        const theirs = new Set(bInventory.codes.get(type));
        aInventory.codes.set(
          type,
          codes.filter((code) => !theirs.has(code)),
        );
      }
      aInventory.externalIds = aInventory.externalIds.filter(
        (id) => !bInventory.externalIds.includes(id),
      );
      const first = (type: string) => [...bInventory.ids.get(type)!][0];
      world = {
        a: aInventory,
        ownIds: {
          Account: B.accountId,
          CallStatus: bOwn.targetCallStatus,
          LeadStatus: bOwn.targetLeadStatus,
          Lead: B.leadIds[0],
          Call: B.callIds[0],
          // The walk revokes it: never a key it runs with.
          ApiKey: bOwn.spareKey,
          AuditEntry: first("AuditEntry"),
        },
        ownCodes: { Account: B.code, CallStatus: "bravo_call", LeadStatus: "bravo_lead" },
        ownActor: `key:${B.keys.ADMIN.id}`,
        ownExternalId: "shared-external-id",
        future: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
      };
      before = await snapshot();
    });

    it("builds an operation for every field, with A's values in its arguments", () => {
      const fields = (type: GraphQLObjectType | null | undefined) =>
        Object.keys(type?.getFields() ?? {});
      expect(
        operations()
          .map((op) => op.field)
          .sort(),
      ).toEqual(
        [...fields(facts.schema.getQueryType()), ...fields(facts.schema.getMutationType())].sort(),
      );
      // A's ids, codes, cursors and actors are all aimed somewhere.
      const probes = operations().flatMap((op) => op.variants.filter((v) => v.twin));
      expect(probes.length).toBeGreaterThan(50);
      // ISOLATION_REPORT=1 prints every operation and its variables, and the request counts.
      if (process.env.ISOLATION_REPORT) {
        for (const op of operations()) {
          console.log(
            op.document +
              "\n" +
              op.variants
                .map((v) => `  ${v.label} ${JSON.stringify(v.variables)} ${JSON.stringify(v.twin)}`)
                .join("\n"),
          );
        }
      }
    });

    let requests = 0;

    async function run(headers: Record<string, string>, op: Operation, variables: Args) {
      const sent = materialize({ ...variables, ...op.nested }) as Args;
      const response = await server.gql(op.document, sent, headers);
      requests += 1;
      return { sent, response };
    }

    /** Runs every variant of every operation as `headers`; returns what went wrong. */
    async function walk(
      who: string,
      headers: Record<string, string>,
      fields: (op: Operation) => boolean,
      judge: (
        op: Operation,
        variant: Variant,
        response: GraphQLResponse,
        sent: Args,
      ) => Promise<string[]>,
    ): Promise<{ problems: string[]; requests: number }> {
      const problems: string[] = [];
      const sentBefore = requests;
      // Queries first: what the mutations change must not hide what the queries would show.
      const chosen = operations().filter(fields);
      const ordered = [
        ...chosen.filter((op) => op.root === "Query"),
        ...chosen.filter((op) => op.root === "Mutation"),
      ];
      for (const op of ordered) {
        for (const variant of op.variants) {
          const { sent, response } = await run(headers, op, variant.variables);
          const found = await judge(op, variant, response, sent);
          for (const problem of found) {
            problems.push(`${who} ${op.root}.${op.field} [${variant.label}]: ${problem}`);
          }
        }
      }
      return { problems, requests: requests - sentBefore };
    }

    it.each(WALK_ROLES)("never shows, changes or confirms A's data to B's %s key", async (role) => {
      const headers = B.as(role);
      const { problems, requests } = await walk(
        `B's ${role}`,
        headers,
        () => true,
        async (op, variant, response, sent) => {
          const found: string[] = [];
          const broken = malformed(response);
          if (broken) found.push(`answered ${broken}`);
          found.push(...traces(response.data, world.a, facts).map((t) => `data shows ${t}`));
          const errors = errorsWithoutEcho(response, sent);
          if (MARKER.test(errors)) found.push(`an error shows A's marker: ${errors}`);
          for (const prefix of world.a.prefixes) {
            if (errors.includes(prefix)) found.push(`an error shows A's key prefix ${prefix}`);
          }
          if (variant.twin) {
            const twin = await run(headers, op, variant.twin);
            const probe = outcome(response, op.field);
            const missing = outcome(twin.response, op.field);
            if (probe !== missing) {
              found.push(
                probe.includes("FORBIDDEN")
                  ? `FORBIDDEN for A's value but ${missing} for a missing one: that confirms it exists`
                  : `answered ${probe} for A's value but ${missing} for a missing one`,
              );
            }
            if (op.root === "Mutation" && probe === "data") {
              found.push(`succeeded with A's value: ${JSON.stringify(response.data)}`);
            }
          }
          return found;
        },
      );
      if (process.env.ISOLATION_REPORT) {
        console.log(
          `account isolation [${kind}]: ${operations().length} fields, ${requests} requests as B's ${role}`,
        );
      }
      expect(problems).toEqual([]);
    });

    it("leaves A's data exactly as it was", async () => {
      expect(before).toEqual(expect.objectContaining({ errors: undefined }));
      expect(await snapshot()).toEqual(before);
      // And every key of A's still works.
      for (const role of ROLES) {
        await expect(gqlAs(A.as(role), `{ viewer { role } }`)).resolves.toEqual({
          viewer: { role },
        });
      }
    });

    it("gives the platform operator nothing of any account's data", async () => {
      const { problems } = await walk(
        "PLATFORM",
        platform,
        (op) => !PLATFORM_FIELDS.includes(op.field),
        async (op, _variant, response) => {
          const broken = malformed(response);
          if (broken) return [`answered ${broken}`];
          const answer = outcome(response, op.field);
          return answer === "FORBIDDEN"
            ? []
            : [`answered ${answer}: ${JSON.stringify(response.data).slice(0, 300)}`];
        },
      );
      expect(problems).toEqual([]);
    });
  });

  describe("the platform operator", () => {
    it("sees every account, and no account's data", async () => {
      const { accounts } = await gqlAs<{ accounts: Array<{ code: string }> }>(
        platform,
        `{ accounts { id code name active } }`,
      );
      expect(accounts.map((a) => a.code)).toEqual(
        expect.arrayContaining(["default", A.code, B.code]),
      );
      for (const query of [
        `{ callStatuses { id } }`,
        `{ leadStatuses { id } }`,
        `{ leads { totalCount } }`,
        `{ calls { totalCount } }`,
        `{ apiKeys { id } }`,
        `{ auditLog { totalCount } }`,
        `{ configurationWarnings { kind } }`,
        `{ callOutcomeTool(format: OPENAI) { revision } }`,
      ]) {
        expectError(await server.gql(query, undefined, platform), "FORBIDDEN");
      }
      // B's ADMIN, in turn, may not list accounts.
      expectError(await server.gql(`{ accounts { code } }`, undefined, B.as("ADMIN")), "FORBIDDEN");
    });
  });

  describe("an account turned off", () => {
    const UPDATE = `mutation($id: ID!, $active: Boolean!) { updateAccount(id: $id, input: { active: $active }) { code active } }`;
    const credentials = (party: Party) => [...ROLES.map((role) => party.as(role)), party.bearer];

    it("refuses all of its credentials with 401 while B's keep working, until turned on", async () => {
      // Used just before: cached by the key service.
      for (const headers of [...credentials(A), ...credentials(B)]) {
        await gqlAs(headers, `{ viewer { role } }`);
      }
      const off = await gqlAs(platform, UPDATE, { id: A.accountId, active: false });
      expect(off).toEqual({ updateAccount: { code: A.code, active: false } });
      try {
        for (const headers of credentials(A)) {
          const response = await server.gql(`{ viewer { role } }`, undefined, headers);
          expect(response.status).toBe(401);
          expectError(response, "UNAUTHENTICATED");
        }
        for (const headers of credentials(B)) {
          const response = await server.gql(`{ viewer { account { code } } }`, undefined, headers);
          expect(response.status).toBe(200);
          expect(response.data).toEqual({ viewer: { account: { code: B.code } } });
        }
      } finally {
        await gqlAs(platform, UPDATE, { id: A.accountId, active: true });
      }
      for (const headers of credentials(A)) {
        const { viewer } = await gqlAs(headers, `{ viewer { account { code } } }`);
        expect(viewer).toEqual({ account: { code: A.code } });
      }
    });
  });

  describe("at the same moment in both accounts", () => {
    it("creates the same new codes and external ids in both", async () => {
      for (let round = 1; round <= 5; round += 1) {
        const code = `race_code_${round}`;
        const answers = await Promise.all(
          [A, B].flatMap((party) => [
            server.gql(
              CREATE_CALL_STATUS,
              { input: { code, title: `Race ${round}` } },
              party.as("ADMIN"),
            ),
            server.gql(
              CREATE_LEAD_STATUS,
              { input: { code, title: `Race ${round}`, category: "IN_PROGRESS" } },
              party.as("ADMIN"),
            ),
            server.gql(CREATE_LEAD, { input: { externalId: `race-${round}` } }, party.as("SYSTEM")),
          ]),
        );
        for (const answer of answers) expect(answer.errors).toBeUndefined();
        const [aCall, aLeadStatus, aLead, bCall, bLeadStatus, bLead] = answers.map(
          (answer) => Object.values(answer.data!)[0] as { id: string },
        );
        expect(aCall.id).not.toBe(bCall.id);
        expect(aLeadStatus.id).not.toBe(bLeadStatus.id);
        expect(aLead.id).not.toBe(bLead.id);
        for (const [party, call, leadStatus] of [
          [A, aCall, aLeadStatus],
          [B, bCall, bLeadStatus],
        ] as const) {
          const data = await gqlAs(
            party.as("ADMIN"),
            `query($code: String!) { callStatus(code: $code) { id } leadStatus(code: $code) { id } }`,
            { code },
          );
          expect(data).toEqual({ callStatus: { id: call.id }, leadStatus: { id: leadStatus.id } });
        }
      }
    });

    it("records two calls for the same idempotency key", async () => {
      for (let round = 1; round <= 5; round += 1) {
        for (const [aHeaders, bHeaders] of [
          [A.bearer, B.bearer], // the same actor id in both
          [A.as("SYSTEM"), B.as("SYSTEM")],
        ]) {
          const key = `race-key-${round}-${aHeaders === A.bearer ? "token" : "key"}`;
          const [a, b] = await Promise.all(
            [
              [aHeaders, A.leadIds[0]],
              [bHeaders, B.leadIds[0]],
            ].map(([headers, leadId]) =>
              server.gql<Recorded>(
                RECORD,
                { input: { leadId, callStatusCode: "shared_code", idempotencyKey: key } },
                headers as Record<string, string>,
              ),
            ),
          );
          expect(a.errors).toBeUndefined();
          expect(b.errors).toBeUndefined();
          const aCall = a.data!.recordCallResult;
          const bCall = b.data!.recordCallResult;
          expect(aCall.call.id).not.toBe(bCall.call.id);
          expect(aCall.lead.id).toBe(A.leadIds[0]);
          expect(bCall.lead.id).toBe(B.leadIds[0]);
          expect(aCall.call.status?.id).toBe(A.callStatusIds.get("shared_code"));
          expect(bCall.call.status?.id).toBe(B.callStatusIds.get("shared_code"));
        }
      }
    });
  });
});
