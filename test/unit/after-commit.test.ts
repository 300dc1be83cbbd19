/** `afterCommit` (db/transaction.ts) with `runTransaction` (db/writes.ts): once, for the try that committed. */
import type { DataSource } from "typeorm";
import { afterCommit } from "../../src/db/transaction";
import { runTransaction, setTransactionAttempts } from "../../src/db/writes";

/** A data source whose transactions fail with a deadlock for the first `failures` tries. */
function fakeDataSource(failures: number): DataSource {
  let tries = 0;
  const dataSource = {
    options: { type: "mariadb" },
    async transaction(work: (manager: object) => Promise<unknown>) {
      tries += 1;
      const result = await work({ try: tries });
      if (tries <= failures) throw Object.assign(new Error("deadlock"), { errno: 1213 });
      return result;
    },
  } as unknown as DataSource;
  setTransactionAttempts(dataSource, 5);
  return dataSource;
}

describe("afterCommit", () => {
  it("runs the hooks of the try that committed, once, after the commit", async () => {
    const ran: string[] = [];
    let attempt = 0;
    const result = await runTransaction(fakeDataSource(2), async (tx) => {
      attempt += 1;
      const mine = attempt;
      afterCommit(tx, () => ran.push(`hook of try ${mine}`));
      ran.push(`work of try ${mine}`);
      return mine;
    });
    expect(result).toBe(3);
    expect(ran).toEqual(["work of try 1", "work of try 2", "work of try 3", "hook of try 3"]);
  });

  it("runs no hook when the transaction fails", async () => {
    const ran: string[] = [];
    const failing = {
      options: { type: "mariadb" },
      async transaction(work: (manager: object) => Promise<unknown>) {
        await work({});
        throw new Error("constraint");
      },
    } as unknown as DataSource;
    await expect(
      runTransaction(failing, async (tx) => afterCommit(tx, () => ran.push("hook"))),
    ).rejects.toThrow("constraint");
    expect(ran).toEqual([]);
  });

  it("is refused outside a transaction of runTransaction", () => {
    expect(() => afterCommit({} as never, () => undefined)).toThrow(/outside a transaction/);
  });
});
