import { Column, JoinColumn, ManyToOne } from "typeorm";
import { Account } from "./account.entity";

/**
 * What every row that belongs to an account has: the account's id. It is set from the caller's
 * account scope when the row is written (see `db/account-scope.ts`), never from input, and never
 * changes. Tables whose rows may belong to no account (PLATFORM API keys and their audit
 * entries) declare a nullable column of their own instead.
 */
export abstract class AccountOwned {
  @Column({ name: "account_id", type: "integer", update: false })
  accountId!: number;

  /** Never loaded: the account is known from the scope. Declared for the foreign key. */
  @ManyToOne(() => Account, { nullable: false, onDelete: "NO ACTION", onUpdate: "NO ACTION" })
  @JoinColumn({ name: "account_id" })
  account?: Account;
}
