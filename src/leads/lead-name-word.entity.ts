import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { AccountOwned } from "../tenancy/account-owned.entity";
import { Lead } from "./lead.entity";

/**
 * The word index of lead names: one row per distinct word of a lead's name (`documentWords` of
 * its `search_name`). A name search reads one range of `IDX_lead_name_words_search`, which
 * starts with the account: what it costs depends on the caller's own leads only, never on how
 * common a name is in other accounts. Written with the lead, in the same transaction
 * (`LeadRepository.insert`); built for existing leads by migration 009.
 */
@Entity({ name: "lead_name_words" })
@Index("IDX_lead_name_words_search", ["accountId", "word", "leadId"])
export class LeadNameWord extends AccountOwned {
  @PrimaryColumn({ name: "lead_id", type: "bigint" })
  leadId!: number;

  /** Compared byte for byte (`utf8mb4_bin` on MySQL/MariaDB, set by migration 009). */
  @PrimaryColumn({ type: "varchar", length: 255 })
  word!: string;

  @ManyToOne(() => Lead, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "lead_id", foreignKeyConstraintName: "FK_lead_name_words_lead" })
  lead?: Lead;
}
