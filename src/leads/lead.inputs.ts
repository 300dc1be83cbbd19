import { Field, InputType } from "type-graphql";
import { IsOptional, Matches, MaxLength } from "class-validator";
import { IsReadableText } from "../common/validation";
import { LeadStatusCategory } from "../statuses/status.enums";
import type { CreateLeadParams, LeadFilterParams } from "./lead.service";

@InputType({ description: "A new lead." })
export class CreateLeadInput implements CreateLeadParams {
  @Field(() => String, {
    nullable: true,
    description: "The lead's id in the system it comes from, up to 255 characters; unique.",
  })
  @IsOptional()
  @MaxLength(255)
  @IsReadableText()
  externalId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Phone number: digits, spaces and + - ( ) . only, up to 32 characters.",
  })
  @IsOptional()
  @Matches(/^[0-9+\-(). ]{1,32}$/, {
    message: "$property must be up to 32 digits, spaces and + - ( ) .",
  })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: "Name, up to 255 characters." })
  @IsOptional()
  @MaxLength(255)
  @IsReadableText()
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Code of the starting lead status: one of the IN_PROGRESS category. Default: `new`.",
  })
  @IsOptional()
  statusCode?: string | null;
}

@InputType({ description: "Narrows `leads`. All given conditions must hold." })
export class LeadFilter implements LeadFilterParams {
  @Field(() => String, {
    nullable: true,
    description: "Only leads in the lead status with this code.",
  })
  @IsOptional()
  statusCode?: string | null;

  @Field(() => LeadStatusCategory, {
    nullable: true,
    description: "Only leads whose status is in this category.",
  })
  @IsOptional()
  category?: LeadStatusCategory | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Case-insensitive part of the name, the phone or the external id (`%` and `_` are ordinary characters).",
  })
  @IsOptional()
  @MaxLength(255)
  search?: string | null;
}
