import { badUserInput, invalidInput, type FieldError } from "./errors";

/** True for text that is empty or only white space (what `trim()` removes: spaces, tabs, breaks). */
export function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** What a given value of `field` that is empty or blank is told, with what to send instead. */
export function blankMessage(field: string, instead: string): string {
  return `${field} must not be empty or blank: ${instead}`;
}

/**
 * The value of a text filter of a list (leads, calls, the audit trail): null when the filter is
 * left out (absent or null), the value trimmed otherwise. A filter is either absent or means
 * something: an empty or blank value is BAD_USER_INPUT naming the field, never a filter quietly
 * dropped (a look-up by an empty external id would otherwise answer every lead).
 */
export function filterText(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (isBlank(value)) {
    throw badUserInput(field, blankMessage(field, "leave the filter out to match all"));
  }
  return value.trim();
}

/**
 * Optional text inputs that are stored (an identifier, a code, a name): each is null when left
 * out (absent or null) and trimmed otherwise. "None" is said by leaving a field out: an empty or
 * blank value is refused, never quietly stored as none (an emptied form field or a lost CRM id
 * would otherwise create a record without the identifier the client meant to give). One
 * BAD_USER_INPUT names every blank field.
 */
export function optionalTexts<K extends string>(
  input: Partial<Record<K, string | null>>,
  fields: readonly K[],
): Record<K, string | null> {
  const values = {} as Record<K, string | null>;
  const problems: FieldError[] = [];
  for (const field of fields) {
    const value = input[field];
    values[field] = value === undefined || value === null ? null : value.trim();
    if (typeof value === "string" && isBlank(value)) {
      problems.push({ field, message: blankMessage(field, "leave it out or send null for none") });
    }
  }
  if (problems.length > 0) throw invalidInput(problems);
  return values;
}
