import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { ChangeLog } from "../changes/change-log";
import { APP_CONFIG } from "../config";
import { CallStatus } from "./call-status.entity";
import { CallStatusResolver } from "./call-status.resolver";
import { CallStatusService } from "./call-status.service";
import { LeadStatus } from "./lead-status.entity";
import { LeadStatusResolver } from "./lead-status.resolver";
import { LeadStatusService } from "./lead-status.service";
import { StatusCatalogs } from "./status-catalog";
import { CallStatusHistoryResolver, LeadStatusHistoryResolver } from "./status-history.resolver";
import { StatusRevision } from "./status-revision.entity";
import { StatusLoaders } from "./status.loaders";
import { StatusesRevisionResolver } from "./statuses-revision.resolver";
import { StatusSubscriptionsResolver } from "./status-subscriptions.resolver";
import { StatusWatch } from "./status-watch";

/** Call statuses and lead statuses: the settings, their in-memory lists and their history. */
export const statusesModule = defineModule({
  name: "statuses",
  entities: [LeadStatus, CallStatus, StatusRevision],
  resolvers: [
    CallStatusResolver,
    LeadStatusResolver,
    CallStatusHistoryResolver,
    LeadStatusHistoryResolver,
    StatusesRevisionResolver,
    StatusSubscriptionsResolver,
  ],
  providers: [
    provide(
      StatusCatalogs,
      (c) => new StatusCatalogs(c.get(DataSource), c.get(APP_CONFIG).statusCache, c.get(ChangeLog)),
    ),
    provide(
      LeadStatusService,
      (c) => new LeadStatusService(c.get(DataSource), c.get(StatusCatalogs)),
    ),
    provide(
      CallStatusService,
      (c) =>
        new CallStatusService(c.get(DataSource), c.get(LeadStatusService), c.get(StatusCatalogs)),
    ),
    provide(StatusWatch, (c) => new StatusWatch(c.get(StatusCatalogs), c.get(ChangeLog))),
    provide(
      StatusLoaders,
      (c) => new StatusLoaders(c.get(LeadStatusService), c.get(CallStatusService)),
    ),
  ],
});
