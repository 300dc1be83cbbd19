import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { CallStatus } from "../statuses/call-status.entity";
import { PageArgs, toConnection, type ConnectionShape } from "../graphql/connection";
import type { GraphQLContext } from "../context";
import { Lead } from "../leads/lead.entity";
import { Call } from "./call.entity";
import { CallFilter, RecordCallResultInput } from "./call.inputs";
import type { CallResultData } from "./call.service";
import { CallConnection, CallOutcome, CallResult } from "./call.types";

@Resolver(() => Call)
export class CallResolver {
  @Query(() => CallConnection, { description: "Recorded calls, newest first, a page at a time." })
  async calls(
    @Ctx() ctx: GraphQLContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => CallFilter, {
      nullable: true,
      description: "Conditions the returned calls must all meet; all calls when left out.",
    })
    filter?: CallFilter | null,
  ): Promise<ConnectionShape<Call>> {
    return toConnection(await ctx.services.calls.list(filter ?? {}, page, ctx.principal));
  }

  @Mutation(() => CallResult, {
    description:
      "Records the result of a finished call and, when its call status links a lead status, moves the lead there — in one transaction.",
  })
  recordCallResult(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => RecordCallResultInput, { description: "The call's outcome." })
    input: RecordCallResultInput,
  ): Promise<CallResultData> {
    return ctx.services.calls.record(input, ctx.principal);
  }

  @FieldResolver(() => Lead, { description: "The lead that was called." })
  async lead(@Root() call: Call, @Ctx() ctx: GraphQLContext): Promise<Lead> {
    const lead = await ctx.loaders.lead(call.leadId);
    if (!lead) throw new Error(`call ${call.id} references missing lead ${call.leadId}`);
    return lead;
  }

  @FieldResolver(() => CallOutcome, {
    description:
      "The outcome the call was finished with, by code and title (as they are now), whoever reads the call.",
  })
  async outcome(@Root() call: Call, @Ctx() ctx: GraphQLContext): Promise<CallOutcome> {
    const { code, title } = await this.statusOf(call, ctx);
    return { code, title };
  }

  @FieldResolver(() => CallStatus, {
    nullable: true,
    description:
      "The call status the call was finished with, as it is now (a later rename shows here); null when that status is not offered to the caller's audience (see `outcome`).",
  })
  async status(@Root() call: Call, @Ctx() ctx: GraphQLContext): Promise<CallStatus | null> {
    return ctx.services.callStatuses.shownTo(await this.statusOf(call, ctx), ctx.principal);
  }

  private async statusOf(call: Call, ctx: GraphQLContext): Promise<CallStatus> {
    const status = await ctx.loaders.callStatus(call.callStatusId);
    if (!status)
      throw new Error(`call ${call.id} references missing call status ${call.callStatusId}`);
    return status;
  }
}
