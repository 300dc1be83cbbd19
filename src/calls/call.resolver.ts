import { Arg, Args, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { PageArgs, toConnection, type ConnectionShape } from "../graphql/connection";
import { Lead } from "../leads/lead.entity";
import { LeadLoaders } from "../leads/lead.loaders";
import { CallStatus } from "../statuses/call-status.entity";
import { CallStatusService } from "../statuses/call-status.service";
import { StatusLoaders } from "../statuses/status.loaders";
import { Call } from "./call.entity";
import { CallFilter, RecordCallResultInput } from "./call.inputs";
import { CallLoaders } from "./call.loaders";
import { CallService, type CallResultData } from "./call.service";
import { CallConnection, CallOutcome, CallResult } from "./call.types";

@Resolver(() => Call)
export class CallResolver {
  constructor(
    private readonly callService: CallService,
    private readonly callStatuses: CallStatusService,
    private readonly leads: LeadLoaders,
    private readonly statuses: StatusLoaders,
  ) {}

  @Query(() => CallConnection, { description: "Recorded calls, newest first, a page at a time." })
  async calls(
    @Caller() actor: Principal,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => CallFilter, {
      nullable: true,
      description: "Conditions the returned calls must all meet; all calls when left out.",
    })
    filter?: CallFilter | null,
  ): Promise<ConnectionShape<Call>> {
    return toConnection(await this.callService.list(filter ?? {}, page, actor));
  }

  @Mutation(() => CallResult, {
    description:
      "Records the result of a finished call and, when its call status links a lead status, moves the lead there — in one transaction.",
  })
  recordCallResult(
    @Caller() actor: Principal,
    @Arg("input", () => RecordCallResultInput, { description: "The call's outcome." })
    input: RecordCallResultInput,
  ): Promise<CallResultData> {
    return this.callService.record(input, actor);
  }

  @FieldResolver(() => Lead, { description: "The lead that was called." })
  async lead(@Root() call: Call): Promise<Lead> {
    const lead = await this.leads.lead(call.leadId);
    if (!lead) throw new Error(`call ${call.id} references missing lead ${call.leadId}`);
    return lead;
  }

  @FieldResolver(() => CallOutcome, {
    description:
      "The outcome the call was finished with, by code and title (as they are now), whoever reads the call.",
  })
  async outcome(@Root() call: Call): Promise<CallOutcome> {
    const { code, title } = await this.statusOf(call);
    return { code, title };
  }

  @FieldResolver(() => CallStatus, {
    nullable: true,
    description:
      "The call status the call was finished with, as it is now (a later rename shows here); null when that status is not offered to the caller's audience (see `outcome`).",
  })
  async status(@Root() call: Call, @Caller() actor: Principal): Promise<CallStatus | null> {
    return this.callStatuses.shownTo(await this.statusOf(call), actor);
  }

  private async statusOf(call: Call): Promise<CallStatus> {
    const status = await this.statuses.callStatus(call.callStatusId);
    if (!status)
      throw new Error(`call ${call.id} references missing call status ${call.callStatusId}`);
    return status;
  }
}

/** `Lead.calls`: here, with the calls, because calls build on leads (not the other way round). */
@Resolver(() => Lead)
export class LeadCallsResolver {
  constructor(private readonly loaders: CallLoaders) {}

  @FieldResolver(() => CallConnection, {
    description: "The calls recorded for this lead, newest first, a page at a time.",
  })
  async calls(
    @Root() lead: Lead,
    @Args(() => PageArgs) page: PageArgs,
  ): Promise<ConnectionShape<Call>> {
    return toConnection(await this.loaders.callsOfLead(lead.id, page));
  }
}
