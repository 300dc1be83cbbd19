import { Field, InputType } from "type-graphql";
import { IsEnum, IsOptional } from "class-validator";
import { LeadStatusCategory } from "./status.enums";
import { IsColor, NotNullWhenGiven } from "../common/validation";
import { NewStatusFields, StatusChangeFields, StatusFilterFields } from "./status-base.inputs";
import type {
  CreateLeadStatusParams,
  LeadStatusFilterParams,
  UpdateLeadStatusParams,
} from "./lead-status.service";

@InputType({ description: "Narrows `leadStatuses`. All given conditions must hold." })
export class LeadStatusFilter extends StatusFilterFields implements LeadStatusFilterParams {
  @Field(() => LeadStatusCategory, { nullable: true, description: "Only this category." })
  @IsOptional()
  category?: LeadStatusCategory | null;
}

@InputType({ description: "A new custom lead status." })
export class CreateLeadStatusInput
  extends NewStatusFields("lead status")
  implements CreateLeadStatusParams
{
  @Field(() => LeadStatusCategory, { description: "Category of the new status." })
  @IsEnum(LeadStatusCategory)
  category!: LeadStatusCategory;

  @Field(() => String, {
    nullable: true,
    description: "Colour `#RRGGBB`. Default: `#9E9E9E` (grey).",
  })
  @IsColor()
  color?: string;
}

@InputType({
  description:
    "Changes to a lead status. Fields left out stay unchanged. The code and the type never change.",
})
export class UpdateLeadStatusInput extends StatusChangeFields implements UpdateLeadStatusParams {
  @Field(() => String, { nullable: true, description: "New colour `#RRGGBB`." })
  @IsColor()
  color?: string;

  @Field(() => LeadStatusCategory, {
    nullable: true,
    description: "New category. Only custom statuses can change category.",
  })
  @NotNullWhenGiven()
  category?: LeadStatusCategory;
}
