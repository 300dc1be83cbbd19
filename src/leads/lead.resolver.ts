import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { CallConnection } from "../calls/call.types";
import { PageArgs, toConnection, type ConnectionShape } from "../graphql/connection";
import type { GraphQLContext } from "../context";
import { LeadStatus } from "../statuses/lead-status.entity";
import type { Call } from "../calls/call.entity";
import { Lead } from "./lead.entity";
import { CreateLeadInput, LeadFilter } from "./lead.inputs";
import { LeadConnection } from "./lead.types";

@Resolver(() => Lead)
export class LeadResolver {
  @Query(() => Lead, { nullable: true, description: "One lead by id; null when there is none." })
  lead(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { description: "The lead id." }) id: string,
  ): Promise<Lead | null> {
    return ctx.services.leads.findById(id, ctx.principal);
  }

  @Query(() => LeadConnection, { description: "Leads, newest first, a page at a time." })
  async leads(
    @Ctx() ctx: GraphQLContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => LeadFilter, {
      nullable: true,
      description: "Conditions the returned leads must all meet; all leads when left out.",
    })
    filter?: LeadFilter | null,
  ): Promise<ConnectionShape<Lead>> {
    return toConnection(await ctx.services.leads.list(filter ?? {}, page, ctx.principal));
  }

  @Mutation(() => Lead, {
    description: "Creates a lead (ADMIN and SYSTEM). It starts in an IN_PROGRESS-category status.",
  })
  createLead(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => CreateLeadInput, { description: "The new lead." }) input: CreateLeadInput,
  ): Promise<Lead> {
    return ctx.services.leads.create(input, ctx.principal);
  }

  @FieldResolver(() => LeadStatus, { description: "The lead's current status." })
  async status(@Root() lead: Lead, @Ctx() ctx: GraphQLContext): Promise<LeadStatus> {
    const status = await ctx.loaders.leadStatus(lead.statusId);
    if (!status) throw new Error(`lead ${lead.id} references missing lead status ${lead.statusId}`);
    return status;
  }

  @FieldResolver(() => CallConnection, {
    description: "The calls recorded for this lead, newest first, a page at a time.",
  })
  async calls(
    @Root() lead: Lead,
    @Ctx() ctx: GraphQLContext,
    @Args(() => PageArgs) page: PageArgs,
  ): Promise<ConnectionShape<Call>> {
    return toConnection(await ctx.loaders.callsOfLead(lead.id, page));
  }
}
