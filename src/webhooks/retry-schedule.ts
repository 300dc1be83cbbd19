/**
 * When a failed delivery is tried again: exponential backoff with jitter, for a bounded period.
 * The n-th retry waits `firstDelayMs × 2^(n−1)`, at most `maxDelayMs`, each wait drawn within
 * ±25 % of that (so that the deliveries of an endpoint that was down do not all come back at
 * once); a `Retry-After` the endpoint sent is honoured when longer (up to `maxDelayMs`). A
 * delivery whose next attempt would fall later than `retryForMs` after its first attempt has
 * failed for good. With the defaults (5 s, 2 h, 24 h): retries after about 5 s, 10 s, 20 s, …,
 * then every 2 h, some 21 attempts over a day.
 */

export interface RetrySchedule {
  /** The wait before the first retry (ms). */
  firstDelayMs: number;
  /** The longest wait between two attempts (ms). */
  maxDelayMs: number;
  /** How long after its first attempt a delivery is still tried (ms). */
  retryForMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  firstDelayMs: 5_000,
  maxDelayMs: 2 * 3600_000,
  retryForMs: 24 * 3600_000,
};

/** The share of a wait drawn at random either way. */
const JITTER = 0.25;

/**
 * When to try again after `attempts` failed attempts (ms since the epoch), or null when the
 * delivery has failed for good. `firstAttemptAt`: when its first attempt was made.
 */
export function nextAttemptAt(
  schedule: RetrySchedule,
  attempts: number,
  firstAttemptAt: number,
  now: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  const base = Math.min(
    schedule.maxDelayMs,
    schedule.firstDelayMs * 2 ** Math.max(0, attempts - 1),
  );
  let wait = base * (1 - JITTER + 2 * JITTER * random());
  if (retryAfterMs !== null && retryAfterMs > wait)
    wait = Math.min(retryAfterMs, schedule.maxDelayMs);
  const at = now + Math.round(wait);
  return at - firstAttemptAt > schedule.retryForMs ? null : at;
}

/**
 * A `Retry-After` header's wait in ms (seconds, or an HTTP date), or null when absent or
 * unreadable.
 */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
