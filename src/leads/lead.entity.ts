import { Field, ID, Int, ObjectType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from "typeorm";
import { LeadStatus } from "../statuses/lead-status.entity";
import { AccountOwned } from "../tenancy/account-owned.entity";

@ObjectType({
  description:
    "A person or company the dialer calls. Its status moves automatically when a call is finished with a call status that links a lead status.",
})
@Entity({ name: "leads" })
@Index("IDX_leads_status", ["accountId", "statusId", "id"])
@Index("UQ_leads_external_id", ["accountId", "externalId"], { unique: true })
@Index("IDX_leads_account", ["accountId", "id"])
@Index("IDX_leads_phone", ["accountId", "phoneE164", "id"])
// For the status foreign key: MySQL/MariaDB need an index that starts with its column.
@Index("IDX_leads_status_id", ["statusId"])
export class Lead extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  // BIGINT on MySQL/MariaDB (read as a JS number: exact up to 2^53), INTEGER on SQLite.
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: number;

  @Field(() => String, {
    nullable: true,
    description: "The lead's id in the system it comes from (CRM, import). Unique when given.",
  })
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000006-ExactKeys.ts.
  @Column({ name: "external_id", type: "varchar", length: 255, nullable: true })
  externalId!: string | null;

  @Field(() => String, { nullable: true, description: "Phone number, as given." })
  @Column({ type: "varchar", length: 32, nullable: true })
  phone!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The phone number in E.164 form (`+` and the digits, e.g. `+442071838750`), as the `phone` filter matches it; null when `phone` is not a possible phone number (or has no country code and the service has no default region).",
  })
  @Column({ name: "phone_e164", type: "varchar", length: 16, nullable: true })
  phoneE164!: string | null;

  @Field(() => String, { nullable: true, description: "Name of the person or company." })
  @Column({ type: "varchar", length: 255, nullable: true })
  name!: string | null;

  /**
   * The name's words (`fullTextDocument`), as name search matches them; null without a name.
   * Each word is also a row of `lead_name_words`, the index a search starts from.
   */
  @Column({ name: "search_name", type: "varchar", length: 255, nullable: true })
  searchName!: string | null;

  /** Foreign key of the current lead status. */
  @Column({ name: "status_id", type: "integer" })
  statusId!: number;

  @ManyToOne(() => LeadStatus, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "status_id", foreignKeyConstraintName: "FK_leads_status" })
  status?: LeadStatus;

  @Field({ description: "When the lead was created (UTC, whole seconds)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field({ description: "When the lead last changed, e.g. its status (UTC, whole seconds)." })
  @UpdateDateColumn({
    name: "updated_at",
    precision: null,
    default: () => "CURRENT_TIMESTAMP",
    onUpdate: "CURRENT_TIMESTAMP",
  })
  updatedAt!: Date;

  @Field(() => Int, { description: "Increases by one on every change of the lead." })
  @VersionColumn({ default: 1 })
  version!: number;
}
