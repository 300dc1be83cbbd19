import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { AccountOwned } from "../tenancy/account-owned.entity";

/** What changed: `<entity>.<what happened>`, the names webhooks and the change feed use. */
export enum ChangeType {
  CALL_STATUS_CREATED = "call_status.created",
  CALL_STATUS_UPDATED = "call_status.updated",
  LEAD_STATUS_CREATED = "lead_status.created",
  LEAD_STATUS_UPDATED = "lead_status.updated",
  LEAD_CREATED = "lead.created",
  LEAD_UPDATED = "lead.updated",
  CALL_RECORDED = "call.recorded",
}

/**
 * One committed change of an account's data, written in the same transaction as the change
 * (`ChangeLog.append`): the account change log. Live subscriptions are told of it once it has
 * committed; webhooks and the change feed read it. Kept for `CHANGE_LOG_RETENTION_DAYS`.
 */
@Entity({ name: "change_log" })
@Index("IDX_change_log_account", ["accountId", "id"])
@Index("IDX_change_log_created_at", ["createdAt", "id"])
@Index("UQ_change_log_account_seq", ["accountId", "seq"], { unique: true })
@Index("IDX_change_log_seq", ["seq", "id"])
export class ChangeLogEntry extends AccountOwned {
  /**
   * Handed out at insert: not the order of commits (a transaction may commit after a later
   * one). The feed's order is `seq`.
   */
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: number;

  @Column({ type: "varchar", length: 40 })
  type!: ChangeType;

  /** The id of the call status, lead status, lead or call that changed. */
  @Column({ name: "entity_id", type: "bigint" })
  entityId!: number;

  /** The lead concerned (a lead's own changes and its calls); null for statuses. */
  @Column({ name: "lead_id", type: "bigint", nullable: true })
  leadId!: number | null;

  /** The account's status revision after the change (status changes); null for others. */
  @Column({ type: "integer", nullable: true })
  revision!: number | null;

  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  /**
   * The entry's place in its account's change feed: 1, 2, 3, … in the order entries became
   * visible (committed), given shortly after the commit (`ChangeSequencer`); null until then.
   */
  @Column({ type: "bigint", nullable: true })
  seq!: number | null;

  /** What the change was, as it was at commit: the event's `data` (JSON); null for old entries. */
  @Column({ type: "text", nullable: true })
  data!: string | null;
}
