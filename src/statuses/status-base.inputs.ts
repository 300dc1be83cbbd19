/**
 * Input fields that mean the same and are checked the same for both status kinds. These classes
 * are never an argument themselves, so they never appear in the schema: each kind's inputs extend
 * them and declare only their own fields.
 */
import { Field, InputType, Int } from "type-graphql";
import { IsOptional, MaxLength } from "class-validator";
import { StatusType } from "./status.enums";
import { IsExpectedVersion, IsOptionalCode, IsSort, IsTitle } from "../common/validation";
import type { NewStatusParams, StatusChangeParams } from "./status-persistence";

/**
 * The fields of a new status. `kind` ("call status") is in the description of `sort` because a
 * left-out position follows the last status of the new status's own list.
 */
export function NewStatusFields(kind: string) {
  @InputType()
  abstract class NewStatusFields implements NewStatusParams {
    @Field(() => String, {
      nullable: true,
      description:
        "Symbolic code, 2–64 characters `a-z`, `0-9`, `_`, starting with a letter; unique and never changes. Derived from the title when left out (transliterated, made unique with a numeric suffix).",
    })
    @IsOptionalCode()
    code?: string | null;

    @Field({
      description:
        "Display name, 1–255 characters (leading and trailing spaces removed), at least one of them visible.",
    })
    @IsTitle()
    title!: string;

    @Field(() => Int, {
      nullable: true,
      description: `Position in lists (32-bit integer). Default: after the last ${kind}.`,
    })
    @IsSort()
    sort?: number;
  }
  return NewStatusFields;
}

/** The changes any status takes: left out, a field stays as it is. */
@InputType()
export abstract class StatusChangeFields implements StatusChangeParams {
  @Field(() => String, {
    nullable: true,
    description:
      "New display name, 1–255 characters (leading and trailing spaces removed), at least one of them visible.",
  })
  @IsTitle()
  title?: string;

  @Field(() => Int, { nullable: true, description: "New position in lists (32-bit integer)." })
  @IsSort()
  sort?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      "The `version` you last read. When given and the status has changed since, the update is refused with CONFLICT and nothing is written.",
  })
  @IsExpectedVersion()
  expectedVersion?: number | null;
}

/** The conditions any status list can be narrowed by. */
@InputType()
export abstract class StatusFilterFields {
  @Field(() => String, {
    nullable: true,
    description:
      "Case-insensitive part of the title or the code (any language; `%` and `_` are ordinary characters). Empty or blank matches every status (an emptied search box).",
  })
  @IsOptional()
  @MaxLength(255)
  search?: string | null;

  @Field(() => StatusType, { nullable: true, description: "Only system or only custom statuses." })
  @IsOptional()
  type?: StatusType | null;
}
