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
