import { Arg, Args, Field, ID, InputType, Query, Resolver } from "type-graphql";
import { IsOptional } from "class-validator";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import {
  connectionType,
  PageArgs,
  toConnection,
  type ConnectionShape,
} from "../graphql/connection";
import { AuditEntityType, AuditEntry } from "./audit-entry.entity";
import { AuditService, type AuditFilterParams } from "./audit.service";

const AuditEntryConnection = connectionType(AuditEntry, "AuditEntry", "audit entry");

@InputType({
  description:
    "Narrows `auditLog`. All given conditions must hold. A field given empty or blank is refused with BAD_USER_INPUT naming it: leave it out to match all.",
})
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
  constructor(private readonly audit: AuditService) {}

  @Query(() => AuditEntryConnection, {
    description: "Every change to call statuses, lead statuses and API keys, newest first (ADMIN).",
  })
  async auditLog(
    @Caller() actor: Principal,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("filter", () => AuditLogFilter, {
      nullable: true,
      description: "Conditions the returned entries must all meet; all entries when left out.",
    })
    filter?: AuditLogFilter | null,
  ): Promise<ConnectionShape<AuditEntry>> {
    return toConnection(await this.audit.list(filter ?? {}, page, actor));
  }
}
