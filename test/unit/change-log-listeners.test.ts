/**
 * ChangeLog.subscribe (changes/change-log.ts) with many listeners: an announcement is parsed
 * once, however many live subscriptions of the account hear it, and the event they share (and
 * each of its notices) is frozen; another account's listeners hear nothing of it.
 */
import { ChangeLog, type ChangeEvent } from "../../src/changes/change-log";
import { ChangeType } from "../../src/changes/change.entity";
import { InProcessBus } from "../../src/events/event-bus";
import type { Logger } from "../../src/logger";
import type { DataSource } from "typeorm";

const delivered = () => new Promise((resolve) => setImmediate(resolve));

function changeLog() {
  const bus = new InProcessBus();
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, message: string) => warnings.push(message) };
  const log = new ChangeLog({} as DataSource, bus, logger as unknown as Logger);
  return { bus, log, warnings };
}

describe("ChangeLog listeners", () => {
  afterEach(() => jest.restoreAllMocks());

  it("parses an announcement once for all of an account's listeners, and shares it frozen", async () => {
    const { bus, log } = changeLog();
    const heard: ChangeEvent[] = [];
    const other: ChangeEvent[] = [];
    const stops = Array.from({ length: 1000 }, () => log.subscribe(1, (e) => heard.push(e)));
    stops.push(log.subscribe(2, (e) => other.push(e)));
    const event: ChangeEvent = {
      accountId: 1,
      changes: [
        { id: 7, type: ChangeType.CALL_RECORDED, entityId: 3, leadId: 5, revision: null },
        { id: 8, type: ChangeType.LEAD_UPDATED, entityId: 5, leadId: 5, revision: null },
      ],
    };
    const parse = jest.spyOn(JSON, "parse");
    bus.publish("changes:1", JSON.stringify(event));
    await delivered();
    expect(parse).toHaveBeenCalledTimes(1);
    expect(heard).toHaveLength(1000);
    expect(heard[0]).toEqual(event);
    expect(heard.every((e) => e === heard[0])).toBe(true);
    expect(Object.isFrozen(heard[0])).toBe(true);
    expect(heard[0].changes.every((notice) => Object.isFrozen(notice))).toBe(true);
    expect(other).toEqual([]);

    // The next announcement, even with the same text, is heard again by every listener.
    bus.publish("changes:1", JSON.stringify(event));
    await delivered();
    expect(heard).toHaveLength(2000);
    for (const stop of stops) stop();
  });

  it("warns once for an announcement that is not JSON, and calls no listener", async () => {
    const { bus, log, warnings } = changeLog();
    let calls = 0;
    const stops = Array.from({ length: 10 }, () => log.subscribe(1, () => (calls += 1)));
    bus.publish("changes:1", "{not json");
    await delivered();
    expect(calls).toBe(0);
    expect(warnings).toEqual(["change event: not JSON, ignored"]);
    for (const stop of stops) stop();
  });

  it("ignores an announcement whose account is not the channel's", async () => {
    const { bus, log } = changeLog();
    let calls = 0;
    const stop = log.subscribe(1, () => (calls += 1));
    bus.publish("changes:1", JSON.stringify({ accountId: 2, changes: [] }));
    await delivered();
    expect(calls).toBe(0);
    stop();
  });
});
