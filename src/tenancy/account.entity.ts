import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

@ObjectType({
  description:
    "One customer of the platform (a call centre). Every status, lead, call, API key and audit entry belongs to exactly one account; callers only ever see their own.",
})
@Entity({ name: "accounts" })
export class Account {
  @Field(() => ID, { description: "Numeric identifier, as a string." })
  @PrimaryGeneratedColumn({ type: "integer" })
  id!: number;

  @Field({
    description:
      "Symbolic code, e.g. `acme`: 2–64 characters `a-z`, `0-9`, `_`, starting with a letter. Unique and never changes; tokens and the CLI name the account by it.",
  })
  // Exact (utf8mb4_bin) on MySQL/MariaDB; see migrations/1764100000007-Accounts.ts.
  @Index("UQ_accounts_code", { unique: true })
  @Column({ type: "varchar", length: 64, update: false })
  code!: string;

  @Field({ description: "Display name." })
  @Column({ type: "varchar", length: 255 })
  name!: string;

  @Field({
    description:
      "False: every credential of the account is refused (HTTP 401) until it is turned back on. Nothing is deleted.",
  })
  @Column({ type: "boolean", default: true })
  active!: boolean;

  @Field({ description: "When the account was created (UTC, whole seconds)." })
  @CreateDateColumn({ name: "created_at", precision: null, default: () => "CURRENT_TIMESTAMP" })
  createdAt!: Date;
}
