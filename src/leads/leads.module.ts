import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { ChangeLog } from "../changes/change-log";
import { APP_CONFIG } from "../config";
import { LeadStatusService } from "../statuses/lead-status.service";
import { Lead } from "./lead.entity";
import { LeadNameWord } from "./lead-name-word.entity";
import { LeadLoaders } from "./lead.loaders";
import { LeadRepository } from "./lead.repository";
import { LeadResolver } from "./lead.resolver";
import { LeadService } from "./lead.service";

/** Leads: created by the dialer or a CRM import, moved by recorded calls. */
export const leadsModule = defineModule({
  name: "leads",
  entities: [Lead, LeadNameWord],
  resolvers: [LeadResolver],
  providers: [
    provide(LeadRepository, (c) => new LeadRepository(c.get(DataSource))),
    provide(
      LeadService,
      (c) =>
        new LeadService(
          c.get(DataSource),
          c.get(LeadRepository),
          c.get(LeadStatusService),
          c.get(ChangeLog),
          c.get(APP_CONFIG).leads,
        ),
    ),
    provide(LeadLoaders, (c) => new LeadLoaders(c.get(LeadService))),
  ],
});
