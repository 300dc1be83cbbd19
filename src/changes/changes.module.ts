import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { EVENT_BUS } from "../events/event-bus";
import { LOGGER } from "../logger";
import { ChangeLogEntry } from "./change.entity";
import { ChangeLog } from "./change-log";

/** The account change log: every committed change, announced to live subscriptions. */
export const changesModule = defineModule({
  name: "changes",
  entities: [ChangeLogEntry],
  providers: [
    provide(ChangeLog, (c) => new ChangeLog(c.get(DataSource), c.get(EVENT_BUS), c.get(LOGGER))),
  ],
});
