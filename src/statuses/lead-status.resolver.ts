import { Args, FieldResolver, Resolver, Root } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { CallStatus } from "./call-status.entity";
import { AudienceArgs } from "./call-status.inputs";
import { CallStatusService } from "./call-status.service";
import { LeadStatus } from "./lead-status.entity";
import {
  CreateLeadStatusInput,
  LeadStatusFilter,
  UpdateLeadStatusInput,
} from "./lead-status.inputs";
import { LeadStatusService } from "./lead-status.service";
import { StatusResolver } from "./status-base.resolver";
import { StatusLoaders } from "./status.loaders";

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
    reorder: "reorderLeadStatuses",
  },
  label: { one: "lead status", many: "Lead statuses" },
  updateDescription:
    "Changes a lead status (system or custom). Its code and type never change; a system status keeps its category.",
}) {
  constructor(
    protected readonly service: LeadStatusService,
    private readonly callStatusService: CallStatusService,
    private readonly loaders: StatusLoaders,
  ) {
    super();
  }

  @FieldResolver(() => [CallStatus], {
    description:
      "The call statuses that move a lead to this status, ordered by `sort`, then id; optionally only those offered to an audience.",
  })
  callStatuses(
    @Root() leadStatus: LeadStatus,
    @Caller() actor: Principal,
    @Args(() => AudienceArgs) audience: AudienceArgs,
  ): Promise<CallStatus[]> {
    const scoped = this.callStatusService.audienceFor(actor, audience);
    return this.loaders.callStatusesOf(leadStatus.id, scoped);
  }
}
