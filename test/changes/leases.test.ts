/** Leases (changes/leases.ts): one holder at a time, renewed by it, taken over once it runs out. */
import { Leases } from "../../src/changes/leases";
import { describeEachDatabase } from "../support/harness";

describeEachDatabase("leases", (server) => {
  it("has one holder at a time: renewed by it, refused to others, taken over after it runs out or is given up", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = new Leases(server.app.dataSource, clock);
    const b = new Leases(server.app.dataSource, clock);
    expect(a.holder).not.toBe(b.holder);
    const name = `test-lease-${Date.now()}`;

    expect(await a.hold(name, 10_000)).toBe(true);
    expect(await b.hold(name, 10_000)).toBe(false);
    now += 5_000;
    expect(await a.hold(name, 10_000)).toBe(true); // renewed: now held until 1,015,000
    now += 9_000;
    expect(await b.hold(name, 10_000)).toBe(false);
    now += 2_000; // past the renewed expiry
    expect(await b.hold(name, 10_000)).toBe(true);
    expect(await a.hold(name, 10_000)).toBe(false);

    await b.release(name);
    expect(await a.hold(name, 10_000)).toBe(true);
    // Racing for a lease no one held yet: one of them gets it.
    const fresh = `${name}-race`;
    const results = await Promise.all([a.hold(fresh, 10_000), b.hold(fresh, 10_000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
