/**
 * The `data` of the lead change events (`lead.created`, `lead.updated`): the lead as it is once
 * the change commits (see docs/API.md).
 */
import { eventId, eventTime } from "../changes/event-data";
import type { LeadStatus } from "../statuses/lead-status.entity";
import type { Lead } from "./lead.entity";

/** A lead status as events name it. */
export function leadStatusRef(status: Pick<LeadStatus, "id" | "code" | "title" | "category">) {
  return {
    id: eventId(status.id),
    code: status.code,
    title: status.title,
    category: status.category,
  };
}

export function leadEventData(
  lead: Pick<Lead, "id" | "externalId" | "name" | "phone" | "version" | "createdAt" | "updatedAt">,
  status: Pick<LeadStatus, "id" | "code" | "title" | "category">,
): Record<string, unknown> {
  return {
    id: eventId(lead.id),
    externalId: lead.externalId,
    name: lead.name,
    phone: lead.phone,
    status: leadStatusRef(status),
    version: lead.version,
    createdAt: eventTime(lead.createdAt),
    updatedAt: eventTime(lead.updatedAt),
  };
}
