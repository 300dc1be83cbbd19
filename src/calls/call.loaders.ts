import type { Page, PageParams } from "../common/pagination";
import { requestLoader } from "../graphql/batch";
import type { Call } from "./call.entity";
import type { CallService } from "./call.service";

/** Batched reads of calls for relation fields (see `graphql/batch.ts`). */
export class CallLoaders {
  constructor(private readonly calls: CallService) {}

  /** A page of a lead's calls; the leads of one list asking the same page share one batch. */
  callsOfLead(leadId: number, page: PageParams): Promise<Page<Call>> {
    const key = `calls:${page.first ?? ""}|${page.after ?? ""}`;
    return requestLoader<number, Page<Call>>(this, key, async (ids) => {
      const pages = await this.calls.pagesForLeads(ids, page);
      return ids.map((id) => pages.get(id)!);
    }).load(leadId);
  }
}
