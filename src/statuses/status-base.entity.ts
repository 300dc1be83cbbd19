import { Field, ID, Int, ObjectType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from "typeorm";
import { StatusType } from "./status.enums";
import { AccountOwned } from "../tenancy/account-owned.entity";

/**
 * The columns and fields call statuses and lead statuses share. Each entity declares its own
 * indexes (their names carry the table's name).
 */
@ObjectType({ description: "Fields every status has." })
export abstract class StatusBase extends AccountOwned {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  @Field({
    description:
      "Symbolic code (system ID), e.g. `voicemail` or `in_progress`. Unique among statuses of its kind and never changes after creation.",
  })
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000006-ExactKeys.ts.
  @Column({ type: "varchar", length: 64, update: false })
  code!: string;

  @Field({ description: "Display name, in any language." })
  @Column({ type: "varchar", length: 255 })
  title!: string;

  @Field(() => Int, { description: "Position in lists, ascending; ties are ordered by id." })
  @Column({ type: "integer" })
  sort!: number;

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
