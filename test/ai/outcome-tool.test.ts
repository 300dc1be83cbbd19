/**
 * The AI agents' outcome tool over HTTP (`callOutcomeTool`, issue 7), on every database: a JSON
 * Schema 2020-12 in each vendor shape, the statuses and rules it offers, who may ask for it, and
 * its revision (changed by exactly the changes an AI agent would see, back when they are undone).
 */
import { describeEachDatabase, expectError } from "../support/harness";
import {
  FORMATS,
  DIALECT,
  TOOL_NAME,
  type Json,
  TOOL,
  schemaOf,
  compileChecked,
  withoutEnvelope,
  helpers,
  AI_CALLBACK,
  AI_NOTE,
  AGENT_ONLY,
  TRANSFER_ONLY,
  HIDDEN,
  AI_CODES,
  AGENT_CODES,
  AGENT_TRANSFER_CODES,
  FUTURE,
  VALID_ARGUMENTS,
  INVALID_ARGUMENTS,
} from "./ai-tool.fixtures";

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
