import { ArgsType, Field, InputType } from "type-graphql";
import { IsBoolean, IsEnum, IsOptional, Matches } from "class-validator";
import { CODE_PATTERN, CODE_RULE_TEXT } from "../common/codes";
import { AgentVisibility, Audience, type AudienceFilter } from "../access/audience";
import { DESCRIPTION_MAX_LENGTH, IsOptionalText, NotNullWhenGiven } from "../common/validation";
import { NewStatusFields, StatusChangeFields, StatusFilterFields } from "./status-base.inputs";
import type {
  CallStatusFilterParams,
  CreateCallStatusParams,
  UpdateCallStatusParams,
} from "./call-status.service";

const VISIBLE_TO_DESCRIPTION =
  "Only statuses offered to this audience: AGENT → `agentVisibility` ALWAYS (plus AFTER_CALL_TRANSFER when `afterCallTransfer` is true); AI_AGENT → `showToAiAgents`.";
const AFTER_CALL_TRANSFER_DESCRIPTION =
  "With `visibleTo: AGENT`: the call was transferred to the agent, so AFTER_CALL_TRANSFER statuses are offered too. Ignored for other audiences.";

@InputType({ description: "Narrows `callStatuses`. All given conditions must hold." })
export class CallStatusFilter extends StatusFilterFields implements CallStatusFilterParams {
  @Field(() => Audience, { nullable: true, description: VISIBLE_TO_DESCRIPTION })
  @IsOptional()
  visibleTo?: Audience | null;

  @Field(() => Boolean, { nullable: true, description: AFTER_CALL_TRANSFER_DESCRIPTION })
  @IsOptional()
  afterCallTransfer?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: "Only statuses linked to the lead status with this code.",
  })
  @IsOptional()
  leadStatusCode?: string | null;
}

@ArgsType()
export class AudienceArgs implements AudienceFilter {
  @Field(() => Audience, { nullable: true, description: VISIBLE_TO_DESCRIPTION })
  @IsOptional()
  visibleTo?: Audience | null;

  @Field(() => Boolean, { nullable: true, description: AFTER_CALL_TRANSFER_DESCRIPTION })
  @IsOptional()
  afterCallTransfer?: boolean | null;
}

@InputType({ description: "A new custom call status." })
export class CreateCallStatusInput
  extends NewStatusFields("call status")
  implements CreateCallStatusParams
{
  @Field(() => String, {
    nullable: true,
    description: `What the outcome means, up to ${DESCRIPTION_MAX_LENGTH} characters. AI agents read it to choose.`,
  })
  @IsOptionalText(DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "A comment is required when finishing a call with it. Default: false.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  commentRequired?: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: "The next call time is required when finishing a call with it. Default: false.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  planningTimeRequired?: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      "Code of the lead status the lead moves to when a call is finished with this status. Null or left out: the lead status stays as it is.",
  })
  @IsOptional()
  @Matches(CODE_PATTERN, { message: `$property ${CODE_RULE_TEXT}` })
  leadStatusCode?: string | null;

  @Field(() => AgentVisibility, {
    nullable: true,
    description: "When human agents are offered it. Default: ALWAYS.",
  })
  @NotNullWhenGiven()
  @IsEnum(AgentVisibility)
  agentVisibility?: AgentVisibility;

  @Field(() => Boolean, {
    nullable: true,
    description: "AI voice agents may choose it. Default: false.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  showToAiAgents?: boolean;
}

@InputType({
  description:
    "Changes to a call status. Fields left out stay unchanged; `null` clears a nullable field. The code and the type never change.",
})
export class UpdateCallStatusInput extends StatusChangeFields implements UpdateCallStatusParams {
  @Field(() => String, {
    nullable: true,
    description: `New description, up to ${DESCRIPTION_MAX_LENGTH} characters; null or blank clears it.`,
  })
  @IsOptionalText(DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "A comment is required when finishing a call with it.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  commentRequired?: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: "The next call time is required when finishing a call with it.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  planningTimeRequired?: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      "Code of the lead status to link; `null` unlinks (finishing a call then leaves the lead status as it is).",
  })
  @IsOptional()
  @Matches(CODE_PATTERN, { message: `$property ${CODE_RULE_TEXT}` })
  leadStatusCode?: string | null;

  @Field(() => AgentVisibility, {
    nullable: true,
    description: "When human agents are offered it.",
  })
  @NotNullWhenGiven()
  @IsEnum(AgentVisibility)
  agentVisibility?: AgentVisibility;

  @Field(() => Boolean, { nullable: true, description: "AI voice agents may choose it." })
  @NotNullWhenGiven()
  @IsBoolean()
  showToAiAgents?: boolean;
}
