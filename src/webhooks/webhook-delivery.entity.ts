import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { AccountOwned } from "../tenancy/account-owned.entity";

export enum DeliveryStatus {
  PENDING = "PENDING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}

registerEnumType(DeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where a delivery stands.",
  valuesConfig: {
    PENDING: {
      description: "Not delivered yet: waiting for its first attempt or for its next retry.",
    },
    SUCCEEDED: { description: "The endpoint answered an attempt with a 2xx status." },
    FAILED: {
      description:
        "Every attempt of the retry schedule failed (or the event is no longer kept); not tried again unless redelivered.",
    },
  },
});

/**
 * One event to send to one endpoint, and how its attempts went. Times are ms since the epoch
 * (compared by every instance's dispatcher: see `webhook-dispatcher.ts`).
 */
@ObjectType({
  description:
    "One event sent (or to be sent) to one webhook endpoint, with how its attempts went: the endpoint's delivery log.",
})
@Entity({ name: "webhook_deliveries" })
@Index("IDX_webhook_deliveries_endpoint", ["accountId", "endpointId", "id"])
@Index("IDX_webhook_deliveries_due", ["status", "nextAttemptAtMs", "id"])
@Index("IDX_webhook_deliveries_order", ["endpointId", "orderKey", "status", "seq"])
export class WebhookDelivery extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: number;

  @Column({ name: "endpoint_id", type: "integer" })
  endpointId!: number;

  /** The change log entry delivered (`change_log.id`; the entry may be pruned since). */
  @Column({ name: "change_id", type: "bigint" })
  changeId!: number;

  /** The entry's place in the account's feed: the order of deliveries with one order key. */
  @Column({ type: "bigint" })
  seq!: number;

  @Field({ description: "The event's type, e.g. `call.recorded`." })
  @Column({ name: "event_type", type: "varchar", length: 40 })
  eventType!: string;

  /**
   * What deliveries are ordered by: `lead:<id>` for a lead's events and its calls,
   * `<kind>:<id>` for a status. A delivery waits while an earlier one with its key is pending.
   */
  @Column({ name: "order_key", type: "varchar", length: 64 })
  orderKey!: string;

  @Field(() => DeliveryStatus, { description: "Where the delivery stands." })
  @Column({ type: "varchar", length: 16 })
  status!: DeliveryStatus;

  @Field(() => Int, { description: "Attempts made so far." })
  @Column({ type: "integer", default: 0 })
  attempts!: number;

  /** When the next attempt is due (ms since the epoch); kept when done. */
  @Column({ name: "next_attempt_at", type: "bigint" })
  nextAttemptAtMs!: number;

  /** An instance's claim on the attempt under way: until when (ms), and its token. */
  @Column({ name: "claimed_until", type: "bigint", nullable: true })
  claimedUntil!: number | null;

  @Column({ name: "claim_token", type: "varchar", length: 36, nullable: true })
  claimToken!: string | null;

  /** When the first attempt was made (ms): the retry period runs from it. */
  @Column({ name: "first_attempt_at", type: "bigint", nullable: true })
  firstAttemptAtMs!: number | null;

  @Column({ name: "last_attempt_at", type: "bigint", nullable: true })
  lastAttemptAtMs!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "The HTTP status the endpoint answered the last attempt with; null when none (a timeout, a refused connection).",
  })
  @Column({ name: "last_status_code", type: "integer", nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      "What went wrong in the last attempt (a timeout, a refused address, the start of a non-2xx answer's body); null when it succeeded.",
  })
  @Column({ name: "last_error", type: "varchar", length: 255, nullable: true })
  lastError!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: "How long the last attempt took, in milliseconds; null before the first.",
  })
  @Column({ name: "last_latency_ms", type: "integer", nullable: true })
  lastLatencyMs!: number | null;

  @Field({
    description: "True for a delivery an administrator asked for again (`redeliverWebhookEvents`).",
  })
  @Column({ type: "boolean", default: false })
  redelivery!: boolean;

  @Column({ name: "created_at", type: "bigint" })
  createdAtMs!: number;

  @Column({ name: "completed_at", type: "bigint", nullable: true })
  completedAtMs!: number | null;

  @Field(() => ID, {
    description:
      "The event delivered: its `id` in the payload, the `webhook-id` header, and the change feed.",
  })
  get eventId(): string {
    return String(this.changeId);
  }

  @Field({ description: "When the delivery was queued (UTC)." })
  get createdAt(): Date {
    return new Date(Number(this.createdAtMs));
  }

  @Field(() => Date, {
    nullable: true,
    description: "When the last attempt was made (UTC); null before the first.",
  })
  get lastAttemptAt(): Date | null {
    return this.lastAttemptAtMs === null ? null : new Date(Number(this.lastAttemptAtMs));
  }

  @Field(() => Date, {
    nullable: true,
    description: "When the next attempt is due (UTC); null once the delivery succeeded or failed.",
  })
  get nextAttemptAt(): Date | null {
    return this.status === DeliveryStatus.PENDING ? new Date(Number(this.nextAttemptAtMs)) : null;
  }

  @Field(() => Date, {
    nullable: true,
    description: "When the delivery succeeded or failed for good (UTC); null while pending.",
  })
  get completedAt(): Date | null {
    return this.completedAtMs === null ? null : new Date(Number(this.completedAtMs));
  }
}
