import { Arg, FieldResolver, ID, Mutation, Query, Resolver } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { Viewer } from "../access/viewer.resolver";
import { Account } from "../tenancy/account.entity";
import { CreateAccountInput, UpdateAccountInput } from "./account.inputs";
import { AccountService } from "./account.service";

@Resolver(() => Account)
export class AccountResolver {
  constructor(private readonly accountService: AccountService) {}

  @Query(() => [Account], { description: "Every account, oldest first (PLATFORM only)." })
  accounts(@Caller() actor: Principal): Promise<Account[]> {
    return this.accountService.list(actor);
  }

  @Mutation(() => Account, {
    description:
      "Creates an account with the 4 system lead statuses and 7 system call statuses (PLATFORM only). Give it keys with `createApiKey(input: { accountCode })`.",
  })
  createAccount(
    @Caller() actor: Principal,
    @Arg("input", () => CreateAccountInput, { description: "The new account." })
    input: CreateAccountInput,
  ): Promise<Account> {
    return this.accountService.create(input, actor);
  }

  @Mutation(() => Account, {
    description:
      "Renames an account or turns it off and on (PLATFORM only). Accounts are never deleted.",
  })
  updateAccount(
    @Caller() actor: Principal,
    @Arg("id", () => ID, { description: "The account to change." }) id: string,
    @Arg("input", () => UpdateAccountInput, { description: "The changes." })
    input: UpdateAccountInput,
  ): Promise<Account> {
    return this.accountService.update(id, input, actor);
  }
}

@Resolver(() => Viewer)
export class ViewerAccountResolver {
  constructor(private readonly accountService: AccountService) {}

  @FieldResolver(() => Account, {
    nullable: true,
    description: "The account the caller acts in; null for PLATFORM (bound to no account).",
  })
  account(@Caller() actor: Principal): Promise<Account | null> {
    return this.accountService.ofCaller(actor);
  }
}
