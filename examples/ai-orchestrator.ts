/**
 * An AI-agent orchestrator's loop against this service, with a stubbed model (no network):
 *   1. fetch the outcome tool (OpenAI shape) for this AI agent,
 *   2. let the model pick an outcome from the call's transcript,
 *   3. record the model's tool call as it came,
 *   4. read the lead's new status.
 *
 * Run it against a running service with an AI_AGENT key and an existing lead:
 *   npm run build
 *   GRAPHQL_URL=http://localhost:4000/graphql API_KEY=csk_… LEAD_ID=1 \
 *     TRANSCRIPT="Yes, please send me the offer" node dist/examples/ai-orchestrator.js
 */
import { randomUUID } from "node:crypto";

/** A tool call as a model returns it (OpenAI style: the arguments are JSON text). */
export interface ToolCall {
  name: string;
  arguments: string;
}

/** Anything that turns a tool definition and a transcript into a tool call. */
export type Model = (tool: OpenAiTool, transcript: string) => Promise<ToolCall>;

interface JsonSchema {
  properties: { callStatusCode: { enum?: string[] } };
  allOf?: Array<{
    if: { properties: { callStatusCode: { enum: string[] } } };
    then: { required: string[] };
  }>;
}

export interface OpenAiTool {
  type: "function";
  function: { name: string; description: string; parameters: JsonSchema };
}

/**
 * A stand-in for a language model: "not interested" means disqualified, anything else qualified
 * (when allowed; else the first allowed outcome). It follows the tool's rules by reading the
 * schema's if/then branches, as a real model is asked to.
 */
export const stubModel: Model = async (tool, transcript) => {
  const schema = tool.function.parameters;
  const allowed = schema.properties.callStatusCode.enum ?? [];
  const wanted = /not interested/i.test(transcript) ? "disqualified" : "qualified";
  const callStatusCode = allowed.includes(wanted) ? wanted : allowed[0];
  const required = new Set(
    (schema.allOf ?? [])
      .filter((rule) => rule.if.properties.callStatusCode.enum.includes(callStatusCode))
      .flatMap((rule) => rule.then.required),
  );
  const args: Record<string, string> = { callStatusCode, comment: transcript.slice(0, 200) };
  if (required.has("nextCallAt")) {
    args.nextCallAt = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
  }
  return { name: tool.function.name, arguments: JSON.stringify(args) };
};

async function graphql<T>(url: string, apiKey: string, query: string, variables = {}): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data as T;
}

export interface OrchestratorRun {
  revision: string;
  toolCall: ToolCall;
  leadStatusChanged: boolean;
  leadStatus: { code: string; title: string };
}

export async function runOrchestrator(options: {
  url: string;
  apiKey: string;
  leadId: string;
  transcript: string;
  model?: Model;
  log?: (line: string) => void;
}): Promise<OrchestratorRun> {
  const { url, apiKey, leadId, transcript, model = stubModel, log = () => undefined } = options;

  // 1. The tool, as the AI agent may use it right now.
  const { callOutcomeTool } = await graphql<{
    callOutcomeTool: { definition: OpenAiTool; revision: string; allowedCodes: string[] };
  }>(
    url,
    apiKey,
    `
      {
        callOutcomeTool(format: OPENAI) {
          definition
          revision
          allowedCodes
        }
      }
    `,
  );
  log(`tool ${callOutcomeTool.revision}: ${callOutcomeTool.allowedCodes.join(", ")}`);

  // 2. The model's choice.
  const toolCall = await model(callOutcomeTool.definition, transcript);
  log(`model chose ${toolCall.arguments}`);

  // 3. Record it as it came; the idempotency key makes a retry after a network error safe.
  const { recordAiCallResult } = await graphql<{
    recordAiCallResult: { leadStatusChanged: boolean };
  }>(
    url,
    apiKey,
    `
      mutation ($input: RecordAiCallResultInput!) {
        recordAiCallResult(input: $input) {
          leadStatusChanged
        }
      }
    `,
    {
      input: {
        leadId,
        arguments: toolCall.arguments,
        revision: callOutcomeTool.revision,
        idempotencyKey: randomUUID(),
      },
    },
  );

  // 4. Where the lead is now.
  const { lead } = await graphql<{ lead: { status: { code: string; title: string } } }>(
    url,
    apiKey,
    `
      query ($id: ID!) {
        lead(id: $id) {
          status {
            code
            title
          }
        }
      }
    `,
    { id: leadId },
  );
  log(`lead ${leadId} is now "${lead.status.title}" (${lead.status.code})`);
  return {
    revision: callOutcomeTool.revision,
    toolCall,
    leadStatusChanged: recordAiCallResult.leadStatusChanged,
    leadStatus: lead.status,
  };
}

if (require.main === module) {
  const { GRAPHQL_URL, API_KEY, LEAD_ID, TRANSCRIPT } = process.env;
  if (!API_KEY || !LEAD_ID) {
    process.stderr.write(
      "Set API_KEY (an AI_AGENT key) and LEAD_ID; GRAPHQL_URL defaults to http://localhost:4000/graphql\n",
    );
    process.exit(2);
  }
  runOrchestrator({
    url: GRAPHQL_URL ?? "http://localhost:4000/graphql",
    apiKey: API_KEY,
    leadId: LEAD_ID,
    transcript: TRANSCRIPT ?? "Yes, that sounds good, please send me the offer.",
    log: (line) => process.stdout.write(`${line}\n`),
  }).catch((error: unknown) => {
    process.stderr.write(`orchestrator failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
