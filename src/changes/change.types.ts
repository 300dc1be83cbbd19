import { GraphQLJSONObject } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { connectionType } from "../graphql/connection";

@ObjectType({
  description:
    "One committed change of the account's data — a call recorded, a lead created or moved, a status created or changed — as the change feed and webhooks give it.",
})
export class Change {
  @Field(() => ID, {
    description: "The change's identifier, as a string (the same in its webhook).",
  })
  id!: string;

  @Field({
    description:
      "What changed: `call.recorded`, `lead.created`, `lead.updated`, `call_status.created`, `call_status.updated`, `lead_status.created` or `lead_status.updated`.",
  })
  type!: string;

  @Field(() => Int, {
    description: "The version of `data`'s shape for this type (1); a new version is a new shape.",
  })
  version!: number;

  @Field({ description: "When the change was committed (UTC, whole seconds)." })
  occurredAt!: Date;

  @Field(() => ID, { description: "The id of the call, lead or status that changed." })
  entityId!: string;

  @Field(() => ID, {
    nullable: true,
    description: "The lead concerned (its own changes and its calls); null for status changes.",
  })
  leadId!: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'What the change was, as it was at commit (the shape of each type is documented in docs/API.md, "Change events"); null for changes recorded before the feed existed.',
  })
  data!: Record<string, unknown> | null;
}

export const ChangeConnection = connectionType(Change, "Change", "change", "oldest first");
