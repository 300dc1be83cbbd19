import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { CallStatus } from "./call-status.entity";
import { AudienceArgs } from "./call-status.inputs";
import type { GraphQLContext } from "../context";
import { LeadStatus } from "./lead-status.entity";
import {
  CreateLeadStatusInput,
  LeadStatusFilter,
  UpdateLeadStatusInput,
} from "./lead-status.inputs";
import { Reusable } from "../graphql/response-cache";

@Resolver(() => LeadStatus)
export class LeadStatusResolver {
  @Reusable()
  @Query(() => [LeadStatus], {
    description: "Lead statuses, ordered by `sort`, then id. Optionally filtered.",
  })
  leadStatuses(
    @Ctx() ctx: GraphQLContext,
    @Arg("filter", () => LeadStatusFilter, {
      nullable: true,
      description: "Conditions the returned statuses must all meet; all statuses when left out.",
    })
    filter?: LeadStatusFilter | null,
  ): Promise<LeadStatus[]> {
    return ctx.services.leadStatuses.list(filter ?? {}, ctx.principal);
  }

  @Reusable()
  @Query(() => LeadStatus, {
    nullable: true,
    description: "One lead status by id or by code (give exactly one). Null when there is none.",
  })
  leadStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { nullable: true, description: "The status id." }) id?: string | null,
    @Arg("code", () => String, { nullable: true, description: "The status code." })
    code?: string | null,
  ): Promise<LeadStatus | null> {
    return ctx.services.leadStatuses.findOne({ id, code }, ctx.principal);
  }

  @Mutation(() => LeadStatus, { description: "Creates a custom lead status." })
  createLeadStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => CreateLeadStatusInput, { description: "The new status." })
    input: CreateLeadStatusInput,
  ): Promise<LeadStatus> {
    return ctx.services.leadStatuses.create(input, ctx.principal);
  }

  @Mutation(() => LeadStatus, {
    description:
      "Changes a lead status (system or custom). Its code and type never change; a system status keeps its category.",
  })
  updateLeadStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { description: "The status to change." }) id: string,
    @Arg("input", () => UpdateLeadStatusInput, { description: "The changes." })
    input: UpdateLeadStatusInput,
  ): Promise<LeadStatus> {
    return ctx.services.leadStatuses.update(id, input, ctx.principal);
  }

  @FieldResolver(() => [CallStatus], {
    description:
      "The call statuses that move a lead to this status, ordered by `sort`, then id; optionally only those offered to an audience.",
  })
  callStatuses(
    @Root() leadStatus: LeadStatus,
    @Ctx() ctx: GraphQLContext,
    @Args(() => AudienceArgs) audience: AudienceArgs,
  ): Promise<CallStatus[]> {
    const scoped = ctx.services.callStatuses.audienceFor(ctx.principal, audience);
    return ctx.loaders.callStatusesOf(leadStatus.id, scoped);
  }
}
