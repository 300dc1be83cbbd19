import { Field, ID, ObjectType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from "typeorm";
import { Role } from "../access/principal";
import { CallStatus } from "../statuses/call-status.entity";
import { Lead } from "../leads/lead.entity";
import { AccountOwned } from "../tenancy/account-owned.entity";
import { COMMENT_MAX_LENGTH } from "./call.limits";

@ObjectType({ description: "A finished call attempt and the outcome recorded for it." })
@Entity({ name: "calls" })
// Every list of calls is newest first by (createdAt, id): each filter has an index in that order.
@Index("IDX_calls_lead", ["accountId", "leadId", "createdAt", "id"])
@Index("IDX_calls_call_status", ["accountId", "callStatusId", "createdAt", "id"])
@Index("IDX_calls_created_at", ["accountId", "createdAt", "id"])
@Index("UQ_calls_idempotency", ["accountId", "idempotencyHash"], { unique: true })
// For the lead and call-status foreign keys: MySQL/MariaDB need an index that starts with the
// foreign key's column.
@Index("IDX_calls_lead_id", ["leadId"])
@Index("IDX_calls_call_status_id", ["callStatusId"])
export class Call extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  // BIGINT on MySQL/MariaDB (read as a JS number: exact up to 2^53), INTEGER on SQLite.
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: number;

  @Column({ name: "lead_id", type: "bigint" })
  leadId!: number;

  @ManyToOne(() => Lead, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "lead_id", foreignKeyConstraintName: "FK_calls_lead" })
  lead?: Lead;

  @Column({ name: "call_status_id", type: "integer" })
  callStatusId!: number;

  @ManyToOne(() => CallStatus, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "call_status_id", foreignKeyConstraintName: "FK_calls_call_status" })
  callStatus?: CallStatus;

  @Field(() => String, {
    nullable: true,
    description: "The comment given when finishing the call.",
  })
  @Column({ type: "varchar", length: COMMENT_MAX_LENGTH, nullable: true })
  comment!: string | null;

  @Field({ description: "The call had been transferred to the agent who finished it." })
  @Column({ name: "after_call_transfer", type: "boolean", default: false })
  afterCallTransfer!: boolean;

  @Field(() => Date, { nullable: true, description: "When the lead is to be called next (UTC)." })
  @Column({ name: "next_call_at", type: "datetime", nullable: true })
  nextCallAt!: Date | null;

  @Field({ description: "True when recording this call moved the lead to another status." })
  @Column({ name: "lead_status_changed", type: "boolean", default: false })
  leadStatusChanged!: boolean;

  @Field(() => Role, { description: "The role of whoever recorded the result." })
  @Column({ name: "recorded_by_role", type: "simple-enum", enum: Role })
  recordedByRole!: Role;

  @Field({
    description:
      "Who recorded the result: `key:<id>` for an API key, `jwt:<subject>` for a JWT, `cli` for the operator tool.",
  })
  @Column({ name: "recorded_by", type: "varchar", length: 255 })
  recordedBy!: string;

  /** SHA-256 of (recorder, idempotency key); unique, so a retried request cannot record twice. */
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000006-ExactKeys.ts.
  @Column({ name: "idempotency_hash", type: "varchar", length: 64, nullable: true })
  idempotencyHash!: string | null;

  /** SHA-256 of the normalized input, to tell a replay from a key reused for other input. */
  @Column({ name: "request_hash", type: "varchar", length: 64, nullable: true })
  requestHash!: string | null;

  @Field({ description: "When the result was recorded (UTC, whole seconds)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;
}
