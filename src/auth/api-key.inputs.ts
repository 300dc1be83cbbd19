import { Field, InputType } from "type-graphql";
import { IsEnum } from "class-validator";
import { IsOptionalCode, IsTitle } from "../common/validation";
import type { CreateApiKeyParams } from "./api-key.service";
import { Role } from "../access/principal";

@InputType({ description: "A new API key." })
export class CreateApiKeyInput implements CreateApiKeyParams {
  @Field({
    description:
      'What the key is for, 1–255 characters, at least one of them visible, e.g. "settings UI" or "dialer eu-1".',
  })
  @IsTitle()
  name!: string;

  @Field(() => Role, { description: "What callers using the key may see and do." })
  @IsEnum(Role)
  role!: Role;

  @Field(() => String, {
    nullable: true,
    description:
      "The code of the account the key is for. PLATFORM: required, except for a PLATFORM key (which belongs to no account). ADMIN: leave it out, or give your own account's code.",
  })
  @IsOptionalCode()
  accountCode?: string | null;
}
