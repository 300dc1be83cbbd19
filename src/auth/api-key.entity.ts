import { Field, ID, ObjectType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from "typeorm";
import { Account } from "../tenancy/account.entity";
import { Role } from "../access/principal";

@ObjectType({
  description:
    "A credential for a program or a person calling this API. Its secret is shown only once, when it is created; only a hash is stored.",
})
@Entity({ name: "api_keys" })
@Index("IDX_api_keys_account", ["accountId", "id"])
export class ApiKey {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  /** The account whose data the key reaches; null only for PLATFORM keys. */
  @Column({ name: "account_id", type: "integer", nullable: true, update: false })
  accountId!: number | null;

  @ManyToOne(() => Account, { nullable: true, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "account_id" })
  account?: Account | null;

  @Field({ description: 'What the key is for, e.g. "settings UI" or "dialer eu-1".' })
  @Column({ type: "varchar", length: 255 })
  name!: string;

  @Field(() => Role, { description: "What callers using this key may see and do." })
  @Column({ type: "simple-enum", enum: Role, update: false })
  role!: Role;

  @Field({
    description:
      "The key's first characters (e.g. `csk_1a2b3c4d`), to recognise it in lists and logs. Not a secret.",
  })
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000006-ExactKeys.ts.
  @Index("UQ_api_keys_prefix", { unique: true })
  @Column({ type: "varchar", length: 32, update: false })
  prefix!: string;

  /** SHA-256 of the whole key, hex. Never exposed. */
  @Column({ name: "secret_hash", type: "varchar", length: 64, update: false })
  secretHash!: string;

  @Field({ description: "When the key was created (UTC)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description:
      "When the key was last used (UTC, updated at most once a minute). Null: never used.",
  })
  @Column({ name: "last_used_at", type: "datetime", nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "When the key was revoked (UTC). Null: the key is active.",
  })
  @Column({ name: "revoked_at", type: "datetime", nullable: true })
  revokedAt!: Date | null;

  @Field({ description: "True until the key is revoked." })
  get active(): boolean {
    return this.revokedAt === null;
  }
}
