import { Query, Resolver } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { Reusable } from "../graphql/response-cache";
import { CallStatusService } from "./call-status.service";

@Resolver()
export class StatusesRevisionResolver {
  constructor(private readonly callStatuses: CallStatusService) {}

  @Reusable()
  @Query(() => String, {
    description:
      "The revision of the account's status settings (call and lead statuses) as the caller sees them: it changes whenever a committed change alters a list the caller can read, and is the `revision` the status subscriptions send. Opaque: compare it for equality only. A client holding lists of this revision holds current lists.",
  })
  statusesRevision(@Caller() actor: Principal): Promise<string> {
    return this.callStatuses.statusesRevision(actor);
  }
}
