/** Feed (common/feed.ts): the coalescing stream of a live subscription. */
import { Feed } from "../../src/common/feed";

function numbers() {
  const rendered: number[][] = [];
  let ended = 0;
  const feed = new Feed<number[], string>({
    coalesce: (pending, event) => [...(pending ?? []), ...event],
    render: async (pending) => {
      rendered.push(pending);
      return pending.length > 0 ? [pending.join(",")] : [];
    },
    onEnd: () => (ended += 1),
  });
  return { feed, rendered, ended: () => ended };
}

describe("Feed", () => {
  it("renders what was pushed, and coalesces what a slow subscriber has not pulled yet", async () => {
    const { feed, rendered } = numbers();
    feed.push([1]);
    expect(await feed.next()).toEqual({ done: false, value: "1" });
    feed.push([2]);
    feed.push([3]);
    feed.push([4]);
    expect(await feed.next()).toEqual({ done: false, value: "2,3,4" });
    expect(rendered).toEqual([[1], [2, 3, 4]]);
  });

  it("waits for the next event, and skips renders that send nothing", async () => {
    const { feed } = numbers();
    const pulled = feed.next();
    feed.push([]);
    setTimeout(() => feed.push([5]), 5);
    expect(await pulled).toEqual({ done: false, value: "5" });
  });

  it("ends at once on return(), even while a pull waits, and only once", async () => {
    const { feed, ended } = numbers();
    const pulled = feed.next();
    expect(await feed.return()).toEqual({ done: true, value: undefined });
    expect(await pulled).toEqual({ done: true, value: undefined });
    feed.push([1]);
    expect(await feed.next()).toEqual({ done: true, value: undefined });
    await feed.return();
    expect(ended()).toBe(1);
  });
});
