/** The AI agents' outcome tool (src/ai/outcome-tool.ts), built from the statuses open to them. */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import {
  buildOutcomeTool,
  canonicalJson,
  TOOL_NAME,
  ToolFormat,
  toolRevision,
  type ToolStatus,
} from "../../src/ai/outcome-tool";
import { COMMENT_MAX_LENGTH } from "../../src/calls/call.limits";

const DIALECT = "https://json-schema.org/draft/2020-12/schema";
const FORMATS = [ToolFormat.OPENAI, ToolFormat.ANTHROPIC, ToolFormat.JSON_SCHEMA];

function status(code: string, overrides: Partial<ToolStatus> = {}): ToolStatus {
  return {
    code,
    title: code,
    description: null,
    commentRequired: false,
    planningTimeRequired: false,
    ...overrides,
  };
}

const STATUSES: ToolStatus[] = [
  status("qualified", { title: "Квалифицирован", description: "Готов купить" }),
  status("callback", {
    title: "Call back",
    description: "Asked to be called later",
    planningTimeRequired: true,
  }),
  status("ai_note", { title: "Note", commentRequired: true }),
  status("both", { title: "Both", commentRequired: true, planningTimeRequired: true }),
];

function validator(statuses: ToolStatus[]) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(buildOutcomeTool(ToolFormat.JSON_SCHEMA, statuses).parameters);
}

describe("buildOutcomeTool", () => {
  it("wraps the same name, description and parameters in each vendor's shape", () => {
    const openai = buildOutcomeTool(ToolFormat.OPENAI, STATUSES);
    const { $schema, ...parameters } = openai.parameters;
    expect($schema).toBe(DIALECT);
    expect(openai.definition).toEqual({
      type: "function",
      function: { name: TOOL_NAME, description: openai.description, parameters },
    });
    expect(buildOutcomeTool(ToolFormat.ANTHROPIC, STATUSES).definition).toEqual({
      name: TOOL_NAME,
      description: openai.description,
      input_schema: parameters,
    });
    expect(buildOutcomeTool(ToolFormat.JSON_SCHEMA, STATUSES).definition).toEqual({
      $schema: DIALECT,
      title: TOOL_NAME,
      description: openai.description,
      ...parameters,
    });
  });

  it("gives every format the same parameters, revision and allowed codes", () => {
    const [first, ...others] = FORMATS.map((format) => buildOutcomeTool(format, STATUSES));
    for (const tool of others) {
      expect(tool.parameters).toEqual(first.parameters);
      expect(tool.revision).toBe(first.revision);
      expect(tool.allowedCodes).toEqual(first.allowedCodes);
      expect(tool.name).toBe(TOOL_NAME);
    }
    expect(first.revision).toMatch(/^[0-9a-f]{32}$/);
  });

  it("allows exactly the given codes, in list order, each with its title and description", () => {
    const tool = buildOutcomeTool(ToolFormat.OPENAI, STATUSES);
    expect(tool.allowedCodes).toEqual(["qualified", "callback", "ai_note", "both"]);
    const code = (tool.parameters.properties as Record<string, Record<string, unknown>>)
      .callStatusCode;
    expect(code.type).toBe("string");
    expect(code.enum).toEqual(tool.allowedCodes);
    expect(code.oneOf).toEqual([
      { const: "qualified", title: "Квалифицирован", description: "Готов купить" },
      { const: "callback", title: "Call back", description: "Asked to be called later" },
      { const: "ai_note", title: "Note" },
      { const: "both", title: "Both" },
    ]);
  });

  it("names the statuses each rule applies to in the property descriptions", () => {
    const properties = buildOutcomeTool(ToolFormat.OPENAI, STATUSES).parameters
      .properties as Record<string, { description: string; maxLength?: number }>;
    expect(properties.comment.description).toMatch(/Required for: ai_note, both\.$/);
    expect(properties.comment.maxLength).toBe(COMMENT_MAX_LENGTH);
    expect(properties.nextCallAt.description).toMatch(/Required for: callback, both\.$/);
  });

  it("has no rules and names nothing as required when no status asks for anything", () => {
    const tool = buildOutcomeTool(ToolFormat.OPENAI, [status("a1"), status("b1")]);
    expect(tool.parameters).not.toHaveProperty("allOf");
    expect(JSON.stringify(tool.parameters)).not.toContain("Required for");
    expect(tool.parameters.required).toEqual(["callStatusCode"]);
    expect(tool.parameters.additionalProperties).toBe(false);
  });

  it("allows nothing when no status is open", () => {
    const tool = buildOutcomeTool(ToolFormat.ANTHROPIC, []);
    expect(tool.allowedCodes).toEqual([]);
    const validate = validator([]);
    expect(validate({ callStatusCode: "qualified" })).toBe(false);
    expect(validate({ callStatusCode: "" })).toBe(false);
    expect(validate({})).toBe(false);
  });
});

describe("the arguments schema, as a validator applies it", () => {
  const validate = validator(STATUSES);
  const future = "2099-05-01T10:00:00+02:00";

  it.each([
    ["a status without rules", { callStatusCode: "qualified" }],
    ["a comment where none is needed", { callStatusCode: "qualified", comment: "fine" }],
    ["a required comment", { callStatusCode: "ai_note", comment: "Left a message" }],
    ["a required next call time", { callStatusCode: "callback", nextCallAt: future }],
    ["both", { callStatusCode: "both", comment: "x", nextCallAt: "2099-05-01T08:00:00Z" }],
  ])("accepts %s", (_what, args) => {
    expect(validate(args)).toBe(true);
  });

  it.each([
    ["no code", {}],
    ["an unknown code", { callStatusCode: "voicemail" }],
    ["a code in another case", { callStatusCode: "QUALIFIED" }],
    ["a code that is not a string", { callStatusCode: 1 }],
    ["a missing required comment", { callStatusCode: "ai_note" }],
    ["a blank required comment", { callStatusCode: "ai_note", comment: " \n\t" }],
    ["a missing next call time", { callStatusCode: "callback" }],
    [
      "a next call time that is not a date-time",
      { callStatusCode: "callback", nextCallAt: "tomorrow" },
    ],
    ["one of two rules kept", { callStatusCode: "both", comment: "x" }],
    ["another property", { callStatusCode: "qualified", leadId: "1" }],
    [
      "a comment over the limit",
      { callStatusCode: "qualified", comment: "x".repeat(COMMENT_MAX_LENGTH + 1) },
    ],
  ])("refuses %s", (_what, args) => {
    expect(validate(args)).toBe(false);
  });
});

describe("the revision", () => {
  const revision = (statuses: ToolStatus[]) =>
    buildOutcomeTool(ToolFormat.OPENAI, statuses).revision;
  const base = revision(STATUSES);
  const changed = (index: number, change: Partial<ToolStatus>) =>
    STATUSES.map((s, i) => (i === index ? { ...s, ...change } : s));

  it("is the same for the same statuses", () => {
    expect(revision(STATUSES.map((s) => ({ ...s })))).toBe(base);
  });

  it.each([
    ["a title", changed(0, { title: "Qualified" })],
    ["a title by case only", changed(1, { title: "Call Back" })],
    ["a description", changed(0, { description: "Other" })],
    ["a description removed", changed(0, { description: null })],
    ["commentRequired", changed(0, { commentRequired: true })],
    ["planningTimeRequired", changed(0, { planningTimeRequired: true })],
    ["the order", [STATUSES[1], STATUSES[0], ...STATUSES.slice(2)]],
    ["a status more", [...STATUSES, status("extra")]],
    ["a status fewer", STATUSES.slice(1)],
  ])("changes with %s", (_what, statuses) => {
    expect(revision(statuses)).not.toBe(base);
  });

  it("does not tell an empty description from none (neither is shown)", () => {
    expect(revision(changed(2, { description: "" }))).toBe(base);
  });

  it("is the hash of the parameters, whatever the order of their keys", () => {
    const parameters = { ...buildOutcomeTool(ToolFormat.OPENAI, STATUSES).parameters };
    delete parameters.$schema;
    const reversed = Object.fromEntries(Object.entries(parameters).reverse());
    expect(toolRevision(reversed)).toBe(base);
  });
});

describe("canonicalJson", () => {
  it("sorts object keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("leaves out undefined properties, like JSON.stringify", () => {
    expect(canonicalJson({ a: undefined, b: "x" })).toBe('{"b":"x"}');
  });

  it("escapes strings as JSON does", () => {
    expect(canonicalJson({ 'k"': 'v\n"' })).toBe(JSON.stringify({ 'k"': 'v\n"' }));
  });
});
