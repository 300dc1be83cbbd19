/**
 * The AI-agent interface (issue 7) over HTTP, on every database: the outcome tool
 * (`callOutcomeTool`) as a JSON Schema 2020-12 in each vendor shape and its revision,
 * `recordAiCallResult`, and the `configurationWarnings` lints.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import {
  describeEachDatabase,
  expectError,
  type GraphQLResponse,
  type TestServer,
} from "../support/harness";

type RoleName = "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT";
type Format = "OPENAI" | "ANTHROPIC" | "JSON_SCHEMA";
const FORMATS: Format[] = ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"];
const DIALECT = "https://json-schema.org/draft/2020-12/schema";
const TOOL_NAME = "record_call_outcome";

type Json = Record<string, unknown>;

interface ToolData {
  name: string;
  description: string;
  parameters: Json;
  definition: Json;
  revision: string;
  allowedCodes: string[];
}

interface CallData {
  id: string;
  comment: string | null;
  nextCallAt: string | null;
  afterCallTransfer: boolean;
  recordedByRole: string;
  recordedBy: string;
  status: { code: string };
}

interface AiResultData {
  leadStatusChanged: boolean;
  lead: { id: string; status: { code: string }; version: number };
  call: CallData;
}

interface WarningData {
  kind: string;
  message: string;
  callStatusCodes: string[];
  audience: string | null;
}

const TOOL = `query($format: ToolFormat!, $afterCallTransfer: Boolean, $audience: Audience) {
  callOutcomeTool(format: $format, afterCallTransfer: $afterCallTransfer, audience: $audience) {
    name description parameters definition revision allowedCodes
  }
}`;
const RECORD_AI = `mutation($input: RecordAiCallResultInput!) {
  recordAiCallResult(input: $input) {
    leadStatusChanged
    lead { id status { code } version }
    call { id comment nextCallAt afterCallTransfer recordedByRole recordedBy status { code } }
  }
}`;
const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id } }
}`;
const WARNINGS = `{ configurationWarnings { kind message callStatusCodes audience } }`;
const CALLS_OF_LEAD = `query($leadId: ID!) {
  calls(filter: { leadId: $leadId }, first: 100) { totalCount edges { node { id status { code } } } }
}`;

const inOneDay = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();
const anHourAgo = () => new Date(Date.now() - 3600 * 1000).toISOString();

/** An ajv for draft 2020-12 with formats (strict mode objects to `title` in `oneOf` branches). */
function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/** The arguments schema inside a definition of `format`. */
function schemaOf(format: Format, definition: Json): Json {
  switch (format) {
    case "OPENAI":
      return (definition.function as Json).parameters as Json;
    case "ANTHROPIC":
      return definition.input_schema as Json;
    case "JSON_SCHEMA":
      return definition;
  }
}

/** Asserts that `schema` is a valid draft 2020-12 schema, and compiles it. */
function compileChecked(schema: Json): ValidateFunction {
  const ajv = newAjv();
  const valid = ajv.validateSchema(schema);
  expect(ajv.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  return ajv.compile(schema);
}

/** The schema without the keys the JSON_SCHEMA shape adds around the arguments schema. */
function withoutEnvelope(schema: Json): Json {
  const rest = { ...schema };
  delete rest.$schema;
  delete rest.title;
  delete rest.description;
  return rest;
}

/** Test helpers bound to one server: keys per role, leads, statuses, the tool, recording. */
function helpers(server: TestServer) {
  const keys = {} as Record<RoleName, string>;
  const callStatusIds = new Map<string, string>();
  let leadCounter = 0;

  const as = <T = Json>(role: RoleName, query: string, variables?: Json) =>
    server.gql<T>(query, variables, { "x-api-key": keys[role] });

  async function okAs<T = Json>(role: RoleName, query: string, variables?: Json): Promise<T> {
    const response = await as<T>(role, query, variables);
    if (response.errors?.length || !response.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
    }
    return response.data;
  }

  return {
    keys,
    as,
    async createKeys() {
      keys.ADMIN = server.adminKey;
      for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const) {
        keys[role] = await server.createKey(role);
      }
    },
    async createLead(): Promise<{ id: string; status: { code: string }; version: number }> {
      leadCounter += 1;
      const data = await server.ok<{
        createLead: { id: string; status: { code: string }; version: number };
      }>(
        `mutation($input: CreateLeadInput!) { createLead(input: $input) { id status { code } version } }`,
        { input: { name: `AI test lead ${leadCounter}` } },
      );
      return data.createLead;
    },
    async leadOf(id: string): Promise<{ status: { code: string }; version: number }> {
      const data = await server.ok<{ lead: { status: { code: string }; version: number } }>(
        `query($id: ID!) { lead(id: $id) { status { code } version } }`,
        { id },
      );
      return data.lead;
    },
    async callsOf(leadId: string): Promise<Array<{ id: string; status: { code: string } }>> {
      const data = await server.ok<{
        calls: {
          totalCount: number;
          edges: Array<{ node: { id: string; status: { code: string } } }>;
        };
      }>(CALLS_OF_LEAD, { leadId });
      expect(data.calls.totalCount).toBe(data.calls.edges.length);
      return data.calls.edges.map((e) => e.node);
    },
    async createCallStatus(input: Json): Promise<void> {
      const data = await server.ok<{ createCallStatus: { id: string; code: string } }>(
        `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id code } }`,
        { input },
      );
      callStatusIds.set(data.createCallStatus.code, data.createCallStatus.id);
    },
    async updateCallStatus(code: string, input: Json): Promise<void> {
      let id = callStatusIds.get(code);
      if (!id) {
        const found = await server.ok<{ callStatus: { id: string } }>(
          `query($code: String!) { callStatus(code: $code) { id } }`,
          { code },
        );
        id = found.callStatus.id;
        callStatusIds.set(code, id);
      }
      await server.ok(
        `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
        { id, input },
      );
    },
    async updateLeadStatus(code: string, input: Json): Promise<void> {
      const found = await server.ok<{ leadStatus: { id: string } }>(
        `query($code: String!) { leadStatus(code: $code) { id } }`,
        { code },
      );
      await server.ok(
        `mutation($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { id } }`,
        { id: found.leadStatus.id, input },
      );
    },
    toolAs(role: RoleName, format: Format, args: Json = {}) {
      return as<{ callOutcomeTool: ToolData }>(role, TOOL, { format, ...args });
    },
    async tool(format: Format = "JSON_SCHEMA", args: Json = {}, role: RoleName = "AI_AGENT") {
      return (await okAs<{ callOutcomeTool: ToolData }>(role, TOOL, { format, ...args }))
        .callOutcomeTool;
    },
    async revision(): Promise<string> {
      return (
        await okAs<{ callOutcomeTool: ToolData }>("AI_AGENT", TOOL, { format: "JSON_SCHEMA" })
      ).callOutcomeTool.revision;
    },
    recordAi(input: Json, role: RoleName = "AI_AGENT") {
      return as<{ recordAiCallResult: AiResultData }>(role, RECORD_AI, { input });
    },
    async recordAiOk(input: Json, role: RoleName = "AI_AGENT"): Promise<AiResultData> {
      return (await okAs<{ recordAiCallResult: AiResultData }>(role, RECORD_AI, { input }))
        .recordAiCallResult;
    },
    async warnings(): Promise<WarningData[]> {
      return (await server.ok<{ configurationWarnings: WarningData[] }>(WARNINGS))
        .configurationWarnings;
    },
  };
}

/** The details every refused `recordAiCallResult` carries. */
function expectArgumentsError(
  response: GraphQLResponse,
  field: string,
  expected: { allowedCodes: string[]; revision: string; staleRevision: boolean },
) {
  const error = expectError(response, "BAD_USER_INPUT", field);
  expect(error.extensions?.allowedCodes).toEqual(expected.allowedCodes);
  expect(error.extensions?.revision).toBe(expected.revision);
  expect(error.extensions?.staleRevision).toBe(expected.staleRevision);
  expect(response.data ?? null).toBeNull();
  return error;
}

// -------------------------------------------------------------------------------------------------
// The statuses the tool tests work with, besides the seven seeded ones.

const AI_CALLBACK = {
  code: "ai_callback",
  title: "Call back later",
  description: "The lead asked to be called again at another time.",
  planningTimeRequired: true,
  leadStatusCode: "in_progress",
  agentVisibility: "NEVER",
  showToAiAgents: true,
};
const AI_NOTE = {
  code: "ai_note",
  title: "Перезвонить по просьбе",
  description: "Собеседник просил перезвонить; кратко опишите разговор.",
  commentRequired: true,
  agentVisibility: "NEVER",
  showToAiAgents: true,
};
const AGENT_ONLY = {
  code: "agent_secret",
  title: "Agent-only outcome XYZZY",
  description: "Only for humans PLUGH",
  commentRequired: true,
  planningTimeRequired: true,
  leadStatusCode: "in_progress",
  agentVisibility: "ALWAYS",
  showToAiAgents: false,
};
const TRANSFER_ONLY = {
  code: "transfer_wrapup",
  title: "Transferred wrap-up",
  description: "Offered after a transfer",
  commentRequired: true,
  agentVisibility: "AFTER_CALL_TRANSFER",
  showToAiAgents: false,
};
const HIDDEN = {
  code: "hidden_outcome",
  title: "Hidden outcome FROBOZZ",
  description: "Nobody chooses this GRUE",
  commentRequired: true,
  planningTimeRequired: true,
  agentVisibility: "NEVER",
  showToAiAgents: false,
};

const AI_CODES = ["qualified", "disqualified", "ai_callback", "ai_note"];
const AGENT_CODES = ["qualified", "disqualified", "agent_secret"];
const AGENT_TRANSFER_CODES = ["qualified", "disqualified", "agent_secret", "transfer_wrapup"];

/** Argument sets, what the AI tool says of them, and the field a refusal names. */
const FUTURE = "2099-05-01T10:00:00+02:00";
const VALID_ARGUMENTS: Array<[string, () => Json]> = [
  ["a code with no rule", () => ({ callStatusCode: "qualified" })],
  ["a code with no rule and a comment", () => ({ callStatusCode: "disqualified", comment: "No" })],
  ["a comment where one is required", () => ({ callStatusCode: "ai_note", comment: "Позже" })],
  [
    "a next call time where one is required",
    () => ({ callStatusCode: "ai_callback", nextCallAt: inOneDay() }),
  ],
  [
    "a next call time with an offset and a comment",
    () => ({ callStatusCode: "ai_callback", nextCallAt: FUTURE, comment: "Tuesday" }),
  ],
];
const INVALID_ARGUMENTS: Array<[string, () => unknown, string]> = [
  ["an unknown code", () => ({ callStatusCode: "no_such_outcome" }), "arguments.callStatusCode"],
  ["a hidden system code", () => ({ callStatusCode: "voicemail" }), "arguments.callStatusCode"],
  [
    "a hidden custom code",
    () => ({ callStatusCode: "hidden_outcome" }),
    "arguments.callStatusCode",
  ],
  [
    "an agent-only code",
    () => ({ callStatusCode: "agent_secret", comment: "x", nextCallAt: FUTURE }),
    "arguments.callStatusCode",
  ],
  ["a code that is not a string", () => ({ callStatusCode: 42 }), "arguments.callStatusCode"],
  ["no code", () => ({ comment: "Hello" }), "arguments.callStatusCode"],
  ["a missing required comment", () => ({ callStatusCode: "ai_note" }), "arguments.comment"],
  [
    "a blank required comment",
    () => ({ callStatusCode: "ai_note", comment: " \t\n " }),
    "arguments.comment",
  ],
  [
    "a comment that is too long",
    () => ({ callStatusCode: "qualified", comment: "x".repeat(2001) }),
    "arguments.comment",
  ],
  [
    "a missing required next call time",
    () => ({ callStatusCode: "ai_callback", comment: "x" }),
    "arguments.nextCallAt",
  ],
  [
    "a next call time that is no date-time",
    () => ({ callStatusCode: "ai_callback", nextCallAt: "tomorrow at ten" }),
    "arguments.nextCallAt",
  ],
  [
    "a next call time without a time zone",
    () => ({ callStatusCode: "ai_callback", nextCallAt: "2099-05-01T10:00:00" }),
    "arguments.nextCallAt",
  ],
  [
    "an impossible date",
    () => ({ callStatusCode: "ai_callback", nextCallAt: "2099-02-30T10:00:00Z" }),
    "arguments.nextCallAt",
  ],
  ["an extra property", () => ({ callStatusCode: "qualified", mood: "happy" }), "arguments.mood"],
  ["an array", () => [{ callStatusCode: "qualified" }], "arguments"],
];

describeEachDatabase("callOutcomeTool", (server) => {
  const h = helpers(server);

  beforeAll(async () => {
    await h.createKeys();
    for (const input of [AI_CALLBACK, AI_NOTE, AGENT_ONLY, TRANSFER_ONLY, HIDDEN]) {
      await h.createCallStatus(input);
    }
  });

  describe.each(FORMATS)("format %s", (format) => {
    it("has the vendor's shape around the same name, description and parameters", async () => {
      const tool = await h.tool(format);
      expect(tool.name).toBe(TOOL_NAME);
      expect(tool.description.length).toBeGreaterThan(20);
      expect(tool.parameters.$schema).toBe(DIALECT);
      const parameters = withoutEnvelope(tool.parameters);
      switch (format) {
        case "OPENAI":
          expect(Object.keys(tool.definition).sort()).toEqual(["function", "type"]);
          expect(tool.definition.type).toBe("function");
          expect(Object.keys(tool.definition.function as Json).sort()).toEqual([
            "description",
            "name",
            "parameters",
          ]);
          expect((tool.definition.function as Json).name).toBe(TOOL_NAME);
          expect((tool.definition.function as Json).description).toBe(tool.description);
          break;
        case "ANTHROPIC":
          expect(Object.keys(tool.definition).sort()).toEqual([
            "description",
            "input_schema",
            "name",
          ]);
          expect(tool.definition.name).toBe(TOOL_NAME);
          expect(tool.definition.description).toBe(tool.description);
          break;
        case "JSON_SCHEMA":
          expect(tool.definition.$schema).toBe(DIALECT);
          expect(tool.definition.title).toBe(TOOL_NAME);
          expect(tool.definition.description).toBe(tool.description);
          break;
      }
      expect(withoutEnvelope(schemaOf(format, tool.definition))).toEqual(parameters);
    });

    it("emits a valid JSON Schema 2020-12 (meta-schema and compilation)", async () => {
      const tool = await h.tool(format);
      compileChecked(schemaOf(format, tool.definition));
      compileChecked(tool.parameters);
    });

    it("allows exactly the AI-visible codes, in list order, each with its title and description", async () => {
      const tool = await h.tool(format);
      expect(tool.allowedCodes).toEqual(AI_CODES);
      const schema = schemaOf(format, tool.definition);
      expect(schema.type).toBe("object");
      expect(schema.required).toEqual(["callStatusCode"]);
      expect(schema.additionalProperties).toBe(false);
      const properties = schema.properties as Record<string, Json>;
      expect(Object.keys(properties).sort()).toEqual(["callStatusCode", "comment", "nextCallAt"]);
      const code = properties.callStatusCode;
      expect(code.enum).toEqual(AI_CODES);
      const statuses = await server.ok<{
        callStatuses: Array<{ code: string; title: string; description: string | null }>;
      }>(`{ callStatuses(filter: { visibleTo: AI_AGENT }) { code title description } }`);
      expect(code.oneOf).toEqual(
        statuses.callStatuses.map((s) => ({
          const: s.code,
          title: s.title,
          ...(s.description ? { description: s.description } : {}),
        })),
      );
      expect((code.oneOf as Json[]).map((branch) => branch.const)).toEqual(AI_CODES);
      expect(code.oneOf).toContainEqual({
        const: "ai_note",
        title: AI_NOTE.title,
        description: AI_NOTE.description,
      });
      expect(properties.nextCallAt).toMatchObject({ type: "string", format: "date-time" });
      expect(properties.comment).toMatchObject({ type: "string" });
    });

    it("encodes the rules as if/then branches in allOf", async () => {
      const schema = schemaOf(format, (await h.tool(format)).definition);
      const rules = schema.allOf as Array<{ if: Json; then: { required: string[] } }>;
      expect(Array.isArray(rules)).toBe(true);
      const requiredFor = (property: string) =>
        rules
          .filter((rule) => rule.then.required?.includes(property))
          .flatMap(
            (rule) =>
              ((rule.if.properties as Record<string, Json>).callStatusCode.enum as string[]) ?? [],
          );
      expect(requiredFor("comment")).toEqual(["ai_note"]);
      expect(requiredFor("nextCallAt")).toEqual(["ai_callback"]);
    });

    it.each(VALID_ARGUMENTS)("accepts %s", async (_what, args) => {
      const validate = compileChecked(schemaOf(format, (await h.tool(format)).definition));
      expect(validate.errors ?? null).toBeNull();
      expect(validate(args())).toBe(true);
    });

    it.each(INVALID_ARGUMENTS)("rejects %s", async (_what, args) => {
      const validate = compileChecked(schemaOf(format, (await h.tool(format)).definition));
      expect(validate(args())).toBe(false);
    });
  });

  it("gives the three formats the same parameters, revision and allowed codes", async () => {
    const tools = await Promise.all(FORMATS.map((format) => h.tool(format)));
    const [first, ...others] = tools;
    expect(first.revision).toMatch(/^\S{8,}$/);
    for (const other of others) {
      expect(other.revision).toBe(first.revision);
      expect(other.parameters).toEqual(first.parameters);
      expect(other.allowedCodes).toEqual(first.allowedCodes);
      expect(other.name).toBe(first.name);
      expect(other.description).toBe(first.description);
    }
    const schemas = FORMATS.map((format, i) =>
      withoutEnvelope(schemaOf(format, tools[i].definition)),
    );
    expect(schemas[1]).toEqual(schemas[0]);
    expect(schemas[2]).toEqual(schemas[0]);
  });

  it("never shows hidden, agent-only or transfer-only statuses, not even in texts", async () => {
    for (const format of FORMATS) {
      const tool = await h.tool(format);
      const text = JSON.stringify(tool);
      for (const code of [
        "voicemail",
        "call_terminated",
        "not_accepted_by_operator",
        "post_processing_not_completed",
        "missed_by_system",
        AGENT_ONLY.code,
        TRANSFER_ONLY.code,
        HIDDEN.code,
      ]) {
        expect(text).not.toContain(code);
      }
      for (const words of ["Voicemail", "XYZZY", "PLUGH", "FROBOZZ", "GRUE", "Transferred"]) {
        expect(text).not.toContain(words);
      }
    }
  });

  it("names in the property descriptions only the AI-visible statuses a rule applies to", async () => {
    const schema = (await h.tool("JSON_SCHEMA")).parameters;
    const properties = schema.properties as Record<string, Json>;
    expect(properties.comment.description).toContain("ai_note");
    expect(properties.nextCallAt.description).toContain("ai_callback");
  });

  describe("roles", () => {
    it.each(["SYSTEM", "AGENT"] as const)("refuses the %s role as FORBIDDEN", async (role) => {
      for (const format of FORMATS) {
        const response = await h.toolAs(role, format);
        expectError(response, "FORBIDDEN");
        expect(response.data ?? null).toBeNull();
      }
    });

    it("refuses a request without a credential", async () => {
      const response = await server.gql(TOOL, { format: "OPENAI" }, { "x-api-key": "" });
      expectError(response, "UNAUTHENTICATED");
    });

    it("refuses an AI agent asking for the agents' tool as FORBIDDEN", async () => {
      expectError(await h.toolAs("AI_AGENT", "OPENAI", { audience: "AGENT" }), "FORBIDDEN");
      expectError(
        await h.toolAs("AI_AGENT", "JSON_SCHEMA", { audience: "AGENT", afterCallTransfer: true }),
        "FORBIDDEN",
      );
    });

    it("gives an AI agent its own tool when it names its audience or a transfer", async () => {
      const own = await h.tool("OPENAI");
      const named = await h.tool("OPENAI", { audience: "AI_AGENT" });
      const transfer = await h.tool("OPENAI", { afterCallTransfer: true });
      expect(named).toEqual(own);
      expect(transfer).toEqual(own);
    });

    it("gives ADMIN the AI agents' tool by default, with the same revision", async () => {
      for (const format of FORMATS) {
        const byAdmin = await h.tool(format, {}, "ADMIN");
        const byAdminNamed = await h.tool(format, { audience: "AI_AGENT" }, "ADMIN");
        const byAi = await h.tool(format);
        expect(byAdmin).toEqual(byAi);
        expect(byAdminNamed).toEqual(byAi);
      }
    });

    it("previews the agents' tool for ADMIN: agent-visible statuses and their rules", async () => {
      const preview = await h.tool("JSON_SCHEMA", { audience: "AGENT" }, "ADMIN");
      expect(preview.allowedCodes).toEqual(AGENT_CODES);
      expect(preview.revision).not.toBe(await h.revision());
      const validate = compileChecked(preview.definition);
      expect(validate({ callStatusCode: "agent_secret", comment: "x", nextCallAt: FUTURE })).toBe(
        true,
      );
      expect(validate({ callStatusCode: "agent_secret", nextCallAt: FUTURE })).toBe(false);
      expect(validate({ callStatusCode: "agent_secret", comment: "x" })).toBe(false);
      expect(validate({ callStatusCode: "ai_note", comment: "x" })).toBe(false);
      expect(validate({ callStatusCode: "transfer_wrapup", comment: "x" })).toBe(false);
      expect(JSON.stringify(preview)).not.toContain("ai_callback");
    });

    it("adds the AFTER_CALL_TRANSFER statuses to the ADMIN preview after a transfer", async () => {
      const plain = await h.tool(
        "OPENAI",
        { audience: "AGENT", afterCallTransfer: false },
        "ADMIN",
      );
      expect(plain.allowedCodes).toEqual(AGENT_CODES);
      const preview = await h.tool(
        "OPENAI",
        { audience: "AGENT", afterCallTransfer: true },
        "ADMIN",
      );
      expect(preview.allowedCodes).toEqual(AGENT_TRANSFER_CODES);
      expect(preview.revision).not.toBe(plain.revision);
      const validate = compileChecked(schemaOf("OPENAI", preview.definition));
      expect(validate({ callStatusCode: "transfer_wrapup", comment: "Transferred" })).toBe(true);
      expect(validate({ callStatusCode: "transfer_wrapup" })).toBe(false);
    });
  });
});

describeEachDatabase("callOutcomeTool revision", (server) => {
  const h = helpers(server);
  let initial: string;

  /** Asserts that every format's revision is `expected` (or differs from it). */
  async function expectRevision(matcher: (revision: string) => void) {
    const revisions = await Promise.all(FORMATS.map(async (f) => (await h.tool(f)).revision));
    expect(new Set(revisions).size).toBe(1);
    matcher(revisions[0]);
    return revisions[0];
  }

  beforeAll(async () => {
    await h.createKeys();
    for (const input of [
      { ...AI_CALLBACK },
      { ...AI_NOTE },
      { ...AGENT_ONLY },
      { ...TRANSFER_ONLY },
      { ...HIDDEN },
    ]) {
      await h.createCallStatus(input);
    }
    await h.createLead();
    initial = await h.revision();
  });

  it("is the same on identical reads, in every format and for ADMIN's AI preview", async () => {
    for (let i = 0; i < 3; i += 1) {
      await expectRevision((r) => expect(r).toBe(initial));
    }
    expect((await h.tool("ANTHROPIC", {}, "ADMIN")).revision).toBe(initial);
  });

  /**
   * Applies `change`, expects the revision to differ (`relevant`) or not, then applies `undo` and
   * expects the original revision back: the revision is a function of the content.
   */
  async function afterChange(
    relevant: boolean,
    change: () => Promise<void>,
    undo: () => Promise<void>,
  ) {
    const before = await h.revision();
    await change();
    const after = await expectRevision((r) =>
      relevant ? expect(r).not.toBe(before) : expect(r).toBe(before),
    );
    await undo();
    await expectRevision((r) => expect(r).toBe(before));
    return after;
  }

  describe("changes with a relevant change, and comes back when it is undone", () => {
    it("an AI-visible status's title", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("ai_callback", { title: "Call back another day" }),
        () => h.updateCallStatus("ai_callback", { title: AI_CALLBACK.title }),
      );
    });

    it("a seeded AI-visible status's title, by case only", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("qualified", { title: "QUALIFIED" }),
        () => h.updateCallStatus("qualified", { title: "Qualified" }),
      );
    });

    it("an AI-visible status's description", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("ai_note", { description: "Другое описание" }),
        () => h.updateCallStatus("ai_note", { description: AI_NOTE.description }),
      );
    });

    it("an AI-visible status's description removed", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("ai_note", { description: null }),
        () => h.updateCallStatus("ai_note", { description: AI_NOTE.description }),
      );
    });

    it("an AI-visible status's commentRequired", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("qualified", { commentRequired: true }),
        () => h.updateCallStatus("qualified", { commentRequired: false }),
      );
    });

    it("an AI-visible status's planningTimeRequired", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("ai_note", { planningTimeRequired: true }),
        () => h.updateCallStatus("ai_note", { planningTimeRequired: false }),
      );
    });

    it("a status becoming AI-visible", async () => {
      const after = await afterChange(
        true,
        () => h.updateCallStatus("agent_secret", { showToAiAgents: true }),
        () => h.updateCallStatus("agent_secret", { showToAiAgents: false }),
      );
      expect(after).not.toBe(initial);
    });

    it("an AI-visible status hidden from AI agents", async () => {
      await afterChange(
        true,
        () => h.updateCallStatus("disqualified", { showToAiAgents: false }),
        () => h.updateCallStatus("disqualified", { showToAiAgents: true }),
      );
    });

    it("the order of the AI-visible statuses", async () => {
      const sortOf = async (code: string) =>
        (
          await server.ok<{ callStatus: { sort: number } }>(
            `query($code: String!) { callStatus(code: $code) { sort } }`,
            { code },
          )
        ).callStatus.sort;
      const original = await sortOf("ai_note");
      const first = await sortOf("qualified");
      await afterChange(
        true,
        async () => {
          await h.updateCallStatus("ai_note", { sort: first - 1 });
          expect((await h.tool()).allowedCodes[0]).toBe("ai_note");
        },
        () => h.updateCallStatus("ai_note", { sort: original }),
      );
    });
  });

  describe("stays the same after an irrelevant change", () => {
    it("an agent-only status's title, description, rules and link", async () => {
      await afterChange(
        false,
        () =>
          h.updateCallStatus("agent_secret", {
            title: "Agent-only renamed",
            description: "Another text",
            commentRequired: false,
            planningTimeRequired: false,
            leadStatusCode: "qualified",
          }),
        () =>
          h.updateCallStatus("agent_secret", {
            title: AGENT_ONLY.title,
            description: AGENT_ONLY.description,
            commentRequired: true,
            planningTimeRequired: true,
            leadStatusCode: "in_progress",
          }),
      );
    });

    it("a hidden status's title and agent visibility", async () => {
      await afterChange(
        false,
        () =>
          h.updateCallStatus("hidden_outcome", {
            title: "Still hidden",
            agentVisibility: "ALWAYS",
          }),
        () =>
          h.updateCallStatus("hidden_outcome", { title: HIDDEN.title, agentVisibility: "NEVER" }),
      );
    });

    it("a lead status's colour and title", async () => {
      const original = (
        await server.ok<{ leadStatus: { color: string; title: string } }>(
          `{ leadStatus(code: "in_progress") { color title } }`,
        )
      ).leadStatus;
      await afterChange(
        false,
        () => h.updateLeadStatus("in_progress", { color: "#123456", title: "Working on it" }),
        () => h.updateLeadStatus("in_progress", original),
      );
    });

    it("an AI-visible status's agent visibility", async () => {
      await afterChange(
        false,
        () => h.updateCallStatus("ai_callback", { agentVisibility: "ALWAYS" }),
        () => h.updateCallStatus("ai_callback", { agentVisibility: "NEVER" }),
      );
    });

    it("a sort change that keeps the AI-visible order", async () => {
      const original = (
        await server.ok<{ callStatus: { sort: number } }>(
          `{ callStatus(code: "agent_secret") { sort } }`,
        )
      ).callStatus.sort;
      await afterChange(
        false,
        () => h.updateCallStatus("agent_secret", { sort: -5 }),
        () => h.updateCallStatus("agent_secret", { sort: original }),
      );
    });

    it("an update that writes the same values (a new version, the same content)", async () => {
      await afterChange(
        false,
        () =>
          h.updateCallStatus("ai_callback", {
            title: AI_CALLBACK.title,
            description: AI_CALLBACK.description,
            commentRequired: false,
          }),
        async () => undefined,
      );
    });

    it("recording calls", async () => {
      const lead = await h.createLead();
      await afterChange(
        false,
        async () => {
          await h.recordAiOk({ leadId: lead.id, arguments: { callStatusCode: "qualified" } });
        },
        async () => undefined,
      );
    });
  });

  it("ends where it started after every change was undone", async () => {
    expect(await h.revision()).toBe(initial);
  });
});

describeEachDatabase("recordAiCallResult", (server) => {
  const h = helpers(server);
  let aiActorId: string;

  beforeAll(async () => {
    await h.createKeys();
    for (const input of [AI_CALLBACK, AI_NOTE, AGENT_ONLY, TRANSFER_ONLY, HIDDEN]) {
      await h.createCallStatus(input);
    }
    // Statuses this block hides or changes on the way (restored by each test).
    await h.createCallStatus({
      code: "ai_temp",
      title: "Temporary AI outcome",
      description: "Used while the settings change",
      showToAiAgents: true,
      agentVisibility: "NEVER",
      leadStatusCode: "qualified",
    });
    const viewer = await h.as<{ viewer: { actorId: string } }>(
      "AI_AGENT",
      `{ viewer { actorId } }`,
    );
    aiActorId = viewer.data!.viewer.actorId;
  });

  const allowed = [...AI_CODES, "ai_temp"];

  it("records arguments given as an object, moving the lead, as the AI agent", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: { callStatusCode: "qualified", comment: "  Wants the offer  " },
      revision: await h.revision(),
    });
    expect(result.leadStatusChanged).toBe(true);
    expect(result.lead).toMatchObject({ id: lead.id, status: { code: "qualified" } });
    expect(result.call).toMatchObject({
      comment: "Wants the offer",
      nextCallAt: null,
      afterCallTransfer: false,
      recordedByRole: "AI_AGENT",
      recordedBy: aiActorId,
      status: { code: "qualified" },
    });
    expect((await h.leadOf(lead.id)).status.code).toBe("qualified");
    expect(await h.callsOf(lead.id)).toEqual([
      { id: result.call.id, status: { code: "qualified" } },
    ]);
  });

  it("records arguments given as JSON text (as OpenAI returns them)", async () => {
    const lead = await h.createLead();
    const nextCallAt = new Date(Date.now() + 3 * 24 * 3600 * 1000 + 123);
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: JSON.stringify({
        callStatusCode: "ai_callback",
        nextCallAt: nextCallAt.toISOString(),
        comment: "Call on Thursday",
      }),
    });
    expect(result.call.status.code).toBe("ai_callback");
    expect(result.call.comment).toBe("Call on Thursday");
    expect(new Date(result.call.nextCallAt!).getTime()).toBe(
      Math.floor(nextCallAt.getTime() / 1000) * 1000,
    );
    expect(result.lead.status.code).toBe("in_progress");
    expect((await h.leadOf(lead.id)).status.code).toBe("in_progress");
  });

  it("records a JSON text with surrounding white space and a next call time with an offset", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({
      leadId: lead.id,
      arguments: `\n  {"callStatusCode": "ai_callback", "nextCallAt": "${FUTURE}"}  \n`,
    });
    expect(new Date(result.call.nextCallAt!).toISOString()).toBe("2099-05-01T08:00:00.000Z");
  });

  it("lets ADMIN record through the AI tool too", async () => {
    const lead = await h.createLead();
    const result = await h.recordAiOk(
      { leadId: lead.id, arguments: { callStatusCode: "disqualified" } },
      "ADMIN",
    );
    expect(result.call.recordedByRole).toBe("ADMIN");
    expect(result.lead.status.code).toBe("disqualified");
  });

  it.each(VALID_ARGUMENTS)("records %s", async (_what, args) => {
    const lead = await h.createLead();
    const result = await h.recordAiOk({ leadId: lead.id, arguments: args() });
    expect(result.call.status.code).toBe((args() as { callStatusCode: string }).callStatusCode);
    expect(await h.callsOf(lead.id)).toHaveLength(1);
  });

  it.each(INVALID_ARGUMENTS)(
    "refuses %s as BAD_USER_INPUT naming the argument, listing the allowed codes",
    async (_what, args, field) => {
      const lead = await h.createLead();
      const revision = await h.revision();
      for (const form of [args(), JSON.stringify(args())]) {
        for (const given of [revision, null]) {
          const response = await h.recordAi({ leadId: lead.id, arguments: form, revision: given });
          const error = expectArgumentsError(response, field, {
            allowedCodes: allowed,
            revision,
            staleRevision: false,
          });
          expect(error.message).toContain("qualified");
        }
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
      expect((await h.leadOf(lead.id)).version).toBe(lead.version);
    },
  );

  it("refuses JSON text that does not parse as BAD_USER_INPUT naming arguments", async () => {
    const lead = await h.createLead();
    const revision = await h.revision();
    for (const text of ['{"callStatusCode": "qualified"', "callStatusCode=qualified", ""]) {
      const response = await h.recordAi({ leadId: lead.id, arguments: text });
      expectArgumentsError(response, "arguments", {
        allowedCodes: allowed,
        revision,
        staleRevision: false,
      });
    }
    expect(await h.callsOf(lead.id)).toEqual([]);
  });

  it("refuses arguments that are not an object, as text or as a value", async () => {
    const lead = await h.createLead();
    for (const value of ["null", "42", '"qualified"', 42, "qualified", true]) {
      const response = await h.recordAi({ leadId: lead.id, arguments: value });
      expectError(response, "BAD_USER_INPUT", "arguments");
    }
    expect(await h.callsOf(lead.id)).toEqual([]);
  });

  describe("the rules of the call service", () => {
    it("refuses a next call time in the past, naming arguments.nextCallAt", async () => {
      const lead = await h.createLead();
      const revision = await h.revision();
      for (const code of ["ai_callback", "qualified"]) {
        const response = await h.recordAi({
          leadId: lead.id,
          arguments: { callStatusCode: code, nextCallAt: anHourAgo() },
        });
        expectArgumentsError(response, "arguments.nextCallAt", {
          allowedCodes: allowed,
          revision,
          staleRevision: false,
        });
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
    });

    it.each([
      ["a leap second", "2099-06-30T23:59:60Z"],
      ["an hour-only offset", "2099-05-01T10:00:00+02"],
    ])(
      "answers a next call time with %s with BAD_USER_INPUT or records it, never an internal error",
      async (_what, nextCallAt) => {
        const lead = await h.createLead();
        const response = await h.recordAi({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_callback", nextCallAt },
        });
        if (response.errors) {
          expectError(response, "BAD_USER_INPUT", "arguments.nextCallAt");
          expect(await h.callsOf(lead.id)).toEqual([]);
        } else {
          const stored = response.data!.recordAiCallResult.call.nextCallAt;
          expect(Number.isNaN(new Date(stored!).getTime())).toBe(false);
        }
      },
    );

    it("answers an unknown lead with NOT_FOUND and a malformed lead id with BAD_USER_INPUT", async () => {
      expectError(
        await h.recordAi({ leadId: "999999", arguments: { callStatusCode: "qualified" } }),
        "NOT_FOUND",
      );
      expectError(
        await h.recordAi({ leadId: "lead-1", arguments: { callStatusCode: "qualified" } }),
        "BAD_USER_INPUT",
        "leadId",
      );
    });
  });

  describe("stale revisions", () => {
    it("records with an old revision while the arguments still fit", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { title: "Temporary AI outcome, renamed" });
      try {
        const current = await h.revision();
        expect(current).not.toBe(old);
        const lead = await h.createLead();
        const result = await h.recordAiOk({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_temp" },
          revision: old,
        });
        expect(result.call.status.code).toBe("ai_temp");
        expect(result.lead.status.code).toBe("qualified");
      } finally {
        await h.updateCallStatus("ai_temp", { title: "Temporary AI outcome" });
      }
    });

    it("refuses a code hidden meanwhile, with the current codes and revision, staleRevision true", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { showToAiAgents: false });
      try {
        const current = await h.revision();
        expect(current).not.toBe(old);
        const lead = await h.createLead();
        for (const args of [{ callStatusCode: "ai_temp" }, '{"callStatusCode":"ai_temp"}']) {
          const response = await h.recordAi({ leadId: lead.id, arguments: args, revision: old });
          const error = expectArgumentsError(response, "arguments.callStatusCode", {
            allowedCodes: AI_CODES,
            revision: current,
            staleRevision: true,
          });
          expect(error.extensions?.allowedCodes).not.toContain("ai_temp");
        }
        // With the current revision, the same refusal is not stale.
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "ai_temp" },
            revision: current,
          }),
          "arguments.callStatusCode",
          { allowedCodes: AI_CODES, revision: current, staleRevision: false },
        );
        expect(await h.callsOf(lead.id)).toEqual([]);
      } finally {
        await h.updateCallStatus("ai_temp", { showToAiAgents: true });
      }
    });

    it("refuses arguments missing a comment that became required meanwhile", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { commentRequired: true });
      try {
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "ai_temp" },
            revision: old,
          }),
          "arguments.comment",
          { allowedCodes: allowed, revision: await h.revision(), staleRevision: true },
        );
        // …and records them once the comment is there, old revision or not.
        const result = await h.recordAiOk({
          leadId: lead.id,
          arguments: { callStatusCode: "ai_temp", comment: "Now with a comment" },
          revision: old,
        });
        expect(result.call.comment).toBe("Now with a comment");
      } finally {
        await h.updateCallStatus("ai_temp", { commentRequired: false });
      }
    });

    it("refuses arguments missing a next call time that became required meanwhile", async () => {
      const old = await h.revision();
      await h.updateCallStatus("ai_temp", { planningTimeRequired: true });
      try {
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({
            leadId: lead.id,
            arguments: '{"callStatusCode":"ai_temp"}',
            revision: old,
          }),
          "arguments.nextCallAt",
          { allowedCodes: allowed, revision: await h.revision(), staleRevision: true },
        );
      } finally {
        await h.updateCallStatus("ai_temp", { planningTimeRequired: false });
      }
    });

    it("says nothing of staleness for a revision the tool never had, when the arguments fit", async () => {
      const lead = await h.createLead();
      const result = await h.recordAiOk({
        leadId: lead.id,
        arguments: { callStatusCode: "qualified" },
        revision: "not-a-real-revision",
      });
      expect(result.call.status.code).toBe("qualified");
    });
  });

  describe("idempotency", () => {
    it("replays the same arguments under the same key, as object or as text", async () => {
      const lead = await h.createLead();
      const args = { callStatusCode: "ai_note", comment: "Просил перезвонить" };
      const input = { leadId: lead.id, idempotencyKey: "ai-retry-1" };
      const first = await h.recordAiOk({ ...input, arguments: args });
      const again = await h.recordAiOk({ ...input, arguments: args });
      const asText = await h.recordAiOk({ ...input, arguments: JSON.stringify(args) });
      expect(again.call).toEqual(first.call);
      expect(asText.call).toEqual(first.call);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
      expect((await h.leadOf(lead.id)).version).toBe(first.lead.version);
    });

    it("refuses the same key with other arguments as CONFLICT, writing nothing", async () => {
      const lead = await h.createLead();
      const input = { leadId: lead.id, idempotencyKey: "ai-conflict" };
      const first = await h.recordAiOk({ ...input, arguments: { callStatusCode: "qualified" } });
      for (const args of [
        { callStatusCode: "disqualified" },
        { callStatusCode: "qualified", comment: "other" },
      ]) {
        expectError(await h.recordAi({ ...input, arguments: args }), "CONFLICT", "idempotencyKey");
      }
      expect(await h.callsOf(lead.id)).toEqual([
        { id: first.call.id, status: { code: "qualified" } },
      ]);
      expect((await h.leadOf(lead.id)).status.code).toBe("qualified");
    });

    it("does not spend a key on refused arguments", async () => {
      const lead = await h.createLead();
      const input = { leadId: lead.id, idempotencyKey: "ai-fix-and-retry" };
      expectError(
        await h.recordAi({ ...input, arguments: { callStatusCode: "ai_note" } }),
        "BAD_USER_INPUT",
        "arguments.comment",
      );
      const fixed = await h.recordAiOk({
        ...input,
        arguments: { callStatusCode: "ai_note", comment: "Fixed" },
      });
      expect(fixed.call.comment).toBe("Fixed");
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("validates the key like recordCallResult", async () => {
      const lead = await h.createLead();
      for (const idempotencyKey of ["", "k".repeat(256)]) {
        expectError(
          await h.recordAi({
            leadId: lead.id,
            arguments: { callStatusCode: "qualified" },
            idempotencyKey,
          }),
          "BAD_USER_INPUT",
          "idempotencyKey",
        );
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
    });

    it("records once for concurrent identical requests with one key", async () => {
      const lead = await h.createLead();
      const input = {
        leadId: lead.id,
        arguments: '{"callStatusCode":"qualified","comment":"double click"}',
        idempotencyKey: "ai-concurrent",
      };
      const responses = await Promise.all(Array.from({ length: 6 }, () => h.recordAi(input)));
      for (const response of responses) expect(response.errors).toBeUndefined();
      const ids = new Set(responses.map((r) => r.data!.recordAiCallResult.call.id));
      expect(ids.size).toBe(1);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("shares the caller's keys with recordCallResult (one service)", async () => {
      const lead = await h.createLead();
      const first = await h.recordAiOk({
        leadId: lead.id,
        arguments: { callStatusCode: "qualified" },
        idempotencyKey: "ai-shared-key",
      });
      const viaPlain = await h.as<{ recordCallResult: { call: { id: string } } }>(
        "AI_AGENT",
        RECORD,
        {
          input: { leadId: lead.id, callStatusCode: "qualified", idempotencyKey: "ai-shared-key" },
        },
      );
      expect(viaPlain.errors).toBeUndefined();
      expect(viaPlain.data!.recordCallResult.call.id).toBe(first.call.id);
      expect(await h.callsOf(lead.id)).toHaveLength(1);
    });

    it("replays a retry after the tool changed meanwhile, instead of refusing it", async () => {
      // An orchestrator retries after a lost response; the settings changed in between. The call
      // was recorded: the retry must return it, not ask the model for another outcome.
      const lead = await h.createLead();
      const input = {
        leadId: lead.id,
        arguments: { callStatusCode: "ai_temp" },
        idempotencyKey: "ai-retry-after-change",
      };
      const first = await h.recordAiOk(input);
      await h.updateCallStatus("ai_temp", { showToAiAgents: false });
      try {
        const retry = await h.recordAi(input);
        expect(retry.errors).toBeUndefined();
        expect(retry.data?.recordAiCallResult.call.id).toBe(first.call.id);
        expect(await h.callsOf(lead.id)).toHaveLength(1);
      } finally {
        await h.updateCallStatus("ai_temp", { showToAiAgents: true });
      }
    });
  });

  describe("roles", () => {
    it.each(["SYSTEM", "AGENT"] as const)("refuses the %s role as FORBIDDEN", async (role) => {
      const lead = await h.createLead();
      for (const args of [{ callStatusCode: "qualified" }, '{"callStatusCode":"qualified"}']) {
        const response = await h.recordAi({ leadId: lead.id, arguments: args }, role);
        expectError(response, "FORBIDDEN");
        expect(response.data ?? null).toBeNull();
      }
      expect(await h.callsOf(lead.id)).toEqual([]);
      expect((await h.leadOf(lead.id)).status.code).toBe("new");
    });

    it("refuses a request without a credential", async () => {
      const lead = await h.createLead();
      const response = await server.gql(
        RECORD_AI,
        { input: { leadId: lead.id, arguments: { callStatusCode: "qualified" } } },
        { "x-api-key": "" },
      );
      expectError(response, "UNAUTHENTICATED");
      expect(await h.callsOf(lead.id)).toEqual([]);
    });
  });
});

describeEachDatabase("configurationWarnings", (server) => {
  const h = helpers(server);

  const ofKind = async (kind: string) => (await h.warnings()).filter((w) => w.kind === kind);

  beforeAll(async () => {
    await h.createKeys();
  });

  it("finds nothing in the seeded settings", async () => {
    expect(await h.warnings()).toEqual([]);
  });

  it.each(["SYSTEM", "AGENT", "AI_AGENT"] as const)(
    "refuses the %s role as FORBIDDEN",
    async (role) => {
      const response = await h.as(role, WARNINGS);
      expectError(response, "FORBIDDEN");
      expect(response.data ?? null).toBeNull();
    },
  );

  it("refuses a request without a credential", async () => {
    expectError(await server.gql(WARNINGS, undefined, { "x-api-key": "" }), "UNAUTHENTICATED");
  });

  describe("AI_STATUS_WITHOUT_DESCRIPTION", () => {
    beforeAll(async () => {
      await h.createCallStatus({
        code: "lint_ai_bare",
        title: "AI bare",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_ai_blank",
        title: "AI blank",
        description: "   ",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_agent_bare",
        title: "Agent bare",
        agentVisibility: "ALWAYS",
        showToAiAgents: false,
      });
    });

    it("names each AI-visible status without a (non-blank) description, and only those", async () => {
      const warnings = await ofKind("AI_STATUS_WITHOUT_DESCRIPTION");
      expect(warnings.map((w) => w.callStatusCodes)).toEqual([["lint_ai_bare"], ["lint_ai_blank"]]);
      for (const warning of warnings) {
        expect(warning.audience).toBe("AI_AGENT");
        expect(warning.message).toContain(warning.callStatusCodes[0]);
      }
    });

    it("goes away when a description is given or the status is hidden from AI agents", async () => {
      await h.updateCallStatus("lint_ai_bare", { description: "Now described" });
      await h.updateCallStatus("lint_ai_blank", { showToAiAgents: false });
      expect(await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).toEqual([]);
    });

    it("comes back when a seeded AI status loses its description", async () => {
      const original = (
        await server.ok<{ callStatus: { description: string } }>(
          `{ callStatus(code: "qualified") { description } }`,
        )
      ).callStatus.description;
      await h.updateCallStatus("qualified", { description: null });
      try {
        expect(
          (await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).map((w) => w.callStatusCodes),
        ).toEqual([["qualified"]]);
      } finally {
        await h.updateCallStatus("qualified", { description: original });
      }
      expect(await ofKind("AI_STATUS_WITHOUT_DESCRIPTION")).toEqual([]);
    });
  });

  describe("PLANNING_WITH_FINAL_LEAD_STATUS", () => {
    beforeAll(async () => {
      await server.ok(
        `mutation($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { id } }`,
        { input: { code: "lint_waiting", title: "Waiting", category: "IN_PROGRESS" } },
      );
      for (const [code, leadStatusCode] of [
        ["lint_plan_qualified", "qualified"],
        ["lint_plan_disqualified", "disqualified"],
        ["lint_plan_progress", "in_progress"],
        ["lint_plan_unlinked", null],
        ["lint_plan_custom", "lint_waiting"],
      ] as const) {
        await h.createCallStatus({
          code,
          title: code,
          description: "Planning lint",
          planningTimeRequired: true,
          leadStatusCode,
          agentVisibility: "NEVER",
          showToAiAgents: false,
        });
      }
      // Linked to a final lead status, but no planning: fine.
      await h.createCallStatus({
        code: "lint_final_no_plan",
        title: "Final without planning",
        leadStatusCode: "qualified",
        agentVisibility: "NEVER",
      });
    });

    it("names the planning statuses linked to a lead status outside IN_PROGRESS, whatever their visibility", async () => {
      const warnings = await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS");
      expect(warnings.map((w) => w.callStatusCodes)).toEqual([
        ["lint_plan_qualified"],
        ["lint_plan_disqualified"],
      ]);
      for (const warning of warnings) expect(warning.message.length).toBeGreaterThan(0);
    });

    it("follows a custom lead status's category", async () => {
      await h.updateLeadStatus("lint_waiting", { category: "QUALIFIED" });
      expect(
        (await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).map((w) => w.callStatusCodes),
      ).toEqual([["lint_plan_qualified"], ["lint_plan_disqualified"], ["lint_plan_custom"]]);
      await h.updateLeadStatus("lint_waiting", { category: "IN_PROGRESS" });
      expect(
        (await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).map((w) => w.callStatusCodes),
      ).toEqual([["lint_plan_qualified"], ["lint_plan_disqualified"]]);
    });

    it("goes away when the link or the planning rule is fixed", async () => {
      await h.updateCallStatus("lint_plan_qualified", { leadStatusCode: "in_progress" });
      await h.updateCallStatus("lint_plan_disqualified", { planningTimeRequired: false });
      expect(await ofKind("PLANNING_WITH_FINAL_LEAD_STATUS")).toEqual([]);
    });
  });

  describe("DUPLICATE_VISIBLE_TITLE", () => {
    beforeAll(async () => {
      // Same title as the seeded "Qualified", other case, AI-visible only.
      await h.createCallStatus({
        code: "lint_dup_ai",
        title: "qualified",
        description: "Duplicate for AI agents",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      // Cyrillic titles differing by case, both agent-visible (one after a transfer only).
      await h.createCallStatus({
        code: "lint_dup_agent_a",
        title: "Перезвонить",
        agentVisibility: "ALWAYS",
      });
      await h.createCallStatus({
        code: "lint_dup_agent_b",
        title: "ПЕРЕЗВОНИТЬ",
        agentVisibility: "AFTER_CALL_TRANSFER",
      });
      // Same title, but offered to different audiences, or to nobody: no warning.
      await h.createCallStatus({
        code: "lint_same_ai",
        title: "Split title",
        description: "AI side",
        showToAiAgents: true,
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({ code: "lint_same_agent", title: "Split title" });
      await h.createCallStatus({
        code: "lint_hidden_a",
        title: "Hidden twin",
        agentVisibility: "NEVER",
      });
      await h.createCallStatus({
        code: "lint_hidden_b",
        title: "Hidden twin",
        agentVisibility: "NEVER",
      });
    });

    it("names two statuses offered to one audience under one title, case-insensitively", async () => {
      const warnings = await ofKind("DUPLICATE_VISIBLE_TITLE");
      expect(
        warnings.map((w) => ({ audience: w.audience, codes: [...w.callStatusCodes].sort() })),
      ).toEqual(
        expect.arrayContaining([
          { audience: "AI_AGENT", codes: ["lint_dup_ai", "qualified"] },
          { audience: "AGENT", codes: ["lint_dup_agent_a", "lint_dup_agent_b"] },
        ]),
      );
      expect(warnings).toHaveLength(2);
      const text = JSON.stringify(warnings);
      for (const code of ["lint_same_ai", "lint_same_agent", "lint_hidden_a", "lint_hidden_b"]) {
        expect(text).not.toContain(code);
      }
    });

    it("goes away when the titles differ", async () => {
      await h.updateCallStatus("lint_dup_ai", { title: "Qualified by AI" });
      await h.updateCallStatus("lint_dup_agent_b", { title: "Перезвонить после перевода" });
      expect(await ofKind("DUPLICATE_VISIBLE_TITLE")).toEqual([]);
    });

    it("comes back when a status becomes visible to the audience of its twin", async () => {
      await h.updateCallStatus("lint_same_agent", { showToAiAgents: true });
      try {
        const warnings = await ofKind("DUPLICATE_VISIBLE_TITLE");
        expect(warnings.map((w) => [w.audience, [...w.callStatusCodes].sort()])).toEqual([
          ["AI_AGENT", ["lint_same_agent", "lint_same_ai"].sort()],
        ]);
      } finally {
        await h.updateCallStatus("lint_same_agent", { showToAiAgents: false });
      }
      expect(await ofKind("DUPLICATE_VISIBLE_TITLE")).toEqual([]);
    });
  });

  describe("EMPTY_AUDIENCE", () => {
    async function agentVisible(): Promise<Array<{ code: string; agentVisibility: string }>> {
      return (
        await server.ok<{ callStatuses: Array<{ code: string; agentVisibility: string }> }>(
          `{ callStatuses(filter: { visibleTo: AGENT, afterCallTransfer: true }) { code agentVisibility } }`,
        )
      ).callStatuses;
    }
    async function aiVisible(): Promise<string[]> {
      return (
        await server.ok<{ callStatuses: Array<{ code: string }> }>(
          `{ callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`,
        )
      ).callStatuses.map((s) => s.code);
    }

    it("finds none while each audience has a status", async () => {
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
    });

    it("names the AI agents when no status is open to them, and the tool then allows nothing", async () => {
      const codes = await aiVisible();
      expect(codes.length).toBeGreaterThan(0);
      const before = await h.revision();
      for (const code of codes) await h.updateCallStatus(code, { showToAiAgents: false });
      try {
        const warnings = await ofKind("EMPTY_AUDIENCE");
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ audience: "AI_AGENT", callStatusCodes: [] });
        expect(warnings[0].message.length).toBeGreaterThan(0);

        for (const format of FORMATS) {
          const tool = await h.tool(format);
          expect(tool.allowedCodes).toEqual([]);
          const validate = compileChecked(schemaOf(format, tool.definition));
          expect(validate({ callStatusCode: "qualified" })).toBe(false);
          expect(validate({ callStatusCode: "" })).toBe(false);
        }
        const lead = await h.createLead();
        expectArgumentsError(
          await h.recordAi({ leadId: lead.id, arguments: { callStatusCode: "qualified" } }),
          "arguments.callStatusCode",
          { allowedCodes: [], revision: await h.revision(), staleRevision: false },
        );
      } finally {
        for (const code of codes) await h.updateCallStatus(code, { showToAiAgents: true });
      }
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
      expect(await h.revision()).toBe(before);
    });

    it("names the agents when no status is open to them", async () => {
      const visible = await agentVisible();
      expect(visible.length).toBeGreaterThan(0);
      for (const s of visible) await h.updateCallStatus(s.code, { agentVisibility: "NEVER" });
      try {
        const warnings = await ofKind("EMPTY_AUDIENCE");
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ audience: "AGENT", callStatusCodes: [] });
        const preview = await h.tool("JSON_SCHEMA", { audience: "AGENT" }, "ADMIN");
        expect(preview.allowedCodes).toEqual([]);
        compileChecked(preview.definition);
      } finally {
        for (const s of visible) {
          await h.updateCallStatus(s.code, { agentVisibility: s.agentVisibility });
        }
      }
      expect(await ofKind("EMPTY_AUDIENCE")).toEqual([]);
    });
  });

  it("finds nothing once every problem is fixed", async () => {
    expect(await h.warnings()).toEqual([]);
  });
});

describeEachDatabase(
  "recordAiCallResult with an idempotency key and odd argument types",
  (server) => {
    it("answers BAD_USER_INPUT (never a 500) for arguments of the wrong types", async () => {
      const lead = await server.ok<{ createLead: { id: string } }>(
        `mutation { createLead(input: { name: "Odd types" }) { id } }`,
      );
      for (const args of [
        { callStatusCode: "qualified", comment: 5 },
        { callStatusCode: "qualified", nextCallAt: 12345 },
        { callStatusCode: 7 },
        ["qualified"],
        null,
      ]) {
        const response = await server.gql(
          `mutation($input: RecordAiCallResultInput!) { recordAiCallResult(input: $input) { call { id } } }`,
          { input: { leadId: lead.createLead.id, arguments: args, idempotencyKey: "odd-types" } },
        );
        expectError(response, "BAD_USER_INPUT");
      }
    });
  },
);
