import { Field, ID, Int, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { AccountOwned } from "../tenancy/account-owned.entity";

@ObjectType({
  description:
    "A URL of another system (a CRM, the dialer, a warehouse) to which the account's changes are POSTed as signed webhooks (Standard Webhooks). Its signing secret is shown only when it is made: at creation and at each rotation.",
})
@Entity({ name: "webhook_endpoints" })
@Index("IDX_webhook_endpoints_account", ["accountId", "id"])
@Index("IDX_webhook_endpoints_active", ["active", "id"])
export class WebhookEndpoint extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  @Field({
    description:
      "Where the events are POSTed: an http(s) URL whose host resolves only to public addresses (unless the service allows private ones).",
  })
  @Column({ type: "varchar", length: 2048 })
  url!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What the endpoint is for, e.g. "CRM sync".',
  })
  @Column({ type: "varchar", length: 255, nullable: true })
  description!: string | null;

  /** The event types, as a JSON array. */
  @Column({ name: "events", type: "text" })
  eventsJson!: string;

  @Field(() => [String], {
    description:
      "The event types sent to it (`call.recorded`, `lead.created`, `lead.updated`, `call_status.created`, `call_status.updated`, `lead_status.created`, `lead_status.updated`).",
  })
  get events(): string[] {
    return JSON.parse(this.eventsJson) as string[];
  }

  @Field({
    description:
      "Events are delivered while true. False: turned off by an administrator, or by the service after a run of failed deliveries (`disabledReason` says so); its undelivered events wait, and are sent once it is active again.",
  })
  @Column({ type: "boolean", default: true })
  active!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      "Why the service turned the endpoint off (deliveries failing); null when it is active or an administrator turned it off.",
  })
  @Column({ name: "disabled_reason", type: "varchar", length: 255, nullable: true })
  disabledReason!: string | null;

  /**
   * The signing secret (`whsec_` + base64), as stored: sealed when `WEBHOOKS_SECRET_KEY` is set
   * (see `secret-box.ts`). Never exposed after it is made.
   */
  @Column({ type: "varchar", length: 255 })
  secret!: string;

  /** The secret before the last rotation, still signing until `previousSecretUntil`. */
  @Column({ name: "previous_secret", type: "varchar", length: 255, nullable: true })
  previousSecret!: string | null;

  /** Until when (ms since the epoch) the previous secret signs too. */
  @Column({ name: "previous_secret_until", type: "bigint", nullable: true })
  previousSecretUntil!: number | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "Until when deliveries are also signed with the secret before the last rotation (UTC); null when only the current secret signs.",
  })
  get previousSecretExpiresAt(): Date | null {
    const until = this.previousSecretUntil === null ? null : Number(this.previousSecretUntil);
    return until !== null && until > Date.now() ? new Date(until) : null;
  }

  /**
   * The account's change feed has been turned into deliveries of this endpoint up to this place
   * (`change_log.seq`): the dispatcher moves it on with a conditional UPDATE.
   */
  @Column({ name: "cursor_seq", type: "bigint", default: 0 })
  cursorSeq!: number;

  @Field(() => Int, {
    description:
      "Deliveries that failed for good (every retry used) one after another, since the last one that succeeded.",
  })
  @Column({ name: "failed_in_row", type: "integer", default: 0 })
  failedInRow!: number;

  @Field({ description: "When the endpoint was created (UTC)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field({ description: "When the endpoint was last changed (UTC)." })
  // Set by the service on a change by an administrator (or the service turning it off), not by
  // the dispatcher's own bookkeeping (cursorSeq, failedInRow): so no UpdateDateColumn.
  @Column({ name: "updated_at", type: "datetime" })
  updatedAt!: Date;
}
