import { FieldResolver, Resolver, Root } from "type-graphql";
import { LeadStatus } from "./lead-status.entity";
import { CallStatus } from "./call-status.entity";
import {
  CallStatusFilter,
  CreateCallStatusInput,
  UpdateCallStatusInput,
} from "./call-status.inputs";
import { CallStatusService } from "./call-status.service";
import { StatusResolver } from "./status-base.resolver";
import { StatusLoaders } from "./status.loaders";

@Resolver(() => CallStatus)
export class CallStatusResolver extends StatusResolver({
  status: CallStatus,
  filter: CallStatusFilter,
  createInput: CreateCallStatusInput,
  updateInput: UpdateCallStatusInput,
  names: {
    list: "callStatuses",
    one: "callStatus",
    create: "createCallStatus",
    update: "updateCallStatus",
    reorder: "reorderCallStatuses",
  },
  label: { one: "call status", many: "Call statuses" },
  updateDescription:
    "Changes a call status (system or custom). Its code and type never change. To hide a status, turn its visibility off: statuses are never deleted.",
}) {
  constructor(
    protected readonly service: CallStatusService,
    private readonly loaders: StatusLoaders,
  ) {
    super();
  }

  @FieldResolver(() => LeadStatus, {
    nullable: true,
    description:
      "The lead status a lead moves to when a call is finished with this status; null when finishing leaves the lead status as it is.",
  })
  leadStatus(@Root() status: CallStatus): LeadStatus | null | Promise<LeadStatus | null> {
    // Attached already (the in-memory lists): answered without a promise per row.
    if (status.leadStatus !== undefined) return status.leadStatus;
    if (status.leadStatusId === null) return null;
    return this.loaders.leadStatus(status.leadStatusId);
  }
}
