import { Field, ObjectType, Query, Resolver } from "type-graphql";
import { Caller } from "./caller";
import { Role, type Principal } from "./principal";

@ObjectType({ description: "Who the current request is authenticated as." })
export class Viewer {
  @Field(() => Role, { description: "The caller's role." })
  role!: Role;

  @Field({
    description: "Stable id of the caller: `key:<id>` for an API key, `jwt:<subject>` for a JWT.",
  })
  actorId!: string;

  @Field(() => String, {
    nullable: true,
    description: "The visible prefix of the API key used; null for a JWT.",
  })
  keyPrefix!: string | null;
}

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, {
    description: "Who this request is authenticated as (any role). Handy to check a key.",
  })
  viewer(@Caller() actor: Principal): Viewer {
    const { role, actorId, keyPrefix } = actor;
    return { role, actorId, keyPrefix: keyPrefix ?? null };
  }
}
