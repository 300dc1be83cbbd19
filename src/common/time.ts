/**
 * The current time truncated to whole seconds: timestamps are stored without fractions on every
 * database, so the value written in code equals the value read back.
 */
export function currentTimestamp(): Date {
  const now = new Date();
  now.setUTCMilliseconds(0);
  return now;
}

/**
 * A UTC timestamp as both databases store it (`YYYY-MM-DD HH:MM:SS`), for raw comparisons in
 * `where` clauses, where TypeORM does not convert Date parameters.
 */
export function sqlDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

/** The latest instant both databases can store (`DATETIME` ends with year 9999). */
const LATEST_STORABLE = Date.parse("9999-12-31T23:59:59Z");
/** The earliest instant accepted: year 1 (before it, ISO 8601 needs signed years). */
const EARLIEST_ACCEPTED = Date.parse("0001-01-01T00:00:00Z");

/** True for a valid date from year 1 to the end of year 9999 (UTC). */
export function isWithinStorableRange(date: Date): boolean {
  const time = date.getTime();
  return !Number.isNaN(time) && time >= EARLIEST_ACCEPTED && time <= LATEST_STORABLE;
}
