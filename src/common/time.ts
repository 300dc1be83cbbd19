/**
 * The current time truncated to whole seconds: timestamps are stored without fractions on every
 * database, so the value written in code equals the value read back.
 */
export function currentTimestamp(): Date {
  const now = new Date();
  now.setUTCMilliseconds(0);
  return now;
}
