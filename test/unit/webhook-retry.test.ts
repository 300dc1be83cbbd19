import {
  DEFAULT_RETRY_SCHEDULE,
  nextAttemptAt,
  retryAfterMs,
} from "../../src/webhooks/retry-schedule";
import { orderKey } from "../../src/webhooks/webhook.repository";
import { ChangeType } from "../../src/changes/change.entity";

const HOUR = 3600_000;

describe("the webhook retry schedule", () => {
  const middle = () => 0.5; // no jitter

  it("doubles the wait from 5 s, up to 2 h", () => {
    const waits = [1, 2, 3, 4, 10, 12, 13, 20].map(
      (attempts) => nextAttemptAt(DEFAULT_RETRY_SCHEDULE, attempts, 0, 0, null, middle)! - 0,
    );
    expect(waits.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(waits[4]).toBe(5_000 * 2 ** 9);
    expect(waits.slice(5)).toEqual([2 * HOUR, 2 * HOUR, 2 * HOUR]);
  });

  it("draws each wait within ±25 %", () => {
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 1, 0, 0, null, () => 0)).toBe(3_750);
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 1, 0, 0, null, () => 0.999999)).toBe(6_250);
    const draws = Array.from({ length: 200 }, () =>
      nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 3, 0, 0)!,
    );
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(15_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(25_000);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });

  it("gives up once the next attempt would fall past the retry period (about 21 attempts a day)", () => {
    let now = 0;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const next = nextAttemptAt(DEFAULT_RETRY_SCHEDULE, attempts, 0, now, null, middle);
      if (next === null) break;
      now = next;
    }
    expect(now).toBeLessThanOrEqual(24 * HOUR);
    expect(now).toBeGreaterThan(22 * HOUR);
    expect(attempts).toBeGreaterThanOrEqual(20);
    expect(attempts).toBeLessThanOrEqual(22);
  });

  it("honours a longer Retry-After, up to the longest wait", () => {
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 1, 0, 0, 60_000, middle)).toBe(60_000);
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 1, 0, 0, 1_000, middle)).toBe(5_000);
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 1, 0, 0, 30 * HOUR, middle)).toBe(2 * HOUR);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-12-08T10:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Tue, 08 Dec 2026 10:01:00 GMT", now)).toBe(60_000);
    expect(retryAfterMs("Tue, 08 Dec 2026 09:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeNull();
    expect(retryAfterMs("soon", now)).toBeNull();
  });
});

describe("the order of an endpoint's deliveries", () => {
  it("is per lead for a lead's events and its calls, per status for the statuses", () => {
    expect(orderKey({ type: ChangeType.CALL_RECORDED, entityId: 9, leadId: 4 })).toBe("lead:4");
    expect(orderKey({ type: ChangeType.LEAD_UPDATED, entityId: 4, leadId: 4 })).toBe("lead:4");
    expect(orderKey({ type: ChangeType.CALL_STATUS_UPDATED, entityId: 4, leadId: null })).toBe(
      "call_status:4",
    );
    expect(orderKey({ type: ChangeType.LEAD_STATUS_CREATED, entityId: 4, leadId: null })).toBe(
      "lead_status:4",
    );
  });
});
