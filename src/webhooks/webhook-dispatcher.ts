/**
 * Delivers the account change log to webhook endpoints, at least once, in order per lead.
 *
 * Every instance runs a dispatcher. Each cycle it (1) turns the newly numbered entries of the
 * change feed into deliveries, per endpoint from its cursor (`WebhookRepository.fanOut`), and
 * (2) claims deliveries that are due and makes their attempts, at most `concurrency` at once.
 * A cycle runs soon after the sequencer numbers entries on this instance, after each attempt,
 * and every `pollMs` (for what other instances numbered, and for retries coming due).
 *
 * Durability: a delivery is a row, written in the transaction that moves the endpoint's cursor;
 * the change it sends was committed before (the log row is written in the change's own
 * transaction). A process killed at any point loses nothing: entries not yet fanned out wait
 * behind the cursor, a claimed attempt whose result was never recorded is claimed again once
 * its claim has run out (`claimMs`), and sent again — at least once.
 */
import type { Logger } from "../logger";
import { writeAudit } from "../audit/audit.service";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";
import { changeView } from "../changes/change-feed";
import { inAccount, scoped } from "../db/account-scope";
import { asBackgroundJob } from "../db/background";
import { afterCommit, type Transaction } from "../db/transaction";
import { runTransaction, runWrite } from "../db/writes";
import { currentTimestamp } from "../common/time";
import type { DataSource } from "typeorm";
import { nextAttemptAt, retryAfterMs, type RetrySchedule } from "./retry-schedule";
import type { ChangeLogEntry } from "../changes/change.entity";
import { DeliveryStatus, type WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import { sendAttempt, type AttemptResult } from "./webhook-sender";
import { signatureHeaders } from "./webhook-signing";
import { SecretBox } from "./secret-box";
import type { WebhookRepository } from "./webhook.repository";

const JOB = "webhook-dispatcher";
/** Endpoints fanned out per cycle. */
const FAN_OUT_ENDPOINTS = 100;
export const USER_AGENT = "call-lead-status-service-webhooks/1";

export interface DispatcherOptions {
  allowPrivateAddresses: boolean;
  /** One attempt's deadline (ms). */
  timeoutMs: number;
  schedule: RetrySchedule;
  /** Deliveries failed for good in a row after which the endpoint is turned off. */
  disableAfterFailures: number;
  /** Attempts in flight at once on this instance. */
  concurrency: number;
  /** How often to look for work besides the local triggers (ms). */
  pollMs: number;
  /** Entries fanned out per endpoint and transaction. */
  fanOutBatch: number;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wantFanOut = false;
  private wantFill = false;
  private stopped = true;
  /** Whether the last look found an active endpoint anywhere (true until it has looked). */
  private anyActive = true;
  private refresh = false;
  /** Where the next fan-out goes on in the list of endpoints (by id). */
  private fanOutAfter = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: WebhookRepository,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
    private readonly secrets: SecretBox = new SecretBox(undefined),
    private readonly now: () => number = Date.now,
  ) {}

  /** How long a claim on an attempt lasts: its deadline, twice, and a margin to record it. */
  get claimMs(): number {
    return 2 * this.options.timeoutMs + 5_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
    this.timer.unref();
    this.poll();
  }

  /** Stops taking work and waits for the attempts in flight (each within its deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  /**
   * A full cycle as soon as possible: new entries fanned out, due deliveries attempted. For a
   * change of this instance's endpoints (created, turned on, a redelivery queued).
   */
  soon(): void {
    this.anyActive = true;
    this.kick(true);
  }

  /**
   * After the sequencer numbered entries here: a cycle, unless the last look found no active
   * endpoint at all (then the write path pays nothing; an endpoint made through another
   * instance is found by the next poll, within `pollMs`).
   */
  afterNumbered(): void {
    if (this.anyActive) this.kick(true);
  }

  /** The regular cycle: looks again whether any endpoint is active. */
  private poll(): void {
    this.refresh = true;
    this.kick(true);
  }

  private kick(fanOut: boolean): void {
    if (this.stopped) return;
    if (fanOut) this.wantFanOut = true;
    this.wantFill = true;
    this.loop ??= asBackgroundJob(JOB, () => this.run()).finally(() => {
      this.loop = undefined;
    });
  }

  private async run(): Promise<void> {
    while ((this.wantFanOut || this.wantFill) && !this.stopped) {
      const fanOut = this.wantFanOut;
      const refresh = this.refresh;
      this.wantFanOut = false;
      this.wantFill = false;
      this.refresh = false;
      try {
        if (refresh) this.anyActive = await this.repository.anyActiveEndpoint();
        if (!this.anyActive) continue;
        if (fanOut) await this.fanOut();
        await this.fill();
      } catch (error) {
        this.logger.warn({ err: error }, "webhooks: dispatching failed, tried again later");
      }
    }
  }

  /**
   * New entries of the endpoints behind their account's feed, a batch each, at most
   * `FAN_OUT_ENDPOINTS` per cycle: the next cycle goes on after the last one served, so that
   * busy endpoints early in the list never keep the later ones waiting.
   */
  private async fanOut(): Promise<void> {
    const behind = await this.repository.endpointsBehind(this.fanOutAfter, FAN_OUT_ENDPOINTS);
    this.fanOutAfter = behind.length < FAN_OUT_ENDPOINTS ? 0 : (behind.at(-1)?.id ?? 0);
    for (const endpoint of behind) {
      const passed = await this.repository.fanOut(
        endpoint.accountId,
        endpoint.id,
        this.options.fanOutBatch,
        this.now,
      );
      if (passed >= this.options.fanOutBatch) this.wantFanOut = true;
    }
    if (behind.length >= FAN_OUT_ENDPOINTS) this.wantFanOut = true;
  }

  /**
   * Claims due deliveries up to the free places and starts their attempts — once a quarter of
   * the places are free (or none is in flight), so that under load one look and one claim serve
   * several attempts.
   */
  private async fill(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    const enough = Math.max(1, Math.floor(this.options.concurrency / 4));
    if (free <= 0 || (free < enough && this.inFlight.size > 0)) return;
    const now = this.now();
    const due = await this.repository.due(now, free);
    if (due.length === 0) return;
    const { token, claimed } = await this.repository.claim(due, now, now + this.claimMs);
    if (claimed.length === 0) return;
    const { entries, endpoints } = await this.repository.forAttempts(claimed);
    for (const delivery of claimed) {
      const attempt = asBackgroundJob(JOB, () =>
        this.attempt(
          delivery,
          token,
          endpoints.get(delivery.endpointId) ?? null,
          entries.get(Number(delivery.changeId)) ?? null,
        ),
      )
        .catch((error: unknown) =>
          this.logger.warn(
            { err: error, delivery: delivery.id },
            "webhooks: an attempt could not be recorded; it is made again once its claim runs out",
          ),
        )
        .finally(() => {
          this.inFlight.delete(attempt);
          this.kick(false);
        });
      this.inFlight.add(attempt);
    }
  }

  /** One attempt of `delivery` (claimed with `token`), and its outcome recorded. */
  private async attempt(
    delivery: WebhookDelivery,
    token: string,
    endpoint: WebhookEndpoint | null,
    entry: ChangeLogEntry | null,
  ): Promise<void> {
    if (!endpoint?.active) {
      // Turned off since it was found due: the claim is given back, the delivery waits.
      await inAccount(delivery.accountId, () =>
        runWrite(this.dataSource, () =>
          this.repository.recordAttempt(this.dataSource, delivery, token, {}),
        ),
      );
      return;
    }
    let result: AttemptResult;
    const at = this.now();
    if (entry) {
      const body = JSON.stringify(changeView(entry));
      const secrets = [this.secrets.open(endpoint.secret)];
      if (endpoint.previousSecret && Number(endpoint.previousSecretUntil ?? 0) > at) {
        // The overlap's old secret signs beside the new one when it can be opened (it may be
        // sealed under a key since lost: then the new one signs alone).
        const previous = this.secrets.tryOpen(endpoint.previousSecret);
        if (previous !== null) secrets.push(previous);
      }
      const headers = signatureHeaders(secrets, String(delivery.changeId), new Date(at), body);
      result = await sendAttempt(endpoint.url, body, headers, {
        timeoutMs: this.options.timeoutMs,
        allowPrivateAddresses: this.options.allowPrivateAddresses,
        userAgent: USER_AGENT,
      });
    } else {
      result = {
        statusCode: null,
        ok: false,
        error: "the event is no longer kept (CHANGE_LOG_RETENTION_DAYS)",
        retryAfter: undefined,
        latencyMs: 0,
      };
    }
    await this.record(delivery, token, endpoint, result, at, entry === null);
  }

  private record(
    delivery: WebhookDelivery,
    token: string,
    endpoint: WebhookEndpoint,
    result: AttemptResult,
    at: number,
    gone: boolean,
  ): Promise<void> {
    const attempts = delivery.attempts + 1;
    const firstAttemptAt = Number(delivery.firstAttemptAtMs ?? at);
    const common = {
      attempts,
      firstAttemptAtMs: firstAttemptAt,
      lastAttemptAtMs: at,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      lastLatencyMs: result.latencyMs,
    };
    const done = this.now();
    const next =
      result.ok || gone
        ? null
        : nextAttemptAt(
            this.options.schedule,
            attempts,
            firstAttemptAt,
            done,
            retryAfterMs(result.retryAfter, done),
          );
    return inAccount(delivery.accountId, () =>
      runTransaction(this.dataSource, async (tx) => {
        const endpoints = scoped(tx, WebhookEndpoint);
        if (result.ok) {
          const recorded = await this.repository.recordAttempt(tx, delivery, token, {
            ...common,
            status: DeliveryStatus.SUCCEEDED,
            completedAtMs: done,
          });
          if (recorded && endpoint.failedInRow > 0) {
            await endpoints.update({ id: endpoint.id }, { failedInRow: 0 });
          }
          return;
        }
        if (next !== null) {
          const recorded = await this.repository.recordAttempt(tx, delivery, token, {
            ...common,
            nextAttemptAtMs: next,
          });
          // A retry due before the next poll is looked for when it is due.
          const wait = next - done;
          if (recorded && wait < this.options.pollMs) {
            afterCommit(tx, () => setTimeout(() => this.kick(false), Math.max(0, wait)).unref());
          }
          return;
        }
        const recorded = await this.repository.recordAttempt(tx, delivery, token, {
          ...common,
          status: DeliveryStatus.FAILED,
          completedAtMs: done,
        });
        // An event pruned before it could be sent is not the receiver's failure.
        if (!recorded || gone) return;
        await endpoints.update({ id: endpoint.id }, { failedInRow: () => "failed_in_row + 1" });
        const reason = await this.disableIfFailing(tx, endpoint.id);
        if (reason !== null) {
          afterCommit(tx, () =>
            this.logger.warn(
              { endpoint: endpoint.id, account: endpoint.accountId },
              `webhooks: endpoint turned off: ${reason}`,
            ),
          );
        }
      }),
    );
  }

  /**
   * Turns the endpoint off once `disableAfterFailures` deliveries in a row have failed for
   * good, with an audit entry by the service itself (actor `system`).
   */
  private async disableIfFailing(tx: Transaction, endpointId: number): Promise<string | null> {
    const endpoint = await scoped(tx, WebhookEndpoint).findOne({ where: { id: endpointId } });
    if (!endpoint?.active || endpoint.failedInRow < this.options.disableAfterFailures) return null;
    const reason = `${endpoint.failedInRow} deliveries in a row failed after every retry`;
    await scoped(tx, WebhookEndpoint).update(
      { id: endpointId, active: true },
      { active: false, disabledReason: reason, updatedAt: currentTimestamp() },
    );
    await writeAudit(tx, {
      actor: null,
      action: AuditAction.UPDATE,
      entityType: AuditEntityType.WEBHOOK_ENDPOINT,
      entityId: endpointId,
      changes: [
        { field: "active", before: true, after: false },
        { field: "disabledReason", before: null, after: reason },
      ],
    });
    return reason;
  }
}
