import type { AudienceFilter } from "../access/audience";
import { byIds, requestLoader } from "../graphql/batch";
import type { CallStatus } from "./call-status.entity";
import type { CallStatusService } from "./call-status.service";
import type { LeadStatus } from "./lead-status.entity";
import type { LeadStatusService } from "./lead-status.service";

/** Batched look-ups of statuses for relation fields (see `graphql/batch.ts`). */
export class StatusLoaders {
  constructor(
    private readonly leadStatuses: LeadStatusService,
    private readonly callStatuses: CallStatusService,
  ) {}

  leadStatus(id: number): Promise<LeadStatus | null> {
    return requestLoader(
      this,
      "leadStatus",
      byIds((ids) => this.leadStatuses.findByIds(ids)),
    ).load(id);
  }

  callStatus(id: number): Promise<CallStatus | null> {
    return requestLoader(
      this,
      "callStatus",
      byIds((ids) => this.callStatuses.findByIds(ids)),
    ).load(id);
  }

  /** Call statuses of a lead status offered to `audience`; one loader per distinct audience. */
  callStatusesOf(leadStatusId: number, audience: AudienceFilter): Promise<CallStatus[]> {
    const key = `callStatuses:${audience.visibleTo ?? ""}|${audience.afterCallTransfer === true}`;
    return requestLoader<number, CallStatus[]>(this, key, async (ids) => {
      const grouped = await this.callStatuses.listByLeadStatusIds(ids, audience);
      return ids.map((id) => grouped.get(id) ?? []);
    }).load(leadStatusId);
  }
}
