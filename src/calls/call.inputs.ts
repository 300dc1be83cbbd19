import { Field, ID, InputType } from "type-graphql";
import { IsOptional } from "class-validator";
import { COMMENT_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH } from "./call.limits";
import type { CallFilterParams, RecordCallResultParams } from "./call.service";

@InputType({ description: "The outcome of a finished call." })
export class RecordCallResultInput implements RecordCallResultParams {
  @Field(() => ID, { description: "The lead that was called." })
  leadId!: string;

  @Field({
    description:
      "Code of the chosen call status. Agents may use agent-visible ones (AFTER_CALL_TRANSFER only with `afterCallTransfer: true`), AI agents AI-visible ones, the dialer and administrators any.",
  })
  callStatusCode!: string;

  @Field(() => String, {
    nullable: true,
    description: `Comment, up to ${COMMENT_MAX_LENGTH} characters; required (not blank) when the call status has \`commentRequired\`.`,
  })
  // Its length and characters are checked by CallService, the same for every way of recording.
  @IsOptional()
  comment?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "The call was transferred to the agent finishing it. Default: false.",
  })
  @IsOptional()
  afterCallTransfer?: boolean | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "When to call the lead next; must be in the future. Required when the call status has `planningTimeRequired`.",
  })
  @IsOptional()
  nextCallAt?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: `Any unique string (1–${IDEMPOTENCY_KEY_MAX_LENGTH} characters, not blank, e.g. a UUID) to make retries safe: the same key with the same input returns the original result and writes nothing; with other input it is refused with CONFLICT. Leave it out (or null) to record without one; empty or blank is refused with BAD_USER_INPUT.`,
  })
  // Checked by CallService, the same for every way of recording.
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({
  description:
    "Narrows `calls`. All given conditions must hold. A field given empty or blank is refused with BAD_USER_INPUT naming it: leave it out to match all.",
})
export class CallFilter implements CallFilterParams {
  @Field(() => ID, { nullable: true, description: "Only calls of this lead." })
  @IsOptional()
  leadId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only calls finished with this call status.",
  })
  @IsOptional()
  callStatusCode?: string | null;

  @Field(() => Date, { nullable: true, description: "Only calls recorded at or after this time." })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: "Only calls recorded before this time." })
  @IsOptional()
  to?: Date | null;
}
