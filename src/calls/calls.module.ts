import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { ChangeLog } from "../changes/change-log";
import { LeadRepository } from "../leads/lead.repository";
import { CallStatusService } from "../statuses/call-status.service";
import { Call } from "./call.entity";
import { CallLoaders } from "./call.loaders";
import { CallRepository } from "./call.repository";
import { CallResolver, LeadCallsResolver } from "./call.resolver";
import { CallService } from "./call.service";
import { LeadSubscriptionsResolver } from "./lead-subscriptions.resolver";
import { LeadWatch } from "./lead-watch";

/** Recorded calls: the outcome flow (a call's result moves its lead) and retention. */
export const callsModule = defineModule({
  name: "calls",
  entities: [Call],
  resolvers: [CallResolver, LeadCallsResolver, LeadSubscriptionsResolver],
  providers: [
    provide(CallRepository, (c) => new CallRepository(c.get(DataSource))),
    provide(
      CallService,
      (c) =>
        new CallService(
          c.get(DataSource),
          c.get(CallRepository),
          c.get(LeadRepository),
          c.get(CallStatusService),
          c.get(ChangeLog),
        ),
    ),
    provide(
      LeadWatch,
      (c) => new LeadWatch(c.get(LeadRepository), c.get(CallRepository), c.get(ChangeLog)),
    ),
    provide(CallLoaders, (c) => new CallLoaders(c.get(CallService))),
  ],
});
