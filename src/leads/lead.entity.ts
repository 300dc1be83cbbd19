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
import { AccountOwned } from "../accounts/account-owned.entity";

@ObjectType({
  description:
    "A person or company the dialer calls. Its status moves automatically when a call is finished with a call status that links a lead status.",
})
@Entity({ name: "leads" })
@Index("IDX_leads_status", ["accountId", "statusId", "id"])
@Index("UQ_leads_external_id", ["accountId", "externalId"], { unique: true })
@Index("IDX_leads_account", ["accountId", "id"])
// For the status foreign key: MySQL/MariaDB need an index that starts with its column.
@Index("IDX_leads_status_id", ["statusId"])
export class Lead extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
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

  @Field(() => String, { nullable: true, description: "Name of the person or company." })
  @Column({ type: "varchar", length: 255, nullable: true })
  name!: string | null;

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
