import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "../context";
import { LeadStatus } from "./lead-status.entity";
import { CallStatus } from "./call-status.entity";
import {
  CallStatusFilter,
  CreateCallStatusInput,
  UpdateCallStatusInput,
} from "./call-status.inputs";
import { Reusable } from "../graphql/response-cache";

@Resolver(() => CallStatus)
export class CallStatusResolver {
  @Reusable()
  @Query(() => [CallStatus], {
    description: "Call statuses, ordered by `sort`, then id. Optionally filtered.",
  })
  callStatuses(
    @Ctx() ctx: GraphQLContext,
    @Arg("filter", () => CallStatusFilter, {
      nullable: true,
      description: "Conditions the returned statuses must all meet; all statuses when left out.",
    })
    filter?: CallStatusFilter | null,
  ): Promise<CallStatus[]> {
    return ctx.services.callStatuses.list(filter ?? {}, ctx.principal);
  }

  @Reusable()
  @Query(() => CallStatus, {
    nullable: true,
    description: "One call status by id or by code (give exactly one). Null when there is none.",
  })
  callStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { nullable: true, description: "The status id." }) id?: string | null,
    @Arg("code", () => String, { nullable: true, description: "The status code." })
    code?: string | null,
  ): Promise<CallStatus | null> {
    return ctx.services.callStatuses.findOne({ id, code }, ctx.principal);
  }

  @Mutation(() => CallStatus, { description: "Creates a custom call status." })
  createCallStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("input", () => CreateCallStatusInput, { description: "The new status." })
    input: CreateCallStatusInput,
  ): Promise<CallStatus> {
    return ctx.services.callStatuses.create(input, ctx.principal);
  }

  @Mutation(() => CallStatus, {
    description:
      "Changes a call status (system or custom). Its code and type never change. To hide a status, turn its visibility off: statuses are never deleted.",
  })
  updateCallStatus(
    @Ctx() ctx: GraphQLContext,
    @Arg("id", () => ID, { description: "The status to change." }) id: string,
    @Arg("input", () => UpdateCallStatusInput, { description: "The changes." })
    input: UpdateCallStatusInput,
  ): Promise<CallStatus> {
    return ctx.services.callStatuses.update(id, input, ctx.principal);
  }

  @FieldResolver(() => LeadStatus, {
    nullable: true,
    description:
      "The lead status a lead moves to when a call is finished with this status; null when finishing leaves the lead status as it is.",
  })
  leadStatus(
    @Root() status: CallStatus,
    @Ctx() ctx: GraphQLContext,
  ): LeadStatus | null | Promise<LeadStatus | null> {
    // Attached already (the in-memory lists): answered without a promise per row.
    if (status.leadStatus !== undefined) return status.leadStatus;
    if (status.leadStatusId === null) return null;
    return ctx.loaders.leadStatus(status.leadStatusId);
  }
}
