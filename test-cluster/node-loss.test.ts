/**
 * A node killed (SIGKILL) under load and brought back. Ten clients record call results through
 * the instance behind HAProxy, each retrying a request that failed with the same idempotency key
 * (as docs/API.md tells clients to); node 1 is killed after 3 s and restarted after 8 s. What must
 * hold: only SERVICE_UNAVAILABLE for the requests caught by the loss (or by its donor leaving
 * HAProxy while the node rejoins), never
 * INTERNAL_SERVER_ERROR; every acknowledged write present on all three nodes afterwards, and
 * none twice; the instance pinned to the killed node serves again once the node is back, without
 * a restart.
 */
import {
  clusterState,
  galera,
  GQL,
  gql,
  ok,
  queryOn,
  report,
  sleep,
  tally,
  waitUntil,
  type Answer,
  type RecordResult,
} from "./support/cluster";

const state = clusterState();
const db = state.database;
const key = state.adminKey;

const CLIENTS = 10;
const KILL_AFTER_MS = 3_000;
const RESTART_AFTER_MS = 8_000;
/** Load goes on this long after the node is Synced again. */
const AFTER_RESTART_MS = 2_000;

interface Tried extends Answer<RecordResult> {
  startedAt: number;
}

describe("a node lost under load", () => {
  let killed = false;
  afterAll(async () => {
    // Whatever happened, leave the cluster whole for the other tests.
    if (killed) {
      const status = await galera(["status"], 30_000);
      if (status.code !== 0) await galera(["restart", "1"]);
    }
  });

  it("answers only SERVICE_UNAVAILABLE while it goes, loses no acknowledged write, and recovers without a restart", async () => {
    const haproxy = state.instances.haproxy.url;
    const leads = await Promise.all(
      Array.from({ length: CLIENTS }, (_, index) =>
        ok<{ createLead: { id: string } }>(haproxy, key, GQL.createLead, {
          input: { name: `Load lead ${index}` },
        }).then((data) => data.createLead.id),
      ),
    );

    const answers: Tried[] = [];
    /** Idempotency key → call id, for every request the service acknowledged. */
    const acknowledged = new Map<string, string>();
    /** Every idempotency key sent at least once. */
    const sent = new Set<string>();
    const pinned: Answer[] = [];
    let stop = false;
    const start = Date.now();

    async function client(index: number): Promise<void> {
      for (let request = 0; !stop; request += 1) {
        const idempotencyKey = `load-${index}-${request}`;
        const input = {
          leadId: leads[index],
          callStatusCode: request % 2 === 0 ? "qualified" : "disqualified",
          idempotencyKey,
        };
        // Retried with the same key until acknowledged (or the test ends).
        while (!stop) {
          sent.add(idempotencyKey);
          const startedAt = Date.now();
          const answer = await gql<RecordResult>(haproxy, key, GQL.record, { input });
          answers.push({ ...answer, startedAt });
          if (answer.code === "ok") {
            acknowledged.set(idempotencyKey, answer.data!.recordCallResult.call.id);
            break;
          }
          await sleep(100);
        }
      }
    }

    /** Meanwhile, the instance whose only database is node 1 gets a write every 250 ms. */
    async function pinnedClient(): Promise<void> {
      for (let n = 0; !stop; n += 1) {
        pinned.push(
          await gql(state.instances.node1.url, key, GQL.createLead, {
            input: { name: `Pinned ${n}` },
          }),
        );
        await sleep(250);
      }
    }

    const load = Promise.all([...leads.map((_, index) => client(index)), pinnedClient()]);
    await sleep(KILL_AFTER_MS);
    const killAt = Date.now();
    const kill = await galera(["kill", "1"]);
    expect(kill.code).toBe(0);
    killed = true;
    await sleep(Math.max(0, start + RESTART_AFTER_MS - Date.now()));
    const restartAt = Date.now();
    const restart = await galera(["restart", "1"]);
    expect(restart.output).toContain("Synced");
    const syncedAt = Date.now();
    // The instance on node 1 answers again without being restarted.
    const pinnedRecoveryMs = await waitUntil(
      "the instance on node 1 to write again",
      async () =>
        (
          await gql(state.instances.node1.url, key, GQL.createLead, {
            input: { name: "Pinned, after" },
          })
        ).code === "ok",
      30_000,
      100,
    );
    await sleep(AFTER_RESTART_MS);
    stop = true;
    await load;

    // Codes: only successes and SERVICE_UNAVAILABLE, through HAProxy and on the pinned instance.
    const codes = tally(answers);
    const pinnedCodes = tally(pinned);
    expect(codes.INTERNAL_SERVER_ERROR ?? 0).toBe(0);
    expect(pinnedCodes.INTERNAL_SERVER_ERROR ?? 0).toBe(0);
    expect(Object.keys(codes).filter((c) => c !== "ok" && c !== "SERVICE_UNAVAILABLE")).toEqual([]);
    expect(
      Object.keys(pinnedCodes).filter((c) => c !== "ok" && c !== "SERVICE_UNAVAILABLE"),
    ).toEqual([]);
    for (const answer of [...answers, ...pinned]) {
      if (answer.code === "SERVICE_UNAVAILABLE") expect([200, 503]).toContain(answer.status);
    }
    // The pinned instance was refused while its node was away, and wrote again once it was back.
    expect(pinnedCodes.SERVICE_UNAVAILABLE ?? 0).toBeGreaterThan(0);

    // Every acknowledged write is on every node (node 1 included, after its catch-up), once.
    const keys = [...acknowledged.keys()];
    const perNode: Record<string, number> = {};
    for (const node of [1, 2, 3] as const) {
      const rows = await queryOn<Array<{ id: number }>>(
        node,
        `SELECT id FROM calls WHERE lead_id IN (${leads.map(Number).join(",")})`,
        [],
        db,
      );
      const present = new Set(rows.map((row) => String(row.id)));
      const lost = [...acknowledged.values()].filter((id) => !present.has(id));
      expect({ node, lost }).toEqual({ node, lost: [] });
      // At most one call per key sent: a request retried after a failure was recorded once.
      expect(rows.length).toBeLessThanOrEqual(sent.size);
      perNode[`node${node}`] = rows.length;
    }
    const rows = perNode.node2;
    expect(perNode.node1).toBe(rows);
    expect(perNode.node3).toBe(rows);

    // Timeline: the first and last refusal after the kill, the longest successful request.
    const failures = answers.filter((a) => a.code !== "ok");
    const successes = answers.filter((a) => a.code === "ok");
    const resumed = successes.find((a) => a.startedAt >= killAt && a.at > killAt);
    const figures = {
      seconds: Math.round((Date.now() - start) / 100) / 10,
      requests: answers.length,
      codes,
      acknowledged: keys.length,
      retriedAfterFailure: answers.length - sent.size,
      callRows: rows,
      rowsWithoutAcknowledgement: rows - keys.length,
      writesLost: 0,
      firstFailureAfterKillMs: failures.length ? failures[0].at - killAt : null,
      lastFailureAfterKillMs: failures.length ? failures[failures.length - 1].at - killAt : null,
      failedWhileRejoining: failures.filter((a) => a.startedAt >= restartAt).length,
      // The surviving nodes hold commits until they have excluded the lost one.
      longestSuccessfulRequestMs: Math.max(...successes.map((a) => a.ms)),
      // The first write sent after the kill was acknowledged this long after it.
      writesResumedAfterKillMs: resumed ? resumed.at - killAt : null,
      restartTookMs: syncedAt - restartAt,
      pinnedInstance: pinnedCodes,
      pinnedInstanceServedAgainAfterSyncMs: pinnedRecoveryMs,
    };
    report("node killed under load", figures);
    // Only requests caught at a COMMIT failed (a transaction whose connection went before its
    // COMMIT is run again on another one): those in flight when the node went, sent at most 1 s
    // after the kill, and — while the node rejoins — those committing on its donor when HAProxy
    // took the donor out (a donor is Desynced while it feeds the joiner, and HAProxy shuts the
    // sessions of a node that is not Synced). At most one or two per client.
    const rejoining = (at: number) => at >= restartAt && at <= syncedAt + 1_500;
    for (const failure of failures) {
      if (!rejoining(failure.startedAt)) expect(failure.startedAt - killAt).toBeLessThan(1000);
    }
    expect(failures.length).toBeLessThanOrEqual(2 * CLIENTS);
    // Rows beyond the acknowledged ones are requests whose answer was lost with the node but
    // whose COMMIT went through; their client retried with the same key and got this very row,
    // or stopped at the end of the test before a retry.
    expect(rows).toBeGreaterThanOrEqual(keys.length);
  });
});
