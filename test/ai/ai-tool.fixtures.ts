/**
 * What the AI-agent tests over HTTP share: the queries, JSON Schema checks (Ajv, draft 2020-12),
 * the call statuses they create, the arguments the tool must take or refuse, and `helpers(server)`
 * (keys per role, leads, statuses, the tool, recording).
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expectError, type GraphQLResponse, type TestServer } from "../support/harness";

export type RoleName = "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT";
export type Format = "OPENAI" | "ANTHROPIC" | "JSON_SCHEMA";
export const FORMATS: Format[] = ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"];
export const DIALECT = "https://json-schema.org/draft/2020-12/schema";
export const TOOL_NAME = "record_call_outcome";

export type Json = Record<string, unknown>;

export interface ToolData {
  name: string;
  description: string;
  parameters: Json;
  definition: Json;
  revision: string;
  allowedCodes: string[];
}

export interface CallData {
  id: string;
  comment: string | null;
  nextCallAt: string | null;
  afterCallTransfer: boolean;
  recordedByRole: string;
  recordedBy: string;
  status: { code: string };
}

export interface AiResultData {
  leadStatusChanged: boolean;
  lead: { id: string; status: { code: string }; version: number };
  call: CallData;
}

export interface WarningData {
  kind: string;
  message: string;
  callStatusCodes: string[];
  audience: string | null;
}

export const TOOL = `query($format: ToolFormat!, $afterCallTransfer: Boolean, $audience: Audience) {
  callOutcomeTool(format: $format, afterCallTransfer: $afterCallTransfer, audience: $audience) {
    name description parameters definition revision allowedCodes
  }
}`;
export const RECORD_AI = `mutation($input: RecordAiCallResultInput!) {
  recordAiCallResult(input: $input) {
    leadStatusChanged
    lead { id status { code } version }
    call { id comment nextCallAt afterCallTransfer recordedByRole recordedBy status { code } }
  }
}`;
export const RECORD = `mutation($input: RecordCallResultInput!) {
  recordCallResult(input: $input) { call { id } }
}`;
export const WARNINGS = `{ configurationWarnings { kind message callStatusCodes audience } }`;
export const CALLS_OF_LEAD = `query($leadId: ID!) {
  calls(filter: { leadId: $leadId }, first: 100) { totalCount edges { node { id status { code } } } }
}`;

export const inOneDay = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();
export const anHourAgo = () => new Date(Date.now() - 3600 * 1000).toISOString();

/** An ajv for draft 2020-12 with formats (strict mode objects to `title` in `oneOf` branches). */
export function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/** The arguments schema inside a definition of `format`. */
export function schemaOf(format: Format, definition: Json): Json {
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
export function compileChecked(schema: Json): ValidateFunction {
  const ajv = newAjv();
  const valid = ajv.validateSchema(schema);
  expect(ajv.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  return ajv.compile(schema);
}

/** The schema without the keys the JSON_SCHEMA shape adds around the arguments schema. */
export function withoutEnvelope(schema: Json): Json {
  const rest = { ...schema };
  delete rest.$schema;
  delete rest.title;
  delete rest.description;
  return rest;
}

/** Test helpers bound to one server: keys per role, leads, statuses, the tool, recording. */
export function helpers(server: TestServer) {
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
export function expectArgumentsError(
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

export const AI_CALLBACK = {
  code: "ai_callback",
  title: "Call back later",
  description: "The lead asked to be called again at another time.",
  planningTimeRequired: true,
  leadStatusCode: "in_progress",
  agentVisibility: "NEVER",
  showToAiAgents: true,
};
export const AI_NOTE = {
  code: "ai_note",
  title: "Перезвонить по просьбе",
  description: "Собеседник просил перезвонить; кратко опишите разговор.",
  commentRequired: true,
  agentVisibility: "NEVER",
  showToAiAgents: true,
};
export const AGENT_ONLY = {
  code: "agent_secret",
  title: "Agent-only outcome XYZZY",
  description: "Only for humans PLUGH",
  commentRequired: true,
  planningTimeRequired: true,
  leadStatusCode: "in_progress",
  agentVisibility: "ALWAYS",
  showToAiAgents: false,
};
export const TRANSFER_ONLY = {
  code: "transfer_wrapup",
  title: "Transferred wrap-up",
  description: "Offered after a transfer",
  commentRequired: true,
  agentVisibility: "AFTER_CALL_TRANSFER",
  showToAiAgents: false,
};
export const HIDDEN = {
  code: "hidden_outcome",
  title: "Hidden outcome FROBOZZ",
  description: "Nobody chooses this GRUE",
  commentRequired: true,
  planningTimeRequired: true,
  agentVisibility: "NEVER",
  showToAiAgents: false,
};

export const AI_CODES = ["qualified", "disqualified", "ai_callback", "ai_note"];
export const AGENT_CODES = ["qualified", "disqualified", "agent_secret"];
export const AGENT_TRANSFER_CODES = [
  "qualified",
  "disqualified",
  "agent_secret",
  "transfer_wrapup",
];

/** Argument sets, what the AI tool says of them, and the field a refusal names. */
export const FUTURE = "2099-05-01T10:00:00+02:00";
export const VALID_ARGUMENTS: Array<[string, () => Json]> = [
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
export const INVALID_ARGUMENTS: Array<[string, () => unknown, string]> = [
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
