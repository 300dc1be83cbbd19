import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { CallStatus } from "./call-status.entity";
import { AudienceArgs } from "./call-status.inputs";
import type { GraphQLContext } from "../context";
import { LeadStatus } from "./lead-status.entity";
import {
  CreateLeadStatusInput,
  LeadStatusFilter,
  UpdateLeadStatusInput,
} from "./lead-status.inputs";
import { StatusResolver } from "./status-base.resolver";

@Resolver(() => LeadStatus)
export class LeadStatusResolver extends StatusResolver({
  status: LeadStatus,
  filter: LeadStatusFilter,
  createInput: CreateLeadStatusInput,
  updateInput: UpdateLeadStatusInput,
  names: {
    list: "leadStatuses",
    one: "leadStatus",
    create: "createLeadStatus",
    update: "updateLeadStatus",
  },
  label: { one: "lead status", many: "Lead statuses" },
  updateDescription:
    "Changes a lead status (system or custom). Its code and type never change; a system status keeps its category.",
  service: (ctx) => ctx.services.leadStatuses,
}) {
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
