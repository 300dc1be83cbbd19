import { byIds, requestLoader } from "../graphql/batch";
import type { Lead } from "./lead.entity";
import type { LeadService } from "./lead.service";

/** Batched look-ups of leads for relation fields (see `graphql/batch.ts`). */
export class LeadLoaders {
  constructor(private readonly leads: LeadService) {}

  lead(id: number): Promise<Lead | null> {
    return requestLoader(
      this,
      "lead",
      byIds((ids) => this.leads.findByIds(ids)),
    ).load(id);
  }
}
