import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { CallService } from "../calls/call.service";
import { CallStatusService } from "../statuses/call-status.service";
import { AiResolver } from "./ai.resolver";
import { AiService } from "./ai.service";

/** The AI agents' interface: the outcome tool, recording what a model chose, setting lints. */
export const aiModule = defineModule({
  name: "ai",
  resolvers: [AiResolver],
  providers: [
    provide(AiService, (c) => new AiService(c.get(CallStatusService), c.get(CallService))),
  ],
});
