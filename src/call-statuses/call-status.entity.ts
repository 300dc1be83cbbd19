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
import { AgentVisibility, StatusType } from "../common/enums";
import { LeadStatus } from "../lead-statuses/lead-status.entity";

@ObjectType({
  description:
    'The outcome of a call attempt ("Qualified", "Voicemail", …). Finishing a call with it moves the lead to the linked lead status, if any. Call statuses are never deleted: hide one by turning its visibility off.',
})
@Entity({ name: "call_statuses" })
@Index("IDX_call_statuses_sort", ["sort", "id"])
export class CallStatus {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  @Field({
    description:
      "Symbolic code (system ID), e.g. `voicemail`. Unique among call statuses and never changes after creation.",
  })
  @Index("UQ_call_statuses_code", { unique: true })
  @Column({ type: "varchar", length: 64, update: false })
  code!: string;

  @Field({ description: "Display name, in any language." })
  @Column({ type: "varchar", length: 255 })
  title!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "What the outcome means, for people and for AI agents choosing between outcomes. Null when not set.",
  })
  @Column({ type: "varchar", length: 1000, nullable: true })
  description!: string | null;

  @Field(() => Int, { description: "Position in lists, ascending; ties are ordered by id." })
  @Column({ type: "integer" })
  sort!: number;

  @Field({
    description: "A comment must be given when a call is finished with this status.",
  })
  @Column({ name: "comment_required", type: "boolean", default: false })
  commentRequired!: boolean;

  @Field({
    description: "The next call time must be given when a call is finished with this status.",
  })
  @Column({ name: "planning_time_required", type: "boolean", default: false })
  planningTimeRequired!: boolean;

  /** Foreign key of `leadStatus`; null when no lead status is linked. */
  @Index("IDX_call_statuses_lead_status")
  @Column({ name: "lead_status_id", type: "integer", nullable: true })
  leadStatusId!: number | null;

  /** Loaded only when a query asks for it; the GraphQL field is resolved in the resolver. */
  @ManyToOne(() => LeadStatus, { nullable: true, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "lead_status_id", foreignKeyConstraintName: "FK_call_statuses_lead_status" })
  leadStatus?: LeadStatus | null;

  @Field(() => StatusType, { description: "SYSTEM (seeded) or CUSTOM (created through the API)." })
  @Column({ type: "simple-enum", enum: StatusType, default: StatusType.CUSTOM, update: false })
  type!: StatusType;

  @Field(() => AgentVisibility, {
    description: "When human agents are offered this status in the wrap-up form.",
  })
  @Column({
    name: "agent_visibility",
    type: "simple-enum",
    enum: AgentVisibility,
    default: AgentVisibility.ALWAYS,
  })
  agentVisibility!: AgentVisibility;

  @Field({
    description:
      "Derived, read-only: true when agents are offered this status at all (`agentVisibility` is not NEVER).",
  })
  get showToAgent(): boolean {
    return this.agentVisibility !== AgentVisibility.NEVER;
  }

  @Field({ description: "AI voice agents may choose this status." })
  @Column({ name: "show_to_ai_agents", type: "boolean", default: false })
  showToAiAgents!: boolean;

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
