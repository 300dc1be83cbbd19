/** `inTurns` (changes/account-fanout.ts): a fan-out told a batch per turn of the event loop. */
import { inTurns } from "../../src/changes/account-fanout";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("inTurns", () => {
  it("calls the first batch at once and one more per turn of the event loop, in order", async () => {
    const told: number[] = [];
    const items = Array.from({ length: 450 }, (_, index) => index);
    inTurns(items, (item) => told.push(item), 200);
    expect(told).toHaveLength(200);
    await turn();
    expect(told).toHaveLength(400);
    await turn();
    expect(told).toEqual(items);
  });

  it("lets work that was waiting run between batches", async () => {
    const order: string[] = [];
    // Already waiting for its turn (a request read from a socket, say) when the fan-out starts.
    setImmediate(() => order.push("other work"));
    inTurns([1, 2, 3, 4], (item) => order.push(`item ${item}`), 2);
    await turn();
    await turn();
    expect(order).toEqual(["item 1", "item 2", "other work", "item 3", "item 4"]);
  });

  it("does nothing for no items", () => {
    const each = jest.fn();
    inTurns([], each);
    expect(each).not.toHaveBeenCalled();
  });
});
