/**
 * How values appear in the `data` of change events (webhooks and the change feed), as in the
 * GraphQL API: ids as strings, times as ISO 8601 in UTC, nothing else changed. Each feature
 * builds its own events' data from these (the shapes are documented in docs/API.md).
 */

/** An id as the API gives it. */
export function eventId(id: number | string): string;
export function eventId(id: number | string | null | undefined): string | null;
export function eventId(id: number | string | null | undefined): string | null {
  return id === null || id === undefined ? null : String(id);
}

/** A time as the API gives it. */
export function eventTime(at: Date | null | undefined): string | null {
  return at ? new Date(at).toISOString() : null;
}

/** One field of a change: its value before and after, in event form. */
export interface EventFieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * The changed fields of an update, in event form: ids (fields named `…Id`) as strings, times as
 * ISO strings.
 */
export function eventChanges(
  changes: ReadonlyArray<{ field: string; before: unknown; after: unknown }>,
): EventFieldChange[] {
  return changes.map(({ field, before, after }) => ({
    field,
    before: eventValue(field, before),
    after: eventValue(field, after),
  }));
}

function eventValue(field: string, value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (field.endsWith("Id") && (typeof value === "number" || typeof value === "bigint")) {
    return String(value);
  }
  return value;
}
