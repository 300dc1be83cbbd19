import { Field, InputType } from "type-graphql";
import { IsOptional, Matches, MaxLength } from "class-validator";
import { IsReadableText } from "../common/validation";
import { LeadStatusCategory } from "../statuses/status.enums";
import type { CreateLeadParams, LeadFilterParams } from "./lead.service";

@InputType({
  description:
    "A new lead. Each field may be left out (or null) for none; a field given empty or blank is refused with BAD_USER_INPUT naming it.",
})
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
  // Empty or blank is refused by LeadService, with every other optional field of a lead.
  @Matches(/^[0-9+\-(). ]{0,32}$/, {
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

@InputType({
  description:
    "Narrows `leads`. All given conditions must hold. A field given empty or blank is refused with BAD_USER_INPUT naming it: leave it out to match all.",
})
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
      'Words of the name, in any order: each must begin a word of the lead\'s name, ignoring case and accents (`ann smi` finds "Anna Smith", `zoe` finds "Zoë"). Words are letters and digits; anything else separates them. At least one word of 3 or more characters, at most 8 words. Served by an index of the account\'s own name words, so its cost depends on the account\'s leads only.',
  })
  @IsOptional()
  @MaxLength(255)
  search?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Only leads with this phone number, written any way a person would (`+44 20 7183 8750`, `0044 20 7183 8750`; without a country code when the service has a default region): compared in E.164 form, see `Lead.phoneE164`. A string that is not a phone number is BAD_USER_INPUT.",
  })
  @IsOptional()
  @MaxLength(64)
  phone?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only the lead with exactly this external id (case and accents count).",
  })
  @IsOptional()
  @MaxLength(255)
  externalId?: string | null;
}
