import { Field, InputType } from "type-graphql";
import { IsBoolean } from "class-validator";
import { IsOptionalCode, IsTitle, NotNullWhenGiven } from "../common/validation";
import type { CreateAccountParams, UpdateAccountParams } from "./account.service";

@InputType({ description: "A new account (one call centre)." })
export class CreateAccountInput implements CreateAccountParams {
  @Field(() => String, {
    nullable: true,
    description:
      "Symbolic code, 2–64 characters `a-z`, `0-9`, `_`, starting with a letter; unique and never changes. Derived from the name when left out.",
  })
  @IsOptionalCode()
  code?: string | null;

  @Field({ description: "Display name, 1–255 characters, at least one of them visible." })
  @IsTitle()
  name!: string;
}

@InputType({ description: "Changes to an account. Fields left out stay unchanged." })
export class UpdateAccountInput implements UpdateAccountParams {
  @Field(() => String, {
    nullable: true,
    description: "New display name, 1–255 characters, at least one of them visible.",
  })
  @IsTitle()
  name?: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "False turns the account off: every credential of it answers 401 until it is turned on again.",
  })
  @NotNullWhenGiven()
  @IsBoolean()
  active?: boolean;
}
