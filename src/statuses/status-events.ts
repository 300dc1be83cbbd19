/**
 * The `data` of the status change events (`call_status.created` / `.updated`,
 * `lead_status.created` / `.updated`): the status as it is once the change commits — the
 * fields the API gives — and, for an update, which fields changed (see docs/API.md).
 */
import { eventId, eventTime } from "../changes/event-data";
import type { CallStatus } from "./call-status.entity";
import type { LeadStatus } from "./lead-status.entity";

export function callStatusEventData(status: CallStatus): Record<string, unknown> {
  return {
    id: eventId(status.id),
    code: status.code,
    title: status.title,
    description: status.description,
    sort: status.sort,
    type: status.type,
    commentRequired: status.commentRequired,
    planningTimeRequired: status.planningTimeRequired,
    leadStatus: status.leadStatus
      ? { id: eventId(status.leadStatus.id), code: status.leadStatus.code }
      : null,
    agentVisibility: status.agentVisibility,
    showToAiAgents: status.showToAiAgents,
    version: status.version,
    createdAt: eventTime(status.createdAt),
    updatedAt: eventTime(status.updatedAt),
  };
}

export function leadStatusEventData(status: LeadStatus): Record<string, unknown> {
  return {
    id: eventId(status.id),
    code: status.code,
    title: status.title,
    sort: status.sort,
    type: status.type,
    category: status.category,
    color: status.color,
    version: status.version,
    createdAt: eventTime(status.createdAt),
    updatedAt: eventTime(status.updatedAt),
  };
}
