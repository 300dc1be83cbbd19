/**
 * The errors a Galera cluster really sends, and what the service makes of them: a certification
 * conflict is a deadlock (1213, retried), a node that is not ready for clients answers 1047
 * ("WSREP has not yet prepared node for application use") — SERVICE_UNAVAILABLE, never
 * INTERNAL_SERVER_ERROR — and the service serves again as soon as the node does.
 */
import type mysql from "mysql2/promise";
import { domainErrorOf, isDatabaseUnavailable, isLockConflict } from "../src/db/errors";
import {
  clusterState,
  connect,
  GQL,
  gql,
  logLines,
  queryOn,
  report,
  tally,
  waitUntil,
  type Answer,
} from "./support/cluster";

const state = clusterState();
const db = state.database;
const key = state.adminKey;

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to fail");
}

describe("errors a Galera cluster sends", () => {
  it("reports two nodes committing one row at once as a deadlock (1213), which the service retries", async () => {
    await queryOn(
      "haproxy",
      "CREATE TABLE IF NOT EXISTS conflict_probe (id INT PRIMARY KEY, n INT NOT NULL)",
      [],
      db,
    );
    await queryOn("haproxy", "REPLACE INTO conflict_probe (id, n) VALUES (1, 0)", [], db);
    const first = await connect(1, db);
    const second = await connect(2, db);
    try {
      await first.query("START TRANSACTION");
      await second.query("START TRANSACTION");
      await first.query("UPDATE conflict_probe SET n = n + 1 WHERE id = 1");
      await second.query("UPDATE conflict_probe SET n = n + 10 WHERE id = 1");
      await first.query("COMMIT");
      // The second node learns of the first's write-set: its own transaction cannot commit.
      const error = await failure(() => second.query("COMMIT"));
      expect(error).toMatchObject({ errno: 1213, code: "ER_LOCK_DEADLOCK" });
      expect(isLockConflict(error)).toBe(true);
      expect(domainErrorOf(error)?.code).toBe("SERVICE_UNAVAILABLE");
      report("certification conflict", {
        errno: (error as { errno: number }).errno,
        message: (error as Error).message,
      });
    } finally {
      await second.query("ROLLBACK").catch(() => undefined);
      first.destroy();
      second.destroy();
      await queryOn("haproxy", "DROP TABLE IF EXISTS conflict_probe", [], db);
    }
  });

  it("answers SERVICE_UNAVAILABLE (503) while a node refuses clients (1047), and serves again without a restart", async () => {
    const node3 = state.instances.node3.url;
    const admin: mysql.Connection = await connect(3);
    const answers: Answer[] = [];
    const logBefore = logLines(state.instances.node3).length;
    try {
      // What a joining, resyncing or non-primary node does: refuse every client statement.
      await admin.query("SET GLOBAL wsrep_reject_queries = ALL");
      const direct = await connect(3, db);
      const error = await failure(() => direct.query("SELECT COUNT(*) FROM leads"));
      direct.destroy();
      expect(error).toMatchObject({ errno: 1047 });
      expect((error as Error).message).toMatch(/WSREP has not yet prepared node/);
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(isLockConflict(error)).toBe(false);
      expect(domainErrorOf(error)?.code).toBe("SERVICE_UNAVAILABLE");

      // Through the instance whose database is node 3: a read, a write, a transaction.
      const leadCount = `{ leads(first: 1) { totalCount } }`;
      for (let n = 0; n < 3; n += 1) {
        answers.push(await gql(node3, key, leadCount));
        answers.push(await gql(node3, key, GQL.createLead, { input: { name: "Refused" } }));
        answers.push(
          await gql(node3, key, GQL.createCallStatus, {
            input: { code: `refused_${n}`, title: "Refused" },
          }),
        );
      }
      // The node also cuts the connections it has (as a node leaving the cluster does).
      await admin.query("SET GLOBAL wsrep_reject_queries = ALL_KILL");
      answers.push(await gql(node3, key, leadCount));
      answers.push(await gql(node3, key, GQL.createLead, { input: { name: "Refused" } }));
    } finally {
      await admin.query("SET GLOBAL wsrep_reject_queries = NONE");
      admin.destroy();
    }
    const recoveryMs = await waitUntil(
      "the instance on node 3 to write again",
      async () =>
        (await gql(node3, key, GQL.createLead, { input: { name: "Accepted" } })).code === "ok",
      30_000,
      50,
    );

    const codes = tally(answers);
    expect(codes).toEqual({ SERVICE_UNAVAILABLE: answers.length });
    for (const answer of answers) expect(answer.status).toBe(503);
    // Nothing of the refused writes was stored.
    const [refused] = await queryOn<Array<{ n: number }>>(
      "haproxy",
      "SELECT (SELECT COUNT(*) FROM leads WHERE name = 'Refused') + (SELECT COUNT(*) FROM call_statuses WHERE code LIKE 'refused\\_%') AS n",
      [],
      db,
    );
    expect(Number(refused.n)).toBe(0);
    // None of it was logged as an unexpected error: the driver's errors were understood.
    const unexpected = logLines(state.instances.node3)
      .slice(logBefore)
      .filter((line) => line.msg === "unexpected error");
    expect(unexpected).toEqual([]);
    report("node refusing clients", { codes, servedAgainAfterMs: recoveryMs });
  });
});
