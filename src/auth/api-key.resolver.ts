import { Arg, Field, ID, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { ApiKey } from "./api-key.entity";
import { CreateApiKeyInput } from "./api-key.inputs";
import { ApiKeyService } from "./api-key.service";

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

@Resolver()
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Query(() => [ApiKey], {
    description:
      "All API keys of the caller's account, active and revoked, oldest first (ADMIN only). Never the secrets.",
  })
  apiKeys(@Caller() actor: Principal): Promise<ApiKey[]> {
    return this.keys.list(actor);
  }

  @Mutation(() => CreatedApiKey, {
    description:
      "Creates an API key and returns its secret, once. ADMIN: a key of its own account. PLATFORM: a key of the account named by `accountCode`, or a PLATFORM key (no account).",
  })
  createApiKey(
    @Caller() actor: Principal,
    @Arg("input", () => CreateApiKeyInput, { description: "The new key's name and role." })
    input: CreateApiKeyInput,
  ): Promise<CreatedApiKey> {
    return this.keys.create(input, actor);
  }

  @Mutation(() => ApiKey, {
    description:
      "Revokes an API key: it is refused from then on (by other running instances within API_KEY_CACHE_SECONDS). Revoking a revoked key changes nothing. ADMIN only.",
  })
  revokeApiKey(
    @Caller() actor: Principal,
    @Arg("id", () => ID, { description: "The key to revoke." }) id: string,
  ): Promise<ApiKey> {
    return this.keys.revoke(id, actor);
  }
}
