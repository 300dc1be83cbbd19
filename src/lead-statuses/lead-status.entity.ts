import { Field, ID, Int, ObjectType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from "typeorm";
import { LeadStatusCategory, StatusType } from "../common/enums";

@ObjectType({
  description:
    'A lead\'s overall state in the workflow ("New", "In progress", "Qualified", …). A call status may be linked to one; finishing a call with that call status moves the lead here.',
})
@Entity({ name: "lead_statuses" })
@Index("IDX_lead_statuses_sort", ["sort", "id"])
export class LeadStatus {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  @Field({
    description:
      "Symbolic code (system ID), e.g. `in_progress`. Unique among lead statuses and never changes after creation.",
  })
  @Index("UQ_lead_statuses_code", { unique: true })
  @Column({ type: "varchar", length: 64, update: false })
  code!: string;

  @Field({ description: "Display name, in any language." })
  @Column({ type: "varchar", length: 255 })
  title!: string;

  @Field(() => LeadStatusCategory, {
    description:
      'Category: in progress, qualified ("Target") or disqualified ("Non-target"). Fixed for system statuses.',
  })
  @Column({ type: "simple-enum", enum: LeadStatusCategory })
  category!: LeadStatusCategory;

  @Field(() => Int, { description: "Position in lists, ascending; ties are ordered by id." })
  @Column({ type: "integer" })
  sort!: number;

  @Field({ description: "Colour shown in the UI, `#RRGGBB` (upper case)." })
  @Column({ type: "varchar", length: 7 })
  color!: string;

  @Field(() => StatusType, { description: "SYSTEM (seeded) or CUSTOM (created through the API)." })
  @Column({ type: "simple-enum", enum: StatusType, default: StatusType.CUSTOM, update: false })
  type!: StatusType;

  @Field({ description: "When the status was created (UTC, whole seconds)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field({ description: "When the status was last changed (UTC, whole seconds)." })
  @UpdateDateColumn({
    name: "updated_at",
    precision: null,
    default: () => "CURRENT_TIMESTAMP",
    onUpdate: "CURRENT_TIMESTAMP",
  })
  updatedAt!: Date;

  @Field(() => Int, {
    description:
      "Increases by one on every change. Pass it back as `expectedVersion` to refuse an update when someone else changed the status meanwhile.",
  })
  @VersionColumn({ default: 1 })
  version!: number;
}
