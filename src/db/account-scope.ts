/**
 * The caller's account, applied in ONE place. Every request runs inside `inAccount(id, …)` (or,
 * for the platform operator, `acrossAccounts(reason, …)`), and every read and write of a table
 * that belongs to an account goes through `scoped(…)` below, which adds the account to every
 * condition and every inserted row. A service never writes `account_id` itself: it cannot
 * forget it, and it cannot reach another account's rows — another account's id behaves exactly
 * like a missing one.
 *
 * Reading the account where none is set throws (`NoAccountScopeError`): work outside a request
 * (command-line tools, start-up work) says which account it acts for with `inAccount`, and the
 * few lookups that must cross accounts (authentication by key prefix, the platform's own
 * operations) name their reason with `acrossAccounts`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  SelectQueryBuilder,
  type DeepPartial,
  type EntityTarget,
  type FindManyOptions,
  type FindOneOptions,
  type FindOptionsWhere,
  type ObjectLiteral,
  type QueryDeepPartialEntity,
  type Repository,
  type Brackets,
} from "typeorm";
import { runnerOf, type Source } from "./transaction";

type Scope = { accountId: number } | { across: string };

const scope = new AsyncLocalStorage<Scope>();

/** Thrown when account-scoped data is touched outside any account scope: a bug, never input. */
export class NoAccountScopeError extends Error {
  constructor() {
    super("account-scoped data used outside an account scope (see db/account-scope.ts)");
    this.name = "NoAccountScopeError";
  }
}

/** Runs `work` for the account `accountId`: every scoped read and write is limited to it. */
export function inAccount<T>(accountId: number, work: () => T): T {
  return scope.run({ accountId }, work);
}

/**
 * Runs `work` outside any one account, for a named reason (the platform operator's operations,
 * authenticating a key before its account is known). Scoped repositories refuse to run there:
 * only the unscoped paths that name the same bypass may be used.
 */
export function acrossAccounts<T>(reason: string, work: () => T): T {
  return scope.run({ across: reason }, work);
}

/** The current account's id; throws when there is none. */
export function currentAccountId(): number {
  const current = scope.getStore();
  if (!current || !("accountId" in current)) throw new NoAccountScopeError();
  return current.accountId;
}

/** The current account's id, or null outside any account (a platform operation). */
export function currentAccountIdOrNull(): number | null {
  const current = scope.getStore();
  return current && "accountId" in current ? current.accountId : null;
}

/** What every account-owned entity has (null only on rows of the platform itself). */
export interface AccountOwnedRow extends ObjectLiteral {
  accountId: number | null;
}

type Where<T> = FindOptionsWhere<T> | FindOptionsWhere<T>[];

function withAccount<T extends AccountOwnedRow>(where: Where<T> | undefined): Where<T> {
  const accountId = currentAccountId();
  if (Array.isArray(where)) return where.map((w) => ({ ...w, accountId }) as FindOptionsWhere<T>);
  return { ...(where ?? {}), accountId } as FindOptionsWhere<T>;
}

/**
 * A SELECT on an account-owned table that always carries `alias.account_id = <current>`:
 * `where()` adds to the conditions instead of replacing them, and `orWhere()` is refused (at the
 * top level it would OR the account away; use `new Brackets(…)` inside `andWhere`).
 */
export class ScopedSelectQueryBuilder<T extends ObjectLiteral> extends SelectQueryBuilder<T> {
  override where(
    where: string | Brackets | ((qb: this) => string) | ObjectLiteral | ObjectLiteral[],
    parameters?: ObjectLiteral,
  ): this {
    return this.andWhere(where, parameters);
  }

  override orWhere(): this {
    throw new Error(
      "orWhere on an account-scoped query: put the OR inside andWhere(new Brackets(…))",
    );
  }
}

/** The account-scoped view of one table (see the module comment). */
export class ScopedRepository<T extends AccountOwnedRow> {
  constructor(private readonly repo: Repository<T>) {}

  find(options: FindManyOptions<T> = {}): Promise<T[]> {
    return this.repo.find({ ...options, where: withAccount(options.where as Where<T>) });
  }

  findOne(options: FindOneOptions<T>): Promise<T | null> {
    return this.repo.findOne({ ...options, where: withAccount(options.where as Where<T>) });
  }

  async findOneOrFail(options: FindOneOptions<T>): Promise<T> {
    return this.repo.findOneOrFail({ ...options, where: withAccount(options.where as Where<T>) });
  }

  /** Inserts one row of the current account; returns its generated id. */
  async insert(values: Omit<DeepPartial<T>, "accountId">): Promise<number> {
    const accountId = currentAccountId();
    const result = await this.repo.insert({ ...values, accountId } as QueryDeepPartialEntity<T>);
    return Number(result.identifiers[0].id);
  }

  /** Inserts rows of the current account in one statement (for tables without a generated id). */
  async insertMany(values: Array<Omit<DeepPartial<T>, "accountId">>): Promise<void> {
    const accountId = currentAccountId();
    await this.repo.insert(
      values.map((row) => ({ ...row, accountId })) as QueryDeepPartialEntity<T>[],
    );
  }

  /** Updates the current account's rows matching `where`; returns how many changed. */
  async update(where: FindOptionsWhere<T>, values: QueryDeepPartialEntity<T>): Promise<number> {
    const result = await this.repo.update(withAccount(where) as FindOptionsWhere<T>, values);
    return result.affected ?? 0;
  }

  /** Deletes the current account's rows matching `where`; returns how many went. */
  async delete(where: FindOptionsWhere<T>): Promise<number> {
    const result = await this.repo.delete(withAccount(where) as FindOptionsWhere<T>);
    return result.affected ?? 0;
  }

  /** A SELECT limited to the current account (see `ScopedSelectQueryBuilder`). */
  queryBuilder(alias: string): ScopedSelectQueryBuilder<T> {
    const accountId = currentAccountId();
    const builder = new ScopedSelectQueryBuilder<T>(this.repo.createQueryBuilder(alias));
    return builder.andWhere(`${alias}.account_id = :scopedAccountId`, {
      scopedAccountId: accountId,
    });
  }
}

/** The account-scoped view of `target`, through `source` (the data source, or a transaction). */
export function scoped<T extends AccountOwnedRow>(
  source: Source,
  target: EntityTarget<T>,
): ScopedRepository<T> {
  return new ScopedRepository(runnerOf(source).getRepository(target));
}

/** Stands for the current account's id among the parameters of `queryInAccount`. */
export const ACCOUNT = Symbol("the current account's id");

/**
 * Raw SQL over account-owned tables (what a query builder cannot say, e.g. window functions).
 * Every table it reads must be filtered by `account_id = ?` with `ACCOUNT` as that parameter;
 * a statement without it is refused before it runs.
 */
export async function queryInAccount<T>(
  source: Source,
  sql: string,
  parameters: unknown[],
): Promise<T> {
  if (!/\baccount_id = \?/.test(sql) || !parameters.includes(ACCOUNT)) {
    throw new Error("raw SQL over account-owned tables must filter by account_id = ? (ACCOUNT)");
  }
  const accountId = currentAccountId();
  return (await runnerOf(source).query(
    sql,
    parameters.map((parameter) => (parameter === ACCOUNT ? accountId : parameter)),
  )) as T;
}

/**
 * The whole table, every account's rows, for one of the few reasons that must cross accounts
 * (finding a key by its prefix before its account is known, the platform's own records). The
 * reason is written at the call, so that every crossing can be found by searching for
 * `acrossAccountsRepository`.
 */
export function acrossAccountsRepository<T extends ObjectLiteral>(
  source: Source,
  target: EntityTarget<T>,
  reason: string,
): Repository<T> {
  if (reason.trim() === "") throw new Error("say why this read crosses accounts");
  return runnerOf(source).getRepository(target);
}
