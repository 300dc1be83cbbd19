import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { Call } from "./call.entity";
import { CallLoaders } from "./call.loaders";
import { CallResolver, LeadCallsResolver } from "./call.resolver";
import { CallService } from "./call.service";

/** Recorded calls: the outcome flow (a call's result moves its lead) and retention. */
export const callsModule = defineModule({
  name: "calls",
  entities: [Call],
  resolvers: [CallResolver, LeadCallsResolver],
  providers: [
    provide(CallService, (c) => new CallService(c.get(DataSource))),
    provide(CallLoaders, (c) => new CallLoaders(c.get(CallService))),
  ],
});
