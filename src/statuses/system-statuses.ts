/**
 * The system statuses every new account starts with: 4 lead statuses and 7 call statuses (the
 * same ones migration 001 seeded into the first installation, which keeps its own frozen copy).
 */

import { scoped } from "../db/account-scope";
import type { Transaction } from "../db/transaction";
import { currentTimestamp } from "../common/time";
import { CallStatus } from "./call-status.entity";
import { LeadStatus } from "./lead-status.entity";
import { StatusRevision } from "./status-revision.entity";
import { AgentVisibility } from "../access/audience";
import { LeadStatusCategory, StatusType } from "./status.enums";

const LEAD_STATUSES = [
  { code: "new", title: "New", category: LeadStatusCategory.IN_PROGRESS, color: "#2196F3" },
  {
    code: "in_progress",
    title: "In progress",
    category: LeadStatusCategory.IN_PROGRESS,
    color: "#FFC107",
  },
  {
    code: "qualified",
    title: "Qualified",
    category: LeadStatusCategory.QUALIFIED,
    color: "#4CAF50",
  },
  {
    code: "disqualified",
    title: "Disqualified",
    category: LeadStatusCategory.DISQUALIFIED,
    color: "#F44336",
  },
];

const CALL_STATUSES = [
  {
    code: "qualified",
    title: "Qualified",
    description: "The lead is a match: they are interested and meet the campaign's criteria.",
    lead: "qualified",
    agentVisibility: AgentVisibility.ALWAYS,
    showToAiAgents: true,
  },
  {
    code: "disqualified",
    title: "Disqualified",
    description:
      "The lead is not a match: not interested or does not meet the campaign's criteria.",
    lead: "disqualified",
    agentVisibility: AgentVisibility.ALWAYS,
    showToAiAgents: true,
  },
  {
    code: "voicemail",
    title: "Voicemail",
    description: "Set by the dialer when an answering machine picks up.",
    lead: "in_progress",
    agentVisibility: AgentVisibility.NEVER,
    showToAiAgents: false,
  },
  {
    code: "call_terminated",
    title: "Call terminated",
    description: "Set when a predictive dial could not reach the lead and ended the call.",
    lead: "in_progress",
    agentVisibility: AgentVisibility.NEVER,
    showToAiAgents: false,
  },
  {
    code: "not_accepted_by_operator",
    title: "Not accepted by operator",
    description: "The call connected, but the agent could not take it (a technical problem).",
    lead: "in_progress",
    agentVisibility: AgentVisibility.NEVER,
    showToAiAgents: false,
  },
  {
    code: "post_processing_not_completed",
    title: "Post processing not completed",
    description: "The agent left the wrap-up unfinished (for example, reloaded the page).",
    lead: "in_progress",
    agentVisibility: AgentVisibility.NEVER,
    showToAiAgents: false,
  },
  {
    code: "missed_by_system",
    title: "Missed by the system",
    description: "A technical error happened before the lead was reached.",
    lead: "in_progress",
    agentVisibility: AgentVisibility.NEVER,
    showToAiAgents: false,
  },
];

/**
 * Inside the transaction that creates an account, and in its scope: its system statuses and its
 * status revision row.
 */
export async function seedSystemStatuses(tx: Transaction): Promise<void> {
  const now = currentTimestamp();
  const common = { type: StatusType.SYSTEM, createdAt: now, updatedAt: now, version: 1 };
  const leadIds = new Map<string, number>();
  for (const [index, status] of LEAD_STATUSES.entries()) {
    const id = await scoped(tx, LeadStatus).insert({
      ...status,
      ...common,
      sort: (index + 1) * 10,
    });
    leadIds.set(status.code, id);
  }
  for (const [index, { lead, ...status }] of CALL_STATUSES.entries()) {
    await scoped(tx, CallStatus).insert({
      ...status,
      ...common,
      sort: (index + 1) * 10,
      commentRequired: false,
      planningTimeRequired: false,
      leadStatusId: leadIds.get(lead) ?? null,
    });
  }
  await scoped(tx, StatusRevision).insert({ revision: 0 });
}
