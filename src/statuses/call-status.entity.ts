import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne } from "typeorm";
import { AgentVisibility } from "../access/audience";
import { StatusBase } from "./status-base.entity";
import { LeadStatus } from "./lead-status.entity";
import { Reusable } from "../graphql/response-cache";

@Reusable()
@ObjectType({
  description:
    'The outcome of a call attempt ("Qualified", "Voicemail", …). Finishing a call with it moves the lead to the linked lead status, if any. Call statuses are never deleted: hide one by turning its visibility off.',
})
@Entity({ name: "call_statuses" })
@Index("IDX_call_statuses_sort", ["accountId", "sort", "id"])
@Index("UQ_call_statuses_code", ["accountId", "code"], { unique: true })
export class CallStatus extends StatusBase {
  @Field(() => String, {
    nullable: true,
    description:
      "What the outcome means, for people and for AI agents choosing between outcomes. Null when not set.",
  })
  @Column({ type: "varchar", length: 1000, nullable: true })
  description!: string | null;

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
}
