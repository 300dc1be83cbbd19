import { Arg, Args, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { PageArgs, toConnection, type ConnectionShape } from "../graphql/connection";
import { LeadStatus } from "../statuses/lead-status.entity";
import { StatusLoaders } from "../statuses/status.loaders";
import { Lead } from "./lead.entity";
import { CreateLeadInput, LeadFilter } from "./lead.inputs";
import { LeadService } from "./lead.service";
import { LeadConnection } from "./lead.types";

@Resolver(() => Lead)
export class LeadResolver {
  constructor(
    private readonly leadService: LeadService,
    private readonly statuses: StatusLoaders,
  ) {}

  @Query(() => Lead, { nullable: true, description: "One lead by id; null when there is none." })
  lead(
    @Caller() actor: Principal,
    @Arg("id", () => ID, { description: "The lead id." }) id: string,
  ): Promise<Lead | null> {
    return this.leadService.findById(id, actor);
  }

  @Query(() => LeadConnection, { description: "Leads, newest first, a page at a time." })
  async leads(
    @Caller() actor: Principal,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => LeadFilter, {
      nullable: true,
      description: "Conditions the returned leads must all meet; all leads when left out.",
    })
    filter?: LeadFilter | null,
  ): Promise<ConnectionShape<Lead>> {
    return toConnection(await this.leadService.list(filter ?? {}, page, actor));
  }

  @Mutation(() => Lead, {
    description: "Creates a lead (ADMIN and SYSTEM). It starts in an IN_PROGRESS-category status.",
  })
  createLead(
    @Caller() actor: Principal,
    @Arg("input", () => CreateLeadInput, { description: "The new lead." }) input: CreateLeadInput,
  ): Promise<Lead> {
    return this.leadService.create(input, actor);
  }

  @FieldResolver(() => LeadStatus, { description: "The lead's current status." })
  async status(@Root() lead: Lead): Promise<LeadStatus> {
    const status = await this.statuses.leadStatus(lead.statusId);
    if (!status) throw new Error(`lead ${lead.id} references missing lead status ${lead.statusId}`);
    return status;
  }
}
