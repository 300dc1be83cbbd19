import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { EVENT_BUS } from "../events/event-bus";
import { LOGGER } from "../logger";
import { ChangeFeed } from "./change-feed";
import { ChangeFeedResolver } from "./change-feed.resolver";
import { ChangeFeedHead } from "./change-feed-head.entity";
import { ChangeLog } from "./change-log";
import { ChangeSequencer } from "./change-sequencer";
import { ChangeLogEntry } from "./change.entity";
import { Lease } from "./lease.entity";
import { Leases } from "./leases";

/**
 * The account change log: every committed change, announced to live subscriptions, numbered
 * into each account's change feed (`Query.changes`).
 */
export const changesModule = defineModule({
  name: "changes",
  entities: [ChangeLogEntry, ChangeFeedHead, Lease],
  resolvers: [ChangeFeedResolver],
  providers: [
    provide(ChangeLog, (c) => new ChangeLog(c.get(DataSource), c.get(EVENT_BUS), c.get(LOGGER))),
    provide(Leases, (c) => new Leases(c.get(DataSource))),
    provide(
      ChangeSequencer,
      (c) => new ChangeSequencer(c.get(DataSource), c.get(Leases), c.get(LOGGER)),
    ),
    provide(ChangeFeed, (c) => new ChangeFeed(c.get(DataSource))),
  ],
});
