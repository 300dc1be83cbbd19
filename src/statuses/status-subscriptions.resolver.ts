import { Arg, Resolver, Root, Subscription } from "type-graphql";
import { Audience } from "../access/audience";
import type { CallerContext } from "../access/caller";
import { Reusable } from "../graphql/response-cache";
import { CallStatusesChange, LeadStatusesChange } from "./status-changes.types";
import { StatusWatch } from "./status-watch";

/** The status lists, live (GraphQL over WebSocket or SSE, see docs/API.md). */
@Resolver()
export class StatusSubscriptionsResolver {
  // Both lists are the same to every subscriber of one account, role and audience: their
  // documents are executed once per change for all of them (graphql/subscriptions.ts).
  @Reusable()
  @Subscription(() => CallStatusesChange, {
    description:
      "The call statuses the caller may see — the whole list and its revision — right after subscribing and after each committed change that alters that list (a change of a status hidden from the caller's audience sends nothing). Scoped by role and audience exactly as `callStatuses`. A subscriber that reads slowly gets the latest list, not every one in between.",
    subscribe: ({ args, context }) => {
      const { container, principal } = context as CallerContext;
      return container.get(StatusWatch).callStatusesChanged(principal, args);
    },
  })
  callStatusesChanged(
    @Root() change: CallStatusesChange,
    @Arg("visibleTo", () => Audience, {
      nullable: true,
      description:
        "Only the statuses offered to this audience (AGENT and AI_AGENT callers always get their own).",
    })
    _visibleTo?: Audience | null,
    @Arg("afterCallTransfer", () => Boolean, {
      nullable: true,
      description: "With `visibleTo: AGENT`: also the statuses offered only after a call transfer.",
    })
    _afterCallTransfer?: boolean | null,
  ): CallStatusesChange {
    return change;
  }

  @Reusable()
  @Subscription(() => LeadStatusesChange, {
    description:
      "The lead statuses — the whole list and its revision — right after subscribing and after each committed change of them.",
    subscribe: ({ context }) => {
      const { container, principal } = context as CallerContext;
      return container.get(StatusWatch).leadStatusesChanged(principal);
    },
  })
  leadStatusesChanged(@Root() change: LeadStatusesChange): LeadStatusesChange {
    return change;
  }
}
