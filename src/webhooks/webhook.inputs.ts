import { Field, ID, InputType } from "type-graphql";
import { ArrayMaxSize, IsBoolean, IsOptional, IsString } from "class-validator";
import { IsOptionalText, NotNullWhenGiven, TrimmedLength } from "../common/validation";
import type { NewEndpointParams, EndpointChangeParams, RedeliveryParams } from "./webhook.service";
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS, URL_MAX_LENGTH } from "./webhook.limits";

const EVENTS_DESCRIPTION =
  "The event types to send: any of `call.recorded`, `lead.created`, `lead.updated`, `call_status.created`, `call_status.updated`, `lead_status.created`, `lead_status.updated` (at least one).";

@InputType({ description: "A new webhook endpoint." })
export class CreateWebhookEndpointInput implements NewEndpointParams {
  @Field({
    description: `Where to POST the events: an http(s) URL of at most ${URL_MAX_LENGTH} characters, without user or password, whose host resolves only to public addresses (unless the service allows private ones: WEBHOOKS_ALLOW_PRIVATE_ADDRESSES).`,
  })
  @IsString()
  @TrimmedLength(1, URL_MAX_LENGTH)
  url!: string;

  @Field(() => [String], { description: EVENTS_DESCRIPTION })
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events!: string[];

  @Field(() => String, {
    nullable: true,
    description: 'What the endpoint is for, up to 255 characters, e.g. "CRM sync".',
  })
  @IsOptionalText(255)
  description?: string | null;
}

@InputType({ description: "Changes to a webhook endpoint; a field left out keeps its value." })
export class UpdateWebhookEndpointInput implements EndpointChangeParams {
  @Field(() => String, {
    nullable: true,
    description: "A new URL (the same rules as at creation).",
  })
  @NotNullWhenGiven()
  @IsString()
  @TrimmedLength(1, URL_MAX_LENGTH)
  url?: string;

  @Field(() => [String], { nullable: true, description: EVENTS_DESCRIPTION })
  @NotNullWhenGiven()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events?: string[];

  @Field(() => Boolean, {
    nullable: true,
    description:
      "False stops deliveries (they wait); true resumes them — also for an endpoint the service turned off after failures, which then starts a new count of failures.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  active?: boolean;

  @Field(() => String, { nullable: true, description: "A new description; null clears it." })
  @IsOptionalText(255)
  description?: string | null;
}

@InputType({
  description:
    "What to send again: one event (`eventId`), or every event of the endpoint's types committed from `from` (inclusive) to `to` (exclusive).",
})
export class RedeliverWebhookEventsInput implements RedeliveryParams {
  @Field(() => ID, { nullable: true, description: "The event to send again (its `id`)." })
  @IsOptional()
  eventId?: string | null;

  @Field(() => Date, { nullable: true, description: "The start of a time range (UTC, inclusive)." })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: "The end of a time range (UTC, exclusive)." })
  @IsOptional()
  to?: Date | null;
}

export const OVERLAP_DESCRIPTION = `How long deliveries are also signed with the old secret, in seconds (0–${MAX_OVERLAP_SECONDS}, default ${DEFAULT_OVERLAP_SECONDS}: a day), so that receivers can move to the new one without refusing a delivery.`;
