import { Arg, Args, Query, Resolver } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { PageArgs, toConnection, type ConnectionShape } from "../graphql/connection";
import { ChangeFeed, type ChangeView } from "./change-feed";
import { ChangeConnection } from "./change.types";

@Resolver()
export class ChangeFeedResolver {
  constructor(private readonly feed: ChangeFeed) {}

  @Query(() => ChangeConnection, {
    description:
      "The account's change feed (ADMIN, SYSTEM): every committed change — calls recorded, leads created or moved, statuses created or changed — oldest first, each with what it was at commit. Keep `pageInfo.endCursor` and ask again with `after` to read on: nothing is skipped or repeated, whatever commits meanwhile. A change shows here within about a second of its commit, and is kept for `CHANGE_LOG_RETENTION_DAYS`.",
  })
  async changes(
    @Caller() actor: Principal,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("types", () => [String], {
      nullable: true,
      description:
        "Only changes of these types (`call.recorded`, `lead.created`, `lead.updated`, `call_status.created`, `call_status.updated`, `lead_status.created`, `lead_status.updated`); every type when left out.",
    })
    types?: string[] | null,
  ): Promise<ConnectionShape<ChangeView>> {
    return toConnection(await this.feed.page(page, types, actor));
  }
}
