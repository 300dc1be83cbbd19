import { Field, ObjectType } from "type-graphql";
import { Column, Entity, Index } from "typeorm";
import { LeadStatusCategory } from "./status.enums";
import { StatusBase } from "./status-base.entity";
import { Reusable } from "../graphql/response-cache";

@Reusable()
@ObjectType({
  description:
    'A lead\'s overall state in the workflow ("New", "In progress", "Qualified", …). A call status may be linked to one; finishing a call with that call status moves the lead here.',
})
@Entity({ name: "lead_statuses" })
@Index("IDX_lead_statuses_sort", ["accountId", "sort", "id"])
@Index("UQ_lead_statuses_code", ["accountId", "code"], { unique: true })
export class LeadStatus extends StatusBase {
  @Field(() => LeadStatusCategory, {
    description:
      'Category: in progress, qualified ("Target") or disqualified ("Non-target"). Fixed for system statuses.',
  })
  @Column({ type: "simple-enum", enum: LeadStatusCategory })
  category!: LeadStatusCategory;

  @Field({ description: "Colour shown in the UI, `#RRGGBB` (upper case)." })
  @Column({ type: "varchar", length: 7 })
  color!: string;
}
