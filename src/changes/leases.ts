/**
 * Jobs that one instance at a time does, through rows of `leases`: an instance that holds a
 * job's lease does it, and renews the lease each time; when it stops (a crash, a shutdown), the
 * lease runs out and another instance takes the job over.
 *
 * Taking or renewing is a conditional UPDATE in a transaction (an INSERT for a job no one
 * held yet). On MariaDB two instances racing for a lease both try to write its row: one waits
 * for the other's lock and then finds the lease held; on a Galera cluster, where row locks are
 * each node's own, one of the two commits loses its certification (a deadlock error) and, run
 * again, finds it held. Instances compare expiries with their own clocks: keep them in sync
 * (NTP) — a clock seconds off may let two instances believe they hold one lease for that long,
 * so a job must stay safe (if slower) when that happens.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { LessThan, type DataSource } from "typeorm";
import { acrossAccountsRepository } from "../db/account-scope";
import { uniqueViolationColumn } from "../db/errors";
import { runTransaction, runWrite } from "../db/writes";
import { Lease } from "./lease.entity";

const REASON = "leases are the service's jobs, not an account's data";

export class Leases {
  /** This process, as a lease holder. */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`.slice(0, 100);

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this process holds the lease of `name` for the next `ms` (taken or renewed). */
  async hold(name: string, ms: number): Promise<boolean> {
    try {
      return await runTransaction(this.dataSource, async (tx) => {
        const leases = acrossAccountsRepository(tx, Lease, REASON);
        const now = this.now();
        const until = { holder: this.holder, expiresAt: now + ms };
        const renewed = await leases.update({ name, holder: this.holder }, until);
        if ((renewed.affected ?? 0) > 0) return true;
        const taken = await leases.update({ name, expiresAt: LessThan(now) }, until);
        if ((taken.affected ?? 0) > 0) return true;
        if (await leases.exists({ where: { name } })) return false;
        await leases.insert({ name, holder: this.holder, expiresAt: now + ms });
        return true;
      });
    } catch (error) {
      // Another instance inserted the first row of this lease at the same time.
      if (uniqueViolationColumn(error) !== undefined) return false;
      throw error;
    }
  }

  /** Gives the lease of `name` up, if this process holds it (a clean shutdown). */
  async release(name: string): Promise<void> {
    await runWrite(this.dataSource, () =>
      acrossAccountsRepository(this.dataSource, Lease, REASON).update(
        { name, holder: this.holder },
        { expiresAt: 0 },
      ),
    );
  }
}
