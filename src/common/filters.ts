import { badUserInput } from "./errors";

/**
 * The value of a text filter of a list (leads, calls, the audit trail): null when the filter is
 * left out (absent or null), the value trimmed otherwise. A filter is either absent or means
 * something: an empty or blank value is BAD_USER_INPUT naming the field, never a filter quietly
 * dropped (a look-up by an empty external id would otherwise answer every lead).
 */
export function filterText(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed === "") {
    throw badUserInput(
      field,
      `${field} must not be empty or blank: leave the filter out to match all`,
    );
  }
  return trimmed;
}
