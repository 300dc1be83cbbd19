/**
 * LeadWatch (calls/lead-watch.ts) with many subscribers of one account: one change log listener
 * for all of them, each change routed by lead — to that lead's followers and to those following
 * every lead, never offered to the others.
 */
import { Role, type Principal } from "../../src/access/principal";
import { ChangeType } from "../../src/changes/change.entity";
import type { CallRepository } from "../../src/calls/call.repository";
import { LeadWatch } from "../../src/calls/lead-watch";
import type { LeadRepository } from "../../src/leads/lead.repository";
import { fakeChangeLog } from "../support/fake-change-log";

const admin: Principal = {
  role: Role.ADMIN,
  actorId: "key:1",
  via: "api_key",
  accountId: 1,
  accountCode: "default",
};
const agent: Principal = { ...admin, role: Role.AGENT, actorId: "key:2" };

function setUp() {
  const { changes, changeLog, listeners, announce } = fakeChangeLog();
  const leads = {
    byId: jest.fn(async (id: number) => ({ id })),
    byIds: jest.fn(async (ids: number[]) => ids.map((id) => ({ id }))),
  };
  const calls = { byId: jest.fn(async (id: number) => ({ id })) };
  const watch = new LeadWatch(
    leads as unknown as LeadRepository,
    calls as unknown as CallRepository,
    changeLog,
  );
  const recordCall = (leadId: number, callId: number) =>
    announce({
      accountId: 1,
      changes: [
        { id: callId, type: ChangeType.CALL_RECORDED, entityId: callId, leadId, revision: null },
      ],
    });
  return { watch, changes, listeners, leads, recordCall };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("LeadWatch listeners", () => {
  it("listens once per account and tells only the followers of the changed lead (and of every lead)", async () => {
    const { watch, changes, listeners, leads, recordCall } = setUp();
    // 300 agents, each following a lead of its own (ids 1-300), and one dashboard of every lead.
    const followers = await Promise.all(
      Array.from({ length: 300 }, (_, index) => watch.leadChanged(agent, String(index + 1))),
    );
    const dashboard = await watch.leadChanged(admin, null);
    expect(changes.subscribe).toHaveBeenCalledTimes(1);
    expect(listeners.size).toBe(1);

    const pulls = followers.map((feed) => {
      let settled = false;
      const next = feed.next().then((result) => {
        settled = true;
        return result;
      });
      return { next, settled: () => settled };
    });
    const dashboardNext = dashboard.next();
    const reads = leads.byIds.mock.calls.length;
    recordCall(7, 70);
    const seven = await pulls[6].next;
    expect(seven.value).toEqual({ lead: { id: 7 }, call: { id: 70 } });
    expect(await dashboardNext).toMatchObject({ value: { lead: { id: 7 }, call: { id: 70 } } });
    await tick();
    // Nobody else was woken: one read for lead 7's follower, one for the dashboard.
    expect(pulls.filter((pull) => pull.settled()).length).toBe(1);
    expect(leads.byIds.mock.calls.length - reads).toBe(2);

    for (const feed of followers) await feed.return!();
    expect(listeners.size).toBe(1);
    await dashboard.return!();
    expect(listeners.size).toBe(0);
  });
});
