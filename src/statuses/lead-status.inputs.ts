import { Field, InputType, Int } from "type-graphql";
import { IsEnum, IsOptional, MaxLength } from "class-validator";
import { LeadStatusCategory, StatusType } from "./status.enums";
import {
  IsColor,
  IsExpectedVersion,
  IsOptionalCode,
  IsSort,
  IsTitle,
  NotNullWhenGiven,
} from "../common/validation";
import type {
  CreateLeadStatusParams,
  LeadStatusFilterParams,
  UpdateLeadStatusParams,
} from "./lead-status.service";

@InputType({ description: "Narrows `leadStatuses`. All given conditions must hold." })
export class LeadStatusFilter implements LeadStatusFilterParams {
  @Field(() => String, {
    nullable: true,
    description:
      "Case-insensitive part of the title or the code (any language; `%` and `_` are ordinary characters).",
  })
  @IsOptional()
  @MaxLength(255)
  search?: string | null;

  @Field(() => LeadStatusCategory, { nullable: true, description: "Only this category." })
  @IsOptional()
  category?: LeadStatusCategory | null;

  @Field(() => StatusType, { nullable: true, description: "Only system or only custom statuses." })
  @IsOptional()
  type?: StatusType | null;
}

@InputType({ description: "A new custom lead status." })
export class CreateLeadStatusInput implements CreateLeadStatusParams {
  @Field(() => String, {
    nullable: true,
    description:
      "Symbolic code, 2–64 characters `a-z`, `0-9`, `_`, starting with a letter; unique and never changes. Derived from the title when left out (transliterated, made unique with a numeric suffix).",
  })
  @IsOptionalCode()
  code?: string | null;

  @Field({ description: "Display name, 1–255 characters (leading and trailing spaces removed)." })
  @IsTitle()
  title!: string;

  @Field(() => LeadStatusCategory, { description: "Category of the new status." })
  @IsEnum(LeadStatusCategory)
  category!: LeadStatusCategory;

  @Field(() => String, {
    nullable: true,
    description: "Colour `#RRGGBB`. Default: `#9E9E9E` (grey).",
  })
  @IsColor()
  color?: string;

  @Field(() => Int, {
    nullable: true,
    description: "Position in lists (32-bit integer). Default: after the last lead status.",
  })
  @IsSort()
  sort?: number;
}

@InputType({
  description:
    "Changes to a lead status. Fields left out stay unchanged. The code and the type never change.",
})
export class UpdateLeadStatusInput implements UpdateLeadStatusParams {
  @Field(() => String, {
    nullable: true,
    description: "New display name, 1–255 characters (leading and trailing spaces removed).",
  })
  @IsTitle()
  title?: string;

  @Field(() => String, { nullable: true, description: "New colour `#RRGGBB`." })
  @IsColor()
  color?: string;

  @Field(() => Int, { nullable: true, description: "New position in lists (32-bit integer)." })
  @IsSort()
  sort?: number;

  @Field(() => LeadStatusCategory, {
    nullable: true,
    description: "New category. Only custom statuses can change category.",
  })
  @NotNullWhenGiven()
  category?: LeadStatusCategory;

  @Field(() => Int, {
    nullable: true,
    description:
      "The `version` you last read. When given and the status has changed since, the update is refused with CONFLICT and nothing is written.",
  })
  @IsExpectedVersion()
  expectedVersion?: number | null;
}
