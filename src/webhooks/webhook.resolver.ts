import { Arg, Args, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import {
  connectionType,
  PageArgs,
  toConnection,
  type ConnectionShape,
} from "../graphql/connection";
import { DeliveryStatus, WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import {
  CreateWebhookEndpointInput,
  OVERLAP_DESCRIPTION,
  RedeliverWebhookEventsInput,
  UpdateWebhookEndpointInput,
} from "./webhook.inputs";
import { WebhookService, type EndpointWithSecret } from "./webhook.service";

@ObjectType({
  description:
    "A webhook endpoint with its signing secret, which is shown only now: at creation and at each rotation.",
})
class WebhookEndpointWithSecret implements EndpointWithSecret {
  @Field(() => WebhookEndpoint, { description: "The endpoint, as `webhookEndpoints` lists it." })
  endpoint!: WebhookEndpoint;

  @Field({
    description:
      "The signing secret (`whsec_` + base64), for the receiver to verify each delivery's `webhook-signature` (Standard Webhooks). Store it now: it is never shown again.",
  })
  secret!: string;
}

const WebhookDeliveryConnection = connectionType(
  WebhookDelivery,
  "WebhookDelivery",
  "webhook delivery",
);

@Resolver()
export class WebhookResolver {
  constructor(private readonly webhooks: WebhookService) {}

  @Query(() => [WebhookEndpoint], {
    description: "The account's webhook endpoints, oldest first (ADMIN only). Never their secrets.",
  })
  webhookEndpoints(@Caller() actor: Principal): Promise<WebhookEndpoint[]> {
    return this.webhooks.list(actor);
  }

  @Query(() => WebhookDeliveryConnection, {
    description:
      "The delivery log of one endpoint, newest first (ADMIN only): each event sent or to be sent, its attempts, the last HTTP status and latency, and when the next attempt is due.",
  })
  async webhookDeliveries(
    @Caller() actor: Principal,
    @Arg("endpointId", () => ID, { description: "The endpoint whose deliveries to list." })
    endpointId: string,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("status", () => DeliveryStatus, {
      nullable: true,
      description: "Only deliveries in this state; all when left out.",
    })
    status?: DeliveryStatus | null,
  ): Promise<ConnectionShape<WebhookDelivery>> {
    return toConnection(await this.webhooks.deliveries(endpointId, status, page, actor));
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description:
      "Creates a webhook endpoint (ADMIN only): the account's changes of the chosen types, from now on, are POSTed to its URL, signed. Returns the signing secret, once. An account may have 20 endpoints.",
  })
  createWebhookEndpoint(
    @Caller() actor: Principal,
    @Arg("input", () => CreateWebhookEndpointInput, {
      description: "The endpoint's URL, event types and description.",
    })
    input: CreateWebhookEndpointInput,
  ): Promise<EndpointWithSecret> {
    return this.webhooks.create(input, actor);
  }

  @Mutation(() => WebhookEndpoint, {
    description:
      "Changes a webhook endpoint's URL, event types, description, or turns it off or on again (ADMIN only). Audited.",
  })
  updateWebhookEndpoint(
    @Caller() actor: Principal,
    @Arg("id", () => ID, { description: "The endpoint to change." }) id: string,
    @Arg("input", () => UpdateWebhookEndpointInput, { description: "What to change." })
    input: UpdateWebhookEndpointInput,
  ): Promise<WebhookEndpoint> {
    return this.webhooks.update(id, input, actor);
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description:
      "Gives a webhook endpoint a new signing secret and returns it, once (ADMIN only). During the overlap each delivery carries two signatures, by the new secret and by the old one. Audited (never the secrets).",
  })
  rotateWebhookEndpointSecret(
    @Caller() actor: Principal,
    @Arg("id", () => ID, { description: "The endpoint whose secret to replace." }) id: string,
    @Arg("overlapSeconds", () => Int, { nullable: true, description: OVERLAP_DESCRIPTION })
    overlapSeconds?: number | null,
  ): Promise<EndpointWithSecret> {
    return this.webhooks.rotateSecret(id, overlapSeconds, actor);
  }

  @Mutation(() => Int, {
    description:
      "Sends events to an endpoint again (ADMIN only): one event, or every event of the endpoint's types in a time range (at most 10,000 at a time), each as a new delivery, in order with the lead's other events. Answers how many were queued. Only events still kept (CHANGE_LOG_RETENTION_DAYS) can be sent.",
  })
  redeliverWebhookEvents(
    @Caller() actor: Principal,
    @Arg("endpointId", () => ID, { description: "The endpoint to send to." }) endpointId: string,
    @Arg("input", () => RedeliverWebhookEventsInput, { description: "Which events." })
    input: RedeliverWebhookEventsInput,
  ): Promise<number> {
    return this.webhooks.redeliver(endpointId, input, actor);
  }
}
