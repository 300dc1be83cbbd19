import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver } from "type-graphql";
import { Viewer } from "../auth/api-key.resolver";
import type { GraphQLContext } from "../context";
import { Account } from "./account.entity";
import { CreateAccountInput, UpdateAccountInput } from "./account.inputs";

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => [Account], { description: "Every account, oldest first (PLATFORM only)." })
  accounts(@Ctx() ctx: GraphQLContext): Promise<Account[]> {
    return ctx.services.accounts.list(ctx.principal);
  }

  @Mutation(() => Account, {
    description:
      "Creates an account with the 4 system lead statuses and 7 system call statuses (PLATFORM only). Give it keys with `createApiKey(input: { accountCode })`.",
  })
  createAccount(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => CreateAccountInput, { description: "The new account." })
    input: CreateAccountInput,
  ): Promise<Account> {
    return ctx.services.accounts.create(input, ctx.principal);
  }

  @Mutation(() => Account, {
    description:
      "Renames an account or turns it off and on (PLATFORM only). Accounts are never deleted.",
  })
  updateAccount(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { description: "The account to change." }) id: string,
    @Arg("input", () => UpdateAccountInput, { description: "The changes." })
    input: UpdateAccountInput,
  ): Promise<Account> {
    return ctx.services.accounts.update(id, input, ctx.principal);
  }
}

@Resolver(() => Viewer)
export class ViewerAccountResolver {
  @FieldResolver(() => Account, {
    nullable: true,
    description: "The account the caller acts in; null for PLATFORM (bound to no account).",
  })
  account(@Ctx() ctx: GraphQLContext): Promise<Account | null> {
    return ctx.services.accounts.ofCaller(ctx.principal);
  }
}
