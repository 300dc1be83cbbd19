/** The operations measured, and the data the service is seeded with through its own API. */
import { mustRequest } from "./graphql";

/** The measured read: what an AI-agent orchestrator fetches, with each status's lead status. */
export const OUTCOMES_QUERY =
  "query Outcomes { callStatuses(filter: {visibleTo: AI_AGENT}) { id code title description sort " +
  "commentRequired planningTimeRequired agentVisibility showToAgent showToAiAgents type version " +
  "createdAt updatedAt leadStatus { id code title category color } } }";

export const OUTCOMES_BODY = JSON.stringify({ query: OUTCOMES_QUERY, operationName: "Outcomes" });

/** The measured write (e): record a call result, reading back what a wrap-up form shows. */
export const RECORD_MUTATION =
  "mutation Record($input: RecordCallResultInput!) { recordCallResult(input: $input) { " +
  "leadStatusChanged call { id status { code } comment createdAt } " +
  "lead { id status { code title category } } } }";

export interface RecordInput {
  leadId: string;
  callStatusCode: string;
  comment: string;
  idempotencyKey: string;
}

export function recordBody(input: RecordInput): string {
  return JSON.stringify({ query: RECORD_MUTATION, operationName: "Record", variables: { input } });
}

/** Number of system call statuses the migrations seed (2 of them AI-visible). */
export const SYSTEM_CALL_STATUSES = 7;
export const SYSTEM_AI_VISIBLE = 2;

/** The service's default alias limit per operation (GRAPHQL_MAX_ALIASES). */
const BATCH = 15;

const CUSTOM_LEAD_STATUSES = [
  { code: "bench_callback", title: "Перезвонить", category: "IN_PROGRESS", color: "#1E88E5" },
  { code: "bench_meeting", title: "Meeting booked", category: "QUALIFIED", color: "#43A047" },
  { code: "bench_lost", title: "Потерян", category: "DISQUALIFIED", color: "#E53935" },
];

/** Custom lead statuses `seedStatuses` creates (besides the call statuses). */
export const CUSTOM_LEAD_STATUS_COUNT = CUSTOM_LEAD_STATUSES.length;

const LEAD_STATUS_LINKS = [
  { code: "in_progress", inProgress: true },
  { code: "qualified", inProgress: false },
  { code: "disqualified", inProgress: false },
  { code: "new", inProgress: true },
  { code: "bench_callback", inProgress: true },
  { code: "bench_meeting", inProgress: false },
  { code: "bench_lost", inProgress: false },
];

const OUTCOMES = [
  ["Перезвонить позже", "The lead asked to be called back later; plan the next call."],
  ["Not interested", "The lead listened to the offer and declined it clearly."],
  ["Договорились о встрече", "A meeting with a sales manager was agreed on; note the date."],
  ["Wrong number", "The person who answered is not the lead; the number is wrong."],
  ["Занято, попросили позвонить", "The lead was busy and asked for another call soon."],
  ["Sent the offer by e-mail", "The lead wants the offer in writing before deciding anything."],
  [
    "Языковой барьер",
    "The conversation failed because of the language; route to a native speaker.",
  ],
  ["Already a customer", "The lead already uses the product; hand over to account management."],
] as const;

/** `count` custom call statuses, all AI-visible, linked to lead statuses, with descriptions. */
export function customCallStatusInputs(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => {
    const i = index + 1;
    const [title, description] = OUTCOMES[index % OUTCOMES.length];
    const link = LEAD_STATUS_LINKS[index % LEAD_STATUS_LINKS.length];
    return {
      code: `bench_${String(i).padStart(4, "0")}`,
      title: `${title} #${i}`,
      description: `${description} Bench outcome ${i} of ${count}.`,
      leadStatusCode: link.code,
      agentVisibility: ["ALWAYS", "AFTER_CALL_TRANSFER", "NEVER"][index % 3],
      showToAiAgents: true,
      commentRequired: index % 3 === 0,
      planningTimeRequired: link.inProgress && index % 2 === 0,
    };
  });
}

/** Runs `field(input: $aN)` for every input, BATCH aliases per request. */
export async function batched(
  url: string,
  apiKey: string,
  field: string,
  inputType: string,
  selection: string,
  inputs: Array<Record<string, unknown>>,
): Promise<Array<Record<string, unknown>>> {
  const results: Array<Record<string, unknown>> = [];
  for (let start = 0; start < inputs.length; start += BATCH) {
    const chunk = inputs.slice(start, start + BATCH);
    const params = chunk.map((_, i) => `$a${i}: ${inputType}!`).join(", ");
    const fields = chunk.map((_, i) => `a${i}: ${field}(input: $a${i}) ${selection}`).join(" ");
    const variables = Object.fromEntries(chunk.map((input, i) => [`a${i}`, input]));
    const data = await mustRequest<Record<string, Record<string, unknown>>>(
      url,
      apiKey,
      `mutation Seed(${params}) { ${fields} }`,
      variables,
    );
    for (let i = 0; i < chunk.length; i += 1) results.push(data[`a${i}`]);
  }
  return results;
}

/**
 * Seeds call statuses up to `total` (the 7 system ones included) and the custom lead statuses
 * they link to. Returns how many statuses an AI agent sees afterwards.
 */
export async function seedStatuses(url: string, adminKey: string, total: number): Promise<number> {
  await batched(url, adminKey, "createLeadStatus", "CreateLeadStatusInput", "{ id }", [
    ...CUSTOM_LEAD_STATUSES,
  ]);
  const custom = Math.max(0, total - SYSTEM_CALL_STATUSES);
  await batched(
    url,
    adminKey,
    "createCallStatus",
    "CreateCallStatusInput",
    "{ id }",
    customCallStatusInputs(custom),
  );
  return custom + SYSTEM_AI_VISIBLE;
}

export async function createApiKey(
  url: string,
  adminKey: string,
  role: "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT",
): Promise<string> {
  const data = await mustRequest<{ createApiKey: { secret: string } }>(
    url,
    adminKey,
    "mutation Key($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
    { input: { name: `bench ${role.toLowerCase()}`, role } },
  );
  return data.createApiKey.secret;
}

/** Creates `count` leads (in `new`); returns their ids. */
export async function createLeads(url: string, key: string, count: number): Promise<string[]> {
  const inputs = Array.from({ length: count }, (_, i) => ({
    externalId: `bench-lead-${i + 1}`,
    name: `Bench lead ${i + 1}`,
    phone: `+7 999 000-${String(i % 100).padStart(2, "0")}-${String(i % 97).padStart(2, "0")}`,
  }));
  const leads = await batched(url, key, "createLead", "CreateLeadInput", "{ id }", inputs);
  return leads.map((lead) => String(lead.id));
}
