/**
 * StatusWatch (statuses/status-watch.ts) with many subscribers of one account: one change log
 * listener for all of them, so that a change that is not a status change (a recorded call, a
 * lead) is told apart once, not once per subscriber; a status change still reaches every one;
 * the listener goes with the account's last subscriber.
 */
import { Role, type Principal } from "../../src/access/principal";
import { ChangeType } from "../../src/changes/change.entity";
import type { StatusCatalogs, StatusSnapshot } from "../../src/statuses/status-catalog";
import { StatusWatch } from "../../src/statuses/status-watch";
import { fakeChangeLog } from "../support/fake-change-log";

const admin: Principal = {
  role: Role.ADMIN,
  actorId: "key:1",
  via: "api_key",
  accountId: 1,
  accountCode: "default",
};

/** Lists at `revision`: one call status whose version is the revision (so every list differs). */
function snapshot(revision: number): StatusSnapshot {
  return {
    revision,
    leadStatuses: [],
    callStatuses: [{ id: 1, version: revision, leadStatus: null }],
  } as unknown as StatusSnapshot;
}

function setUp() {
  const { changes, changeLog, listeners, announce: send } = fakeChangeLog();
  const catalog = { atLeast: jest.fn(async (revision: number) => snapshot(Math.max(revision, 1))) };
  const watch = new StatusWatch(catalog as unknown as StatusCatalogs, changeLog);
  const announce = (type: ChangeType, revision: number | null) =>
    send({ accountId: 1, changes: [{ id: 1, type, entityId: 1, leadId: null, revision }] });
  return { watch, changes, changeLog, listeners, catalog, announce };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("StatusWatch listeners", () => {
  it("listens once per account, renders nothing for other changes, and tells every subscriber of a status change", async () => {
    const { watch, changes, listeners, catalog, announce } = setUp();
    const feeds = Array.from({ length: 1000 }, () => watch.callStatusesChanged(admin, {}));
    const firsts = await Promise.all(feeds.map((feed) => feed.next()));
    expect(firsts.every((r) => r.value.revision === "1")).toBe(true);
    expect(changes.subscribe).toHaveBeenCalledTimes(1);
    expect(listeners.size).toBe(1);
    const rendered = catalog.atLeast.mock.calls.length;

    const seconds = feeds.map((feed) => feed.next());
    announce(ChangeType.CALL_RECORDED, null);
    announce(ChangeType.LEAD_UPDATED, null);
    await tick();
    expect(catalog.atLeast).toHaveBeenCalledTimes(rendered);

    announce(ChangeType.CALL_STATUS_UPDATED, 5);
    const next = await Promise.all(seconds);
    expect(next.every((r) => !r.done && r.value.revision === "5")).toBe(true);

    for (const feed of feeds.slice(1)) await feed.return!();
    expect(listeners.size).toBe(1);
    await feeds[0].return!();
    expect(listeners.size).toBe(0);

    // A new subscriber listens again.
    const again = watch.callStatusesChanged(admin, {});
    await again.next();
    expect(changes.subscribe).toHaveBeenCalledTimes(2);
    expect(listeners.size).toBe(1);
    await again.return!();
    expect(listeners.size).toBe(0);
  });
});

describe("StatusWatch views", () => {
  const agent: Principal = { ...admin, role: Role.AGENT, actorId: "key:2" };
  const ai: Principal = { ...admin, role: Role.AI_AGENT, actorId: "key:3" };

  it("makes each list once per snapshot and audience: subscribers of one audience get one object", async () => {
    const lists = {
      revision: 3,
      leadStatuses: [{ id: 1, version: 1 }],
      callStatuses: [
        { id: 1, version: 1, agentVisibility: "ALWAYS", showToAiAgents: false, leadStatus: null },
        { id: 2, version: 1, agentVisibility: "NEVER", showToAiAgents: true, leadStatus: null },
      ],
    } as unknown as StatusSnapshot;
    const { changeLog } = setUp();
    const catalog = { atLeast: jest.fn(async () => lists) };
    const watch = new StatusWatch(catalog as unknown as StatusCatalogs, changeLog);
    const agents = await Promise.all(
      Array.from({ length: 50 }, () => watch.callStatusesChanged(agent, {}).next()),
    );
    const ais = await Promise.all(
      Array.from({ length: 50 }, () => watch.callStatusesChanged(ai, {}).next()),
    );
    expect(new Set(agents.map((r) => r.value)).size).toBe(1);
    expect(new Set(ais.map((r) => r.value)).size).toBe(1);
    expect(agents[0].value.callStatuses.map((s: { id: number }) => s.id)).toEqual([1]);
    expect(ais[0].value.callStatuses.map((s: { id: number }) => s.id)).toEqual([2]);
    expect(agents[0].value.revision).not.toBe(ais[0].value.revision);
    // An administrator asking for the agents' list gets the same statuses, but its own
    // revision (the counter): a list object of its own.
    const adminAsAgent = await watch
      .callStatusesChanged(admin, { visibleTo: "AGENT" as never })
      .next();
    expect(adminAsAgent.value.callStatuses).toEqual(agents[0].value.callStatuses);
    expect(adminAsAgent.value.revision).toBe("3");
    expect(adminAsAgent.value).not.toBe(agents[0].value);
  });
});
