import { Arg, ID, Resolver, Root, Subscription } from "type-graphql";
import type { CallerContext } from "../access/caller";
import { LeadChange } from "./call.types";
import { LeadWatch } from "./lead-watch";

/** Leads, live (GraphQL over WebSocket or SSE, see docs/API.md). */
@Resolver()
export class LeadSubscriptionsResolver {
  @Subscription(() => LeadChange, {
    description:
      "A lead, and the call just recorded for it, after each committed change of the lead (a call recorded, a status moved, and — following every lead — a lead created). ADMIN and SYSTEM may leave `leadId` out to follow every lead of the account; AGENT and AI_AGENT follow one lead. A subscriber that reads slowly gets each changed lead once, as it is now, with its latest call.",
    subscribe: ({ args, context }) => {
      const { container, principal } = context as CallerContext;
      return container.get(LeadWatch).leadChanged(principal, args.leadId as string | undefined);
    },
  })
  leadChanged(
    @Root() change: LeadChange,
    @Arg("leadId", () => ID, {
      nullable: true,
      description:
        "The lead to follow (required for AGENT and AI_AGENT); left out: every lead of the account.",
    })
    _leadId?: string | null,
  ): LeadChange {
    return change;
  }
}
