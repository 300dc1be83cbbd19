import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Account } from "../tenancy/account.entity";

/** One row per account, whose `revision` every change to that account's status lists increases. */
@Entity({ name: "status_revision" })
export class StatusRevision {
  @PrimaryColumn({ name: "account_id", type: "integer" })
  accountId!: number;

  @ManyToOne(() => Account, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  @Column({ type: "integer", default: 0 })
  revision!: number;
}
