/**
 * Input rules shared by the status inputs, as class-validator decorators. Messages name the
 * field (`$property`) so that clients can show them next to the form field.
 */
import {
  IsDefined,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from "class-validator";
import { CODE_PATTERN, CODE_RULE_TEXT } from "./codes";
import { hasVisibleCharacter, NOTHING_VISIBLE, unreadableTextProblem } from "./text";

export const TITLE_MAX_LENGTH = 255;
export const DESCRIPTION_MAX_LENGTH = 1000;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Length in characters (Unicode code points), as MySQL counts them. */
export function characterLength(text: string): number {
  return Array.from(text).length;
}

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of decorators) decorator(target, key);
  };
}

/** The field may be absent, but `null` is refused: the field is not nullable. */
export function NotNullWhenGiven(): PropertyDecorator {
  return compose(
    ValidateIf((object: Record<string | symbol, unknown>, value: unknown) => value !== undefined),
    IsDefined({ message: "$property cannot be null; leave it out to keep the current value" }),
  );
}

/** A string of 1 to `max` characters once leading and trailing spaces are removed. */
export function TrimmedLength(min: number, max: number, options?: ValidationOptions) {
  return ValidateBy(
    {
      name: "trimmedLength",
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== "string") return false;
          const length = characterLength(value.trim());
          return length >= min && length <= max;
        },
        defaultMessage: () =>
          min > 0
            ? `$property must be ${min}–${max} characters long (leading and trailing spaces are ignored)`
            : `$property must be at most ${max} characters long`,
      },
    },
    options,
  );
}

/**
 * Text people will read (see `unreadableTextProblem`): one line, or with `multiline`, also line
 * breaks and tabs; never other control characters or bidirectional overrides. Judged on the text
 * as stored: white space around it is trimmed away, not refused.
 */
export function IsReadableText(options: { multiline?: boolean } = {}) {
  const multiline = options.multiline === true;
  return ValidateBy({
    name: "readableText",
    validator: {
      validate: (value: unknown) =>
        typeof value !== "string" || unreadableTextProblem(value.trim(), multiline) === undefined,
      defaultMessage: (args) =>
        `$property ${unreadableTextProblem(String(args?.value).trim(), multiline) ?? "is not readable text"}`,
    },
  });
}

/** Text that shows something (see `hasVisibleCharacter`); other types are left to other checks. */
export function HasVisibleCharacter() {
  return ValidateBy({
    name: "hasVisibleCharacter",
    validator: {
      validate: (value: unknown) => typeof value !== "string" || hasVisibleCharacter(value),
      defaultMessage: () => `$property ${NOTHING_VISIBLE}`,
    },
  });
}

/**
 * A required-when-given title or display name (of call and lead statuses, accounts, API keys):
 * one readable line of 1–255 characters after trimming, with a visible character in it.
 */
export function IsTitle(): PropertyDecorator {
  return compose(
    NotNullWhenGiven(),
    TrimmedLength(1, TITLE_MAX_LENGTH),
    IsReadableText(),
    HasVisibleCharacter(),
  );
}

/** An optional, nullable free text of at most `max` characters after trimming (line breaks allowed). */
export function IsOptionalText(max: number): PropertyDecorator {
  return compose(IsOptional(), TrimmedLength(0, max), IsReadableText({ multiline: true }));
}

/** A symbolic code; absent or null means "derive it from the title". */
export function IsOptionalCode(): PropertyDecorator {
  return compose(IsOptional(), Matches(CODE_PATTERN, { message: `$property ${CODE_RULE_TEXT}` }));
}

/** A sort position: a 32-bit integer. */
export function IsSort(): PropertyDecorator {
  return compose(
    NotNullWhenGiven(),
    IsInt({ message: "$property must be a whole number" }),
    Min(INT32_MIN, { message: `$property must be at least ${INT32_MIN}` }),
    Max(INT32_MAX, { message: `$property must be at most ${INT32_MAX}` }),
  );
}

/** A colour `#RRGGBB`. */
export function IsColor(): PropertyDecorator {
  return compose(
    NotNullWhenGiven(),
    Matches(/^#[0-9A-Fa-f]{6}$/, { message: "$property must be a colour in the form #RRGGBB" }),
  );
}

/** A version number for optimistic concurrency (`expectedVersion`). */
export function IsExpectedVersion(): PropertyDecorator {
  return compose(
    IsOptional(),
    IsInt({ message: "$property must be a whole number" }),
    Min(1, { message: "$property must be at least 1" }),
  );
}
