/**
 * The `data` of `call.recorded`: the call as it was recorded — its outcome by code and title as
 * they were then — and the lead's status before and after it (see docs/API.md).
 */
import { eventId, eventTime } from "../changes/event-data";
import { leadStatusRef } from "../leads/lead-events";
import type { Lead } from "../leads/lead.entity";
import type { CallStatus } from "../statuses/call-status.entity";
import type { LeadStatus } from "../statuses/lead-status.entity";
import type { Call } from "./call.entity";

export function callRecordedEventData(
  call: Call,
  status: CallStatus,
  lead: Pick<Lead, "id" | "externalId">,
  statusBefore: LeadStatus,
  statusAfter: LeadStatus,
): Record<string, unknown> {
  return {
    call: {
      id: eventId(call.id),
      leadId: eventId(call.leadId),
      outcome: { id: eventId(status.id), code: status.code, title: status.title },
      comment: call.comment,
      afterCallTransfer: call.afterCallTransfer,
      nextCallAt: eventTime(call.nextCallAt),
      recordedAt: eventTime(call.createdAt),
      recordedByRole: call.recordedByRole,
      recordedBy: call.recordedBy,
    },
    lead: { id: eventId(lead.id), externalId: lead.externalId },
    leadStatus: {
      before: leadStatusRef(statusBefore),
      after: leadStatusRef(statusAfter),
      changed: statusBefore.id !== statusAfter.id,
    },
  };
}
