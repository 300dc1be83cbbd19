import {
  Arg,
  Args,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { IsOptional } from "class-validator";
import { CallStatus } from "../statuses/call-status.entity";
import {
  connectionType,
  PageArgs,
  toConnection,
  type ConnectionShape,
} from "../graphql/connection";
import type { GraphQLContext } from "../context";
import { LeadStatus } from "../statuses/lead-status.entity";
import { AuditEntityType, AuditEntry } from "./audit-entry.entity";
import type { AuditFilterParams } from "./audit.service";
import { Reusable } from "../graphql/response-cache";

const AuditEntryConnection = connectionType(AuditEntry, "AuditEntry", "audit entry");

@InputType({ description: "Narrows `auditLog`. All given conditions must hold." })
class AuditLogFilter implements AuditFilterParams {
  @Field(() => AuditEntityType, {
    nullable: true,
    description: "Only changes of this kind of record.",
  })
  @IsOptional()
  entityType?: AuditEntityType | null;

  @Field(() => ID, { nullable: true, description: "Only changes of the record with this id." })
  @IsOptional()
  entityId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only changes by this actor (e.g. `key:3`).",
  })
  @IsOptional()
  actorId?: string | null;

  @Field(() => Date, { nullable: true, description: "Only changes made at or after this time." })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: "Only changes made before this time." })
  @IsOptional()
  to?: Date | null;
}

@Resolver()
export class AuditResolver {
  @Query(() => AuditEntryConnection, {
    description: "Every change to call statuses, lead statuses and API keys, newest first (ADMIN).",
  })
  async auditLog(
    @Ctx() ctx: GraphQLContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => AuditLogFilter, {
      nullable: true,
      description: "Conditions the returned entries must all meet; all entries when left out.",
    })
    filter?: AuditLogFilter | null,
  ): Promise<ConnectionShape<AuditEntry>> {
    return toConnection(await ctx.services.audit.list(filter ?? {}, page, ctx.principal));
  }
}

const HISTORY_DESCRIPTION = "Every change of this status, oldest first (ADMIN).";

@Resolver(() => CallStatus)
export class CallStatusHistoryResolver {
  @Reusable(false)
  @FieldResolver(() => [AuditEntry], { description: HISTORY_DESCRIPTION })
  history(@Root() status: CallStatus, @Ctx() ctx: GraphQLContext): Promise<AuditEntry[]> {
    return ctx.loaders.historyOf(AuditEntityType.CALL_STATUS, status.id, ctx.principal);
  }
}

@Resolver(() => LeadStatus)
export class LeadStatusHistoryResolver {
  @Reusable(false)
  @FieldResolver(() => [AuditEntry], { description: HISTORY_DESCRIPTION })
  history(@Root() status: LeadStatus, @Ctx() ctx: GraphQLContext): Promise<AuditEntry[]> {
    return ctx.loaders.historyOf(AuditEntityType.LEAD_STATUS, status.id, ctx.principal);
  }
}
