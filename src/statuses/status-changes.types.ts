import { Field, ObjectType } from "type-graphql";
import { Reusable } from "../graphql/response-cache";
import { CallStatus } from "./call-status.entity";
import { LeadStatus } from "./lead-status.entity";

// Made from the status catalog alone: one answer per account and role (see `Reusable`).
@Reusable()
@ObjectType({
  description:
    "The call statuses the subscriber may see, whole, as of one revision: sent on subscribing and after each committed change that alters them.",
})
export class CallStatusesChange {
  @Field({
    description:
      "The revision of the status settings as the subscriber sees them (the same as `Query.statusesRevision`).",
  })
  revision!: string;

  @Field(() => [CallStatus], {
    description:
      "Every call status the subscription's audience may see, ordered by `sort`, then id (as `callStatuses` with the same `visibleTo` and `afterCallTransfer`).",
  })
  callStatuses!: CallStatus[];
}

@Reusable()
@ObjectType({
  description:
    "The lead statuses, whole, as of one revision: sent on subscribing and after each committed change of them.",
})
export class LeadStatusesChange {
  @Field({
    description:
      "The revision of the status settings as the subscriber sees them (the same as `Query.statusesRevision`).",
  })
  revision!: string;

  @Field(() => [LeadStatus], { description: "Every lead status, ordered by `sort`, then id." })
  leadStatuses!: LeadStatus[];
}
