import { LRUCache } from "lru-cache";
import type { DataSource } from "typeorm";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";
import { writeAudit } from "../audit/audit.service";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { isCode } from "../common/codes";
import { notFound } from "../common/errors";
import { parseId } from "../common/ids";
import { currentTimestamp } from "../common/time";
import { acrossAccountsRepository, inAccount } from "../db/account-scope";
import { insertWithCode } from "../db/coded-insert";
import { runTransaction } from "../db/writes";
import { seedSystemStatuses } from "../statuses/system-statuses";
import { Account } from "../tenancy/account.entity";

/** The account every installation starts with; single-tenant setups only ever use it. */
export const DEFAULT_ACCOUNT_CODE = "default";

export interface CreateAccountParams {
  code?: string | null;
  name: string;
}

export interface UpdateAccountParams {
  name?: string;
  active?: boolean;
}

const WHY = "accounts are the platform's own records, above every account";

/**
 * Every rule about accounts: the platform operator (PLATFORM) lists, creates and changes them;
 * a new account gets the system statuses in the same transaction; an inactive account's
 * credentials are refused. Lookups by id and code (for authentication) are cached briefly.
 */
export class AccountService {
  /** Accounts by code, for tokens that name theirs; as short-lived as the key cache. */
  private readonly byCodeCache: LRUCache<string, Account> | undefined;
  /** Called after an account changes (the key service forgets the keys it verified). */
  private readonly changeListeners: Array<() => void> = [];

  constructor(
    private readonly dataSource: DataSource,
    options: { cacheSeconds: number },
  ) {
    this.byCodeCache =
      options.cacheSeconds > 0
        ? new LRUCache({ max: 10_000, ttl: options.cacheSeconds * 1000 })
        : undefined;
  }

  private get repo() {
    return acrossAccountsRepository(this.dataSource, Account, WHY);
  }

  /** Runs `listener` after every change to an account made through this instance. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  async list(actor: Principal): Promise<Account[]> {
    assertAllowed(actor, Permission.ManageAccounts);
    return this.repo.find({ order: { id: "ASC" } });
  }

  /** The account with `code` (active or not), or null; cached for a few seconds. */
  async byCode(code: string): Promise<Account | null> {
    if (!isCode(code)) return null;
    const cached = this.byCodeCache?.get(code);
    if (cached) return cached;
    const found = await this.repo.findOne({ where: { code } });
    if (found) this.byCodeCache?.set(code, found);
    return found;
  }

  /** The caller's own account (null for PLATFORM). */
  async ofCaller(actor: Principal): Promise<Account | null> {
    return actor.accountId === null ? null : this.repo.findOne({ where: { id: actor.accountId } });
  }

  /**
   * A new account, with the 4 system lead statuses and 7 system call statuses, all in one
   * transaction. The code is derived from the name when left out (and made unique); a given
   * code that is taken is CONFLICT.
   */
  async create(input: CreateAccountParams, actor: Principal): Promise<Account> {
    assertAllowed(actor, Permission.ManageAccounts);
    const name = input.name.trim();
    const id = await insertWithCode({
      code: input.code,
      title: name,
      titleName: "name",
      label: "account",
      takenCodes: async (base) => {
        const taken = await acrossAccountsRepository(this.dataSource, Account, WHY)
          .createQueryBuilder("a")
          .select("a.code", "code")
          .where("a.code LIKE :prefix", { prefix: `${base}%` })
          .getRawMany<{ code: string }>();
        return new Set(taken.map((row) => row.code));
      },
      insert: (code) =>
        runTransaction(this.dataSource, async (tx) => {
          const result = await acrossAccountsRepository(tx, Account, WHY).insert({
            code,
            name,
            active: true,
            createdAt: currentTimestamp(),
          });
          const accountId = Number(result.identifiers[0].id);
          await inAccount(accountId, async () => {
            await seedSystemStatuses(tx);
            await writeAudit(tx, {
              actor,
              action: AuditAction.CREATE,
              entityType: AuditEntityType.ACCOUNT,
              entityId: accountId,
              changes: [
                { field: "code", before: null, after: code },
                { field: "name", before: null, after: name },
              ],
            });
          });
          return accountId;
        }),
    });
    return this.repo.findOneOrFail({ where: { id } });
  }

  /** Renames an account, or turns it off (its credentials answer 401) and on again. */
  async update(rawId: string, input: UpdateAccountParams, actor: Principal): Promise<Account> {
    assertAllowed(actor, Permission.ManageAccounts);
    const id = parseId(rawId);
    const current = await this.repo.findOne({ where: { id } });
    if (!current) throw notFound(`No account with id ${id}`);
    const changes = {
      ...(input.name !== undefined && input.name.trim() !== current.name
        ? { name: input.name.trim() }
        : {}),
      ...(input.active !== undefined && input.active !== current.active
        ? { active: input.active }
        : {}),
    };
    if (Object.keys(changes).length > 0) {
      await runTransaction(this.dataSource, async (tx) => {
        await acrossAccountsRepository(tx, Account, WHY).update({ id }, changes);
        await inAccount(id, () =>
          writeAudit(tx, {
            actor,
            action: AuditAction.UPDATE,
            entityType: AuditEntityType.ACCOUNT,
            entityId: id,
            changes: Object.entries(changes).map(([field, after]) => ({
              field,
              before: current[field as keyof typeof changes],
              after,
            })),
          }),
        );
      });
      this.byCodeCache?.delete(current.code);
      for (const listener of this.changeListeners) listener();
    }
    return this.repo.findOneOrFail({ where: { id } });
  }
}
