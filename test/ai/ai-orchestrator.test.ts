/**
 * The example AI-agent orchestrator (`examples/ai-orchestrator.ts`, issue 7) against a real
 * server on every database: imported and run in-process, and run as the compiled script
 * (`dist/examples/ai-orchestrator.js`, built with `npx tsc -p tsconfig.json` before the tests).
 */
import path from "node:path";
import { runOrchestrator, stubModel, type Model } from "../../examples/ai-orchestrator";
import { describeEachDatabase } from "../support/harness";
import { cleanupProcesses, REPO_ROOT, requireBuild, runProcess } from "../support/processes";

const SCRIPT = path.join(REPO_ROOT, "dist", "examples", "ai-orchestrator.js");

interface LeadState {
  status: { code: string };
  calls: {
    totalCount: number;
    edges: Array<{
      node: {
        comment: string | null;
        nextCallAt: string | null;
        recordedByRole: string;
        status: { code: string };
      };
    }>;
  };
}

afterEach(cleanupProcesses);

describeEachDatabase("example AI orchestrator", (server) => {
  let aiKey: string;
  let leadCounter = 0;

  async function createLead(): Promise<string> {
    leadCounter += 1;
    const data = await server.ok<{ createLead: { id: string; status: { code: string } } }>(
      `mutation($input: CreateLeadInput!) { createLead(input: $input) { id status { code } } }`,
      { input: { name: `Orchestrator lead ${leadCounter}` } },
    );
    expect(data.createLead.status.code).toBe("new");
    return data.createLead.id;
  }

  /** The lead as ADMIN sees it: its status and its calls, newest first. */
  async function leadState(id: string): Promise<LeadState> {
    const data = await server.ok<{ lead: LeadState }>(
      `query($id: ID!) { lead(id: $id) {
        status { code }
        calls(first: 10) { totalCount edges { node { comment nextCallAt recordedByRole status { code } } } }
      } }`,
      { id },
    );
    return data.lead;
  }

  async function currentRevision(): Promise<string> {
    const data = await server.ok<{ callOutcomeTool: { revision: string } }>(
      `{ callOutcomeTool(format: OPENAI) { revision } }`,
      undefined,
      { "x-api-key": aiKey },
    );
    return data.callOutcomeTool.revision;
  }

  async function updateCallStatus(code: string, input: Record<string, unknown>): Promise<void> {
    const found = await server.ok<{ callStatus: { id: string } }>(
      `query($code: String!) { callStatus(code: $code) { id } }`,
      { code },
    );
    await server.ok(
      `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { id } }`,
      { id: found.callStatus.id, input },
    );
  }

  beforeAll(async () => {
    aiKey = await server.createKey("AI_AGENT", "orchestrator");
  });

  describe("in-process", () => {
    it("records a qualified outcome for an interested lead and moves the lead", async () => {
      const leadId = await createLead();
      const lines: string[] = [];
      const transcript = "Yes, that sounds good, please send me the offer.";
      const run = await runOrchestrator({
        url: server.url,
        apiKey: aiKey,
        leadId,
        transcript,
        log: (line) => lines.push(line),
      });
      expect(run.leadStatus).toEqual({ code: "qualified", title: "Qualified" });
      expect(run.leadStatusChanged).toBe(true);
      expect(run.revision).toBe(await currentRevision());
      expect(run.toolCall.name).toBe("record_call_outcome");
      expect(JSON.parse(run.toolCall.arguments)).toEqual({
        callStatusCode: "qualified",
        comment: transcript,
      });

      const lead = await leadState(leadId);
      expect(lead.status.code).toBe("qualified");
      expect(lead.calls.totalCount).toBe(1);
      expect(lead.calls.edges[0].node).toMatchObject({
        comment: transcript,
        recordedByRole: "AI_AGENT",
        status: { code: "qualified" },
      });

      expect(lines).toHaveLength(3);
      expect(lines[0]).toContain(run.revision);
      expect(lines[0]).toContain("qualified, disqualified");
      expect(lines[2]).toBe(`lead ${leadId} is now "Qualified" (qualified)`);
    });

    it("records a disqualified outcome when the lead is not interested", async () => {
      const leadId = await createLead();
      const run = await runOrchestrator({
        url: server.url,
        apiKey: aiKey,
        leadId,
        transcript: "Sorry, I am not interested.",
      });
      expect(run.leadStatus.code).toBe("disqualified");
      expect(run.leadStatusChanged).toBe(true);
      expect((await leadState(leadId)).status.code).toBe("disqualified");
    });

    it("uses a model given to it, passing it the OpenAI tool", async () => {
      const leadId = await createLead();
      let seen: unknown;
      const model: Model = async (tool, transcript) => {
        seen = tool;
        return {
          name: tool.function.name,
          arguments: JSON.stringify({ callStatusCode: "disqualified", comment: transcript }),
        };
      };
      const run = await runOrchestrator({
        url: server.url,
        apiKey: aiKey,
        leadId,
        transcript: "Wrong number",
        model,
      });
      expect(seen).toMatchObject({
        type: "function",
        function: { name: "record_call_outcome" },
      });
      expect(run.leadStatus.code).toBe("disqualified");
    });

    it("fails with the service's message when the model's choice is not allowed", async () => {
      const leadId = await createLead();
      const model: Model = async (tool) => ({
        name: tool.function.name,
        arguments: JSON.stringify({ callStatusCode: "voicemail" }),
      });
      await expect(
        runOrchestrator({ url: server.url, apiKey: aiKey, leadId, transcript: "beep", model }),
      ).rejects.toThrow(/Allowed callStatusCode values: qualified, disqualified/);
      const lead = await leadState(leadId);
      expect(lead.status.code).toBe("new");
      expect(lead.calls.totalCount).toBe(0);
    });

    it("fails for a key that may not use the tool", async () => {
      const leadId = await createLead();
      const agentKey = await server.createKey("AGENT", "orchestrator agent");
      await expect(
        runOrchestrator({ url: server.url, apiKey: agentKey, leadId, transcript: "Hello" }),
      ).rejects.toThrow(/AGENT/);
      expect((await leadState(leadId)).calls.totalCount).toBe(0);
    });
  });

  describe("compiled script", () => {
    beforeAll(() => requireBuild(SCRIPT));

    it("runs the loop and prints the lead's new status, exiting 0", async () => {
      const leadId = await createLead();
      const result = await runProcess(process.execPath, [SCRIPT], REPO_ROOT, {
        GRAPHQL_URL: server.url,
        API_KEY: aiKey,
        LEAD_ID: leadId,
        TRANSCRIPT: "Great, please send me the offer",
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split("\n");
      expect(lines[0]).toBe(`tool ${await currentRevision()}: qualified, disqualified`);
      expect(JSON.parse(lines[1].replace(/^model chose /, ""))).toEqual({
        callStatusCode: "qualified",
        comment: "Great, please send me the offer",
      });
      expect(lines[2]).toBe(`lead ${leadId} is now "Qualified" (qualified)`);
      const lead = await leadState(leadId);
      expect(lead.status.code).toBe("qualified");
      expect(lead.calls.edges.map((e) => e.node.recordedByRole)).toEqual(["AI_AGENT"]);
    });

    it("moves an uninterested lead to disqualified", async () => {
      const leadId = await createLead();
      const result = await runProcess(process.execPath, [SCRIPT], REPO_ROOT, {
        GRAPHQL_URL: server.url,
        API_KEY: aiKey,
        LEAD_ID: leadId,
        TRANSCRIPT: "Not interested, thanks",
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`lead ${leadId} is now "Disqualified" (disqualified)`);
      expect((await leadState(leadId)).status.code).toBe("disqualified");
    });

    it("exits 2 with usage when API_KEY or LEAD_ID is missing", async () => {
      const leadId = await createLead();
      for (const env of [
        { GRAPHQL_URL: server.url, API_KEY: "", LEAD_ID: leadId },
        { GRAPHQL_URL: server.url, API_KEY: aiKey, LEAD_ID: "" },
      ]) {
        const result = await runProcess(process.execPath, [SCRIPT], REPO_ROOT, env);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/API_KEY/);
      }
      expect((await leadState(leadId)).calls.totalCount).toBe(0);
    });

    it("exits 1 with the error for an unknown lead", async () => {
      const result = await runProcess(process.execPath, [SCRIPT], REPO_ROOT, {
        GRAPHQL_URL: server.url,
        API_KEY: aiKey,
        LEAD_ID: "999999",
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^orchestrator failed: .*999999/);
    });
  });

  describe("the stub model follows the tool's rules", () => {
    it("gives a next call time and a comment where the chosen outcome requires them", async () => {
      await server.ok(
        `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id } }`,
        {
          input: {
            code: "orc_callback",
            title: "Call back",
            description: "The lead wants another call",
            sort: -1000,
            commentRequired: true,
            planningTimeRequired: true,
            leadStatusCode: "in_progress",
            agentVisibility: "NEVER",
            showToAiAgents: true,
          },
        },
      );
      await updateCallStatus("qualified", { showToAiAgents: false });
      try {
        const leadId = await createLead();
        const before = Date.now();
        const run = await runOrchestrator({
          url: server.url,
          apiKey: aiKey,
          leadId,
          transcript: "Call me tomorrow",
          model: stubModel,
        });
        const args = JSON.parse(run.toolCall.arguments) as Record<string, string>;
        expect(args.callStatusCode).toBe("orc_callback");
        expect(args.comment).toBe("Call me tomorrow");
        expect(new Date(args.nextCallAt).getTime()).toBeGreaterThan(before);
        expect(run.leadStatus.code).toBe("in_progress");
        const lead = await leadState(leadId);
        expect(lead.status.code).toBe("in_progress");
        expect(lead.calls.edges[0].node.status.code).toBe("orc_callback");
        expect(lead.calls.edges[0].node.nextCallAt).not.toBeNull();
      } finally {
        await updateCallStatus("qualified", { showToAiAgents: true });
        await updateCallStatus("orc_callback", { showToAiAgents: false });
      }
    });
  });
});
