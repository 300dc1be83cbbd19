import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { APP_CONFIG } from "../config";
import { LOGGER } from "../logger";
import { WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookDispatcher } from "./webhook-dispatcher";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import { WebhookRepository } from "./webhook.repository";
import { WebhookResolver } from "./webhook.resolver";
import { WebhookService } from "./webhook.service";
import { SecretBox } from "./secret-box";

/**
 * Webhooks: endpoints per account, and the dispatcher that delivers the account change log to
 * them, signed (Standard Webhooks), at least once, in order per lead.
 */
export const webhooksModule = defineModule({
  name: "webhooks",
  entities: [WebhookEndpoint, WebhookDelivery],
  resolvers: [WebhookResolver],
  providers: [
    provide(SecretBox, (c) => new SecretBox(c.get(APP_CONFIG).webhooks.secretKey)),
    provide(WebhookRepository, (c) => new WebhookRepository(c.get(DataSource))),
    provide(WebhookDispatcher, (c) => {
      const config = c.get(APP_CONFIG).webhooks;
      return new WebhookDispatcher(
        c.get(DataSource),
        c.get(WebhookRepository),
        c.get(LOGGER),
        {
          allowPrivateAddresses: config.allowPrivateAddresses,
          timeoutMs: config.timeoutMs,
          schedule: {
            firstDelayMs: config.firstRetryDelayMs,
            maxDelayMs: config.maxRetryDelayMs,
            retryForMs: config.retryForMs,
          },
          disableAfterFailures: config.disableAfterFailures,
          concurrency: config.concurrency,
          pollMs: 1000,
          fanOutBatch: 500,
        },
        c.get(SecretBox),
      );
    }),
    provide(
      WebhookService,
      (c) =>
        new WebhookService(
          c.get(DataSource),
          c.get(WebhookRepository),
          { allowPrivateAddresses: c.get(APP_CONFIG).webhooks.allowPrivateAddresses },
          c.get(SecretBox),
          () => c.get(WebhookDispatcher).soon(),
        ),
    ),
  ],
});
