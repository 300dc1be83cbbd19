/**
 * Every statement about webhook deliveries that is more than a plain find: turning the change
 * feed into deliveries (an endpoint's cursor moved by a conditional UPDATE), finding the
 * deliveries due in order per lead, claiming them, and recording an attempt. The dispatcher's
 * statements cross accounts (it serves every account's endpoints, as a background job); each
 * write is made inside the account it concerns.
 *
 * Why this holds on several instances and on Galera: an instance claims a delivery with one
 * UPDATE whose condition is "nobody holds it" (`claimed_until` unset or past); of two instances
 * racing, one changes the row and the other finds zero rows changed (on Galera, one of the two
 * commits fails certification and, tried again, changes nothing). The claim's token then guards
 * the recording of the attempt: an instance whose claim ran out and was taken over records
 * nothing. An endpoint's cursor moves the same way, from the value read to the next.
 */
import { randomUUID } from "node:crypto";
import { Brackets, In, type DataSource } from "typeorm";
import { acrossAccountsRepository, inAccount, scoped } from "../db/account-scope";
import type { Source, Transaction } from "../db/transaction";
import { readThroughGate, runTransaction, runWrite } from "../db/writes";
import { ChangeFeedHead } from "../changes/change-feed-head.entity";
import { ChangeLogEntry } from "../changes/change.entity";
import { DeliveryStatus, WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookEndpoint } from "./webhook-endpoint.entity";

const REASON = "the webhook dispatcher serves every account's endpoints";

/** What deliveries of one entry are ordered by: its lead, else the status it concerns. */
export function orderKey(entry: Pick<ChangeLogEntry, "type" | "entityId" | "leadId">): string {
  if (entry.leadId !== null) return `lead:${entry.leadId}`;
  return `${entry.type.split(".")[0]}:${entry.entityId}`;
}

/** A new delivery of `entry` (numbered) to `endpointId`, due now. */
export function newDelivery(
  endpointId: number,
  entry: Pick<ChangeLogEntry, "id" | "seq" | "type" | "entityId" | "leadId">,
  now: number,
  redelivery = false,
): Omit<
  WebhookDelivery,
  | "id"
  | "accountId"
  | "account"
  | "eventId"
  | "createdAt"
  | "lastAttemptAt"
  | "nextAttemptAt"
  | "completedAt"
> {
  return {
    endpointId,
    changeId: Number(entry.id),
    seq: Number(entry.seq),
    eventType: entry.type,
    orderKey: orderKey(entry),
    status: DeliveryStatus.PENDING,
    attempts: 0,
    nextAttemptAtMs: now,
    claimedUntil: null,
    claimToken: null,
    firstAttemptAtMs: null,
    lastAttemptAtMs: null,
    lastStatusCode: null,
    lastError: null,
    lastLatencyMs: null,
    redelivery,
    createdAtMs: now,
    completedAtMs: null,
  };
}

/** What an attempt's outcome changes of its delivery. */
export type AttemptValues = Partial<
  Pick<
    WebhookDelivery,
    | "status"
    | "attempts"
    | "nextAttemptAtMs"
    | "firstAttemptAtMs"
    | "lastAttemptAtMs"
    | "lastStatusCode"
    | "lastError"
    | "lastLatencyMs"
    | "completedAtMs"
  >
>;

/** Deliveries inserted per statement. */
const INSERT_CHUNK = 200;

export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts deliveries of the current account (in chunks). */
  async insertDeliveries(tx: Transaction, rows: ReturnType<typeof newDelivery>[]): Promise<void> {
    const deliveries = scoped(tx, WebhookDelivery);
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      await deliveries.insertMany(rows.slice(start, start + INSERT_CHUNK));
    }
  }

  /**
   * Active endpoints whose account's feed has places beyond their cursor (any account), in id
   * order after `afterId` (so that a long list is served in turns).
   */
  endpointsBehind(
    afterId: number,
    limit: number,
  ): Promise<Array<{ id: number; accountId: number }>> {
    return readThroughGate(this.dataSource, () =>
      acrossAccountsRepository(this.dataSource, WebhookEndpoint, REASON)
        .createQueryBuilder("e")
        .innerJoin(ChangeFeedHead, "h", "h.account_id = e.account_id")
        .select(["e.id", "e.accountId"])
        .where("e.active = :active", { active: true })
        .andWhere("e.id > :afterId", { afterId })
        .andWhere("h.seq > e.cursor_seq")
        .orderBy("e.id", "ASC")
        .limit(limit)
        .getMany(),
    );
  }

  /**
   * Turns the next `batch` numbered entries after the endpoint's cursor into its deliveries
   * (those of its event types), and moves the cursor past them — one transaction, in the
   * endpoint's account. The cursor moves first, from the value read: when another instance
   * moved it meanwhile, nothing is written. Answers how many entries were passed.
   */
  fanOut(accountId: number, endpointId: number, batch: number, now: () => number): Promise<number> {
    return inAccount(accountId, () =>
      runTransaction(this.dataSource, async (tx) => {
        const endpoints = scoped(tx, WebhookEndpoint);
        const endpoint = await endpoints.findOne({ where: { id: endpointId } });
        if (!endpoint?.active) return 0;
        const from = Number(endpoint.cursorSeq);
        const entries = await scoped(tx, ChangeLogEntry)
          .queryBuilder("c")
          .select(["c.id", "c.seq", "c.type", "c.entityId", "c.leadId"])
          .andWhere("c.seq > :from", { from })
          .orderBy("c.seq", "ASC")
          .limit(batch)
          .getMany();
        // Places may be skipped (see ChangeSequencer): when this read reached the end of the
        // feed, the cursor moves to the account's head, which the sequencer moves in the same
        // transaction as it numbers.
        let to = Number(entries.at(-1)?.seq ?? from);
        if (entries.length < batch) {
          const head = await scoped(tx, ChangeFeedHead).findOne({ where: {} });
          to = Math.max(to, Number(head?.seq ?? 0));
        }
        if (to <= from) return 0;
        const moved = await endpoints.update(
          { id: endpointId, cursorSeq: from },
          { cursorSeq: to },
        );
        if (moved === 0) return 0;
        const types = new Set(endpoint.events);
        const at = now();
        await this.insertDeliveries(
          tx,
          entries
            .filter((entry) => types.has(entry.type))
            .map((entry) => newDelivery(endpointId, entry, at)),
        );
        return entries.length;
      }),
    );
  }

  /**
   * Pending deliveries due by `now` that nobody holds, of active endpoints, each the first
   * pending one of its endpoint and order key (so a lead's events go out one after another, in
   * feed order), soonest due first.
   */
  due(now: number, limit: number): Promise<WebhookDelivery[]> {
    return readThroughGate(this.dataSource, () =>
      acrossAccountsRepository(this.dataSource, WebhookDelivery, REASON)
        .createQueryBuilder("d")
        .innerJoin(WebhookEndpoint, "e", "e.id = d.endpoint_id AND e.active = :active", {
          active: true,
        })
        .where("d.status = :pending", { pending: DeliveryStatus.PENDING })
        .andWhere("d.next_attempt_at <= :now", { now })
        .andWhere(
          new Brackets((claim) =>
            claim.where("d.claimed_until IS NULL").orWhere("d.claimed_until < :now", { now }),
          ),
        )
        .andWhere(
          `NOT EXISTS (SELECT 1 FROM webhook_deliveries p
             WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key
               AND p.status = :pending AND (p.seq < d.seq OR (p.seq = d.seq AND p.id < d.id)))`,
        )
        .orderBy("d.next_attempt_at", "ASC")
        .addOrderBy("d.id", "ASC")
        .limit(limit)
        .getMany(),
    );
  }

  /**
   * Claims `candidates` (as `due` read them) until `until`: each only if it is still pending and
   * held by nobody. Answers the claimed ones, with the claim's token.
   */
  async claim(
    candidates: readonly WebhookDelivery[],
    now: number,
    until: number,
  ): Promise<{ token: string; claimed: WebhookDelivery[] }> {
    const token = randomUUID();
    if (candidates.length === 0) return { token, claimed: [] };
    const ids = candidates.map((delivery) => Number(delivery.id));
    const deliveries = () => acrossAccountsRepository(this.dataSource, WebhookDelivery, REASON);
    await runTransaction(this.dataSource, (tx) =>
      acrossAccountsRepository(tx, WebhookDelivery, REASON)
        .createQueryBuilder()
        .update()
        .set({ claimedUntil: until, claimToken: token })
        .where({ id: In(ids), status: DeliveryStatus.PENDING })
        .andWhere(
          new Brackets((claim) =>
            claim.where("claimed_until IS NULL").orWhere("claimed_until < :now", { now }),
          ),
        )
        .execute(),
    );
    const claimed = await readThroughGate(this.dataSource, () =>
      deliveries().find({ where: { id: In(ids), claimToken: token } }),
    );
    return { token, claimed };
  }

  /** True when any account has an active endpoint (else there is nothing to deliver). */
  async anyActiveEndpoint(): Promise<boolean> {
    const found = await readThroughGate(this.dataSource, () =>
      acrossAccountsRepository(this.dataSource, WebhookEndpoint, REASON).findOne({
        select: { id: true },
        where: { active: true },
      }),
    );
    return found !== null;
  }

  /**
   * What the attempts of `deliveries` need, read in one statement per account and table: the
   * entries they send (absent when pruned) and their endpoints as they are now.
   */
  async forAttempts(deliveries: readonly WebhookDelivery[]): Promise<{
    entries: Map<number, ChangeLogEntry>;
    endpoints: Map<number, WebhookEndpoint>;
  }> {
    const entries = new Map<number, ChangeLogEntry>();
    const endpoints = new Map<number, WebhookEndpoint>();
    const byAccount = new Map<number, WebhookDelivery[]>();
    for (const delivery of deliveries) {
      const list = byAccount.get(delivery.accountId) ?? [];
      list.push(delivery);
      byAccount.set(delivery.accountId, list);
    }
    for (const [accountId, list] of byAccount) {
      await inAccount(accountId, () =>
        readThroughGate(this.dataSource, async () => {
          const changeIds = [...new Set(list.map((d) => Number(d.changeId)))];
          const endpointIds = [...new Set(list.map((d) => d.endpointId))];
          for (const entry of await scoped(this.dataSource, ChangeLogEntry).find({
            where: { id: In(changeIds) },
          })) {
            entries.set(Number(entry.id), entry);
          }
          for (const endpoint of await scoped(this.dataSource, WebhookEndpoint).find({
            where: { id: In(endpointIds) },
          })) {
            endpoints.set(endpoint.id, endpoint);
          }
        }),
      );
    }
    return { entries, endpoints };
  }

  /**
   * Records a successful attempt while `token` still holds the delivery: one UPDATE, no
   * transaction around it (nothing else changes with it).
   */
  recordSuccess(delivery: WebhookDelivery, token: string, values: AttemptValues): Promise<boolean> {
    return inAccount(delivery.accountId, () =>
      runWrite(this.dataSource, () =>
        this.recordAttempt(this.dataSource, delivery, token, {
          ...values,
          status: DeliveryStatus.SUCCEEDED,
        }),
      ),
    );
  }

  /**
   * Records an attempt's outcome on the delivery while `token` still holds it (and gives the
   * claim up); answers false (nothing written) when the claim was lost.
   */
  async recordAttempt(
    source: Source,
    delivery: WebhookDelivery,
    token: string,
    values: AttemptValues,
  ): Promise<boolean> {
    const changed = await scoped(source, WebhookDelivery).update(
      { id: delivery.id, claimToken: token },
      { ...values, claimedUntil: null, claimToken: null },
    );
    return changed > 0;
  }

  /**
   * Deletes deliveries that succeeded or failed before `cutoff` (ms), oldest first, in batches
   * (retention: as long as the change log keeps their events). Answers how many went.
   */
  async pruneCompletedBefore(cutoff: number, batchSize = 1000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await readThroughGate(this.dataSource, () =>
        acrossAccountsRepository(this.dataSource, WebhookDelivery, REASON)
          .createQueryBuilder("d")
          .select("d.id", "id")
          .where("d.created_at < :cutoff", { cutoff })
          .andWhere("d.status IN (:...done)", {
            done: [DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED],
          })
          .orderBy("d.id", "ASC")
          .limit(batchSize)
          .getRawMany<{ id: number | string }>(),
      );
      if (rows.length === 0) return deleted;
      const ids = rows.map((row) => Number(row.id));
      await runTransaction(this.dataSource, (tx) =>
        acrossAccountsRepository(tx, WebhookDelivery, REASON).delete({ id: In(ids) }),
      );
      deleted += ids.length;
      if (ids.length < batchSize) return deleted;
    }
  }
}
