import { Field, InputType } from "type-graphql";
import { IsBoolean } from "class-validator";
import {
  IsOptionalCode,
  IsReadableText,
  NotNullWhenGiven,
  TrimmedLength,
} from "../common/validation";
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

  @Field({ description: "Display name, 1–255 characters." })
  @TrimmedLength(1, 255)
  @IsReadableText()
  name!: string;
}

@InputType({ description: "Changes to an account. Fields left out stay unchanged." })
export class UpdateAccountInput implements UpdateAccountParams {
  @Field(() => String, { nullable: true, description: "New display name, 1–255 characters." })
  @NotNullWhenGiven()
  @TrimmedLength(1, 255)
  @IsReadableText()
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
