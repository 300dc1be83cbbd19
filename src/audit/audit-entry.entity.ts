import { GraphQLJSON } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Account } from "../tenancy/account.entity";
import { Role } from "../access/principal";

export enum AuditAction {
  CREATE = "CREATE",
  UPDATE = "UPDATE",
  REVOKE = "REVOKE",
  PURGE = "PURGE",
  REORDER = "REORDER",
}

export enum AuditEntityType {
  CALL_STATUS = "CALL_STATUS",
  LEAD_STATUS = "LEAD_STATUS",
  API_KEY = "API_KEY",
  ACCOUNT = "ACCOUNT",
  CALLS = "CALLS",
  WEBHOOK_ENDPOINT = "WEBHOOK_ENDPOINT",
  CALL_STATUS_LIST = "CALL_STATUS_LIST",
  LEAD_STATUS_LIST = "LEAD_STATUS_LIST",
}

registerEnumType(AuditAction, {
  name: "AuditAction",
  description: "What was done.",
  valuesConfig: {
    CREATE: { description: "Created." },
    UPDATE: { description: "Changed." },
    REVOKE: { description: "Revoked (API keys)." },
    PURGE: {
      description:
        "Deleted for retention (calls recorded before a date; the entry's changes say which and how many).",
    },
    REORDER: {
      description:
        "Put in another order (a list of statuses: its `order` change holds the codes before and after).",
    },
  },
});

registerEnumType(AuditEntityType, {
  name: "AuditEntityType",
  description: "What kind of record was changed.",
  valuesConfig: {
    CALL_STATUS: { description: "A call status." },
    LEAD_STATUS: { description: "A lead status." },
    API_KEY: { description: "An API key (never its secret)." },
    ACCOUNT: { description: "An account (created or changed by the platform operator)." },
    CALLS: {
      description: "The recorded calls of the account (`entityId`), as a whole: a retention purge.",
    },
    WEBHOOK_ENDPOINT: {
      description:
        "A webhook endpoint (never its secret): created, changed, its secret rotated, or turned off by the service after failed deliveries (actor `system`).",
    },
    CALL_STATUS_LIST: {
      description:
        "The account's call statuses as a list (`entityId`: the account): reordered with `reorderCallStatuses`.",
    },
    LEAD_STATUS_LIST: {
      description:
        "The account's lead statuses as a list (`entityId`: the account): reordered with `reorderLeadStatuses`.",
    },
  },
});

/** One changed field: its value before and after. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

@ObjectType({
  description:
    "One change to the settings, written in the same transaction as the change itself. Never updated or deleted.",
})
@Entity({ name: "audit_log" })
@Index("IDX_audit_log_entity", ["accountId", "entityType", "entityId", "id"])
@Index("IDX_audit_log_actor", ["accountId", "actorId", "id"])
@Index("IDX_audit_log_at", ["accountId", "at", "id"])
export class AuditEntry {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  // BIGINT on MySQL/MariaDB (read as a JS number: exact up to 2^53), INTEGER on SQLite.
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: number;

  /** The account the change belongs to; null for platform-level changes (PLATFORM keys). */
  @Column({ name: "account_id", type: "integer", nullable: true, update: false })
  accountId!: number | null;

  @ManyToOne(() => Account, { nullable: true, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "account_id" })
  account?: Account | null;

  @Field({ description: "When the change was made (UTC, whole seconds)." })
  @Column({ type: "datetime" })
  at!: Date;

  @Field({
    description:
      "Who made it: `key:<id>` for an API key, `jwt:<subject>` for a JWT, `cli` for the operator CLI, `system` for the service itself.",
  })
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000006-ExactKeys.ts.
  @Column({ name: "actor_id", type: "varchar", length: 255 })
  actorId!: string;

  @Field(() => Role, { nullable: true, description: "The actor's role; null for `system`." })
  @Column({ name: "actor_role", type: "varchar", length: 16, nullable: true })
  actorRole!: Role | null;

  @Field(() => AuditAction, { description: "What was done." })
  @Column({ type: "varchar", length: 16 })
  action!: AuditAction;

  @Field(() => AuditEntityType, { description: "What kind of record was changed." })
  @Column({ name: "entity_type", type: "varchar", length: 32 })
  entityType!: AuditEntityType;

  @Field(() => ID, { description: "The id of the changed record." })
  @Column({ name: "entity_id", type: "integer" })
  entityId!: number;

  @Field(() => GraphQLJSON, {
    description: "The changed fields: `[{ field, before, after }]` (`before` is null on creation).",
  })
  @Column({ type: "simple-json" })
  changes!: FieldChange[];

  @Field(() => String, { nullable: true, description: "The id of the request that made it." })
  @Column({ name: "request_id", type: "varchar", length: 128, nullable: true })
  requestId!: string | null;
}
