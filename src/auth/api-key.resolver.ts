import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "../context";
import { ApiKey } from "./api-key.entity";
import { CreateApiKeyInput } from "./api-key.inputs";
import { Role } from "./principal";

@ObjectType({ description: "A newly created API key with its secret, which is never shown again." })
class CreatedApiKey {
  @Field(() => ApiKey, { description: "The key's details, as `apiKeys` lists them." })
  apiKey!: ApiKey;

  @Field({
    description:
      "The whole key, to send as `X-Api-Key: <secret>` (or `Authorization: Bearer <secret>`). Store it now: only a hash is kept.",
  })
  secret!: string;
}

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
export class ApiKeyResolver {
  @Query(() => Viewer, {
    description: "Who this request is authenticated as (any role). Handy to check a key.",
  })
  viewer(@Ctx() ctx: GraphQLContext): Viewer {
    const { role, actorId, keyPrefix } = ctx.principal;
    return { role, actorId, keyPrefix: keyPrefix ?? null };
  }

  @Query(() => [ApiKey], {
    description:
      "All API keys of the caller's account, active and revoked, oldest first (ADMIN only). Never the secrets.",
  })
  apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKey[]> {
    return ctx.services.apiKeys.list(ctx.principal);
  }

  @Mutation(() => CreatedApiKey, {
    description:
      "Creates an API key and returns its secret, once. ADMIN: a key of its own account. PLATFORM: a key of the account named by `accountCode`, or a PLATFORM key (no account).",
  })
  createApiKey(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => CreateApiKeyInput, { description: "The new key's name and role." })
    input: CreateApiKeyInput,
  ): Promise<CreatedApiKey> {
    return ctx.services.apiKeys.create(input, ctx.principal);
  }

  @Mutation(() => ApiKey, {
    description:
      "Revokes an API key: it is refused from then on (by other running instances within API_KEY_CACHE_SECONDS). Revoking a revoked key changes nothing. ADMIN only.",
  })
  revokeApiKey(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { description: "The key to revoke." }) id: string,
  ): Promise<ApiKey> {
    return ctx.services.apiKeys.revoke(id, ctx.principal);
  }
}
