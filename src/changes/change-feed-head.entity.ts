import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Account } from "../tenancy/account.entity";

/**
 * Per account, the last place its change feed has given (`ChangeLogEntry.seq`): the next entry
 * gets the one after it, even once the entries before have been pruned. Written by the
 * sequencer alone (`ChangeSequencer`), never by the writes that add entries.
 */
@Entity({ name: "change_feed_heads" })
export class ChangeFeedHead {
  @PrimaryColumn({ name: "account_id", type: "integer" })
  accountId!: number;

  @Column({ type: "bigint" })
  seq!: number;

  /** Never loaded. Declared for the foreign key. */
  @ManyToOne(() => Account, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "account_id" })
  account?: Account;
}
