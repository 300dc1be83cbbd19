import { Field, ObjectType } from "type-graphql";
import { connectionType } from "../graphql/connection";
import { Lead } from "../leads/lead.entity";
import { Call } from "./call.entity";

export const CallConnection = connectionType(Call, "Call", "call");

@ObjectType({
  description:
    "Which outcome a call was finished with, by name: shown to every caller that may read the call, even when the call status itself is hidden from it.",
})
export class CallOutcome {
  @Field({ description: "The call status's code, e.g. `voicemail`." })
  code!: string;

  @Field({ description: "The call status's display name, as it is now." })
  title!: string;
}

@ObjectType({ description: "What recording a call result did." })
export class CallResult {
  @Field(() => Call, { description: "The call as stored." })
  call!: Call;

  @Field(() => Lead, { description: "The lead, with its status after the call." })
  lead!: Lead;

  @Field({
    description:
      "True when the call moved the lead to another status (the call status links a lead status other than the lead's current one).",
  })
  leadStatusChanged!: boolean;
}

@ObjectType({ description: "A lead after a committed change of it." })
export class LeadChange {
  @Field(() => Lead, { description: "The lead as it is now (its status after the change)." })
  lead!: Lead;

  @Field(() => Call, {
    nullable: true,
    description:
      "The call whose recording changed the lead (the latest one, when several were recorded before this was sent); null for other changes, such as the lead's creation.",
  })
  call!: Call | null;
}
