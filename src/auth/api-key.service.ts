import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { IsNull, type DataSource } from "typeorm";
import { idValue, parseId } from "../common/ids";
import { currentTimestamp, sqlDateTime } from "../common/time";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";
import { writeAudit } from "../audit/audit.service";
import { outsideRequest } from "../db/request-scope";
import { runTransaction, runWrite } from "../db/writes";
import { AppError, badUserInput, notFound } from "../common/errors";
import type { AccountService } from "../accounts/account.service";
import { DEFAULT_ACCOUNT_CODE } from "../accounts/account.service";
import {
  acrossAccounts,
  acrossAccountsRepository,
  currentAccountIdOrNull,
  inAccount,
  scoped,
  type ScopedRepository,
} from "../db/account-scope";
import { uniqueViolationColumn } from "../db/errors";
import type { Transaction } from "../db/transaction";
import type { Logger } from "../logger";
import { ApiKey } from "./api-key.entity";
import { assertAllowed, Permission } from "../access/permissions";
import { Role, type Principal } from "../access/principal";

export interface CreateApiKeyParams {
  name: string;
  role: Role;
  /** The account the key is for: PLATFORM names any account; an ADMIN only its own (or none). */
  accountCode?: string | null;
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The whole key, shown once. */
  secret: string;
}

/** `csk_` + 8 hex characters (the visible prefix) + `_` + 43 base64url characters (256 bits). */
const KEY_PATTERN = /^(csk_[0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;
const PREFIX_ATTEMPTS = 5;
/** `lastUsedAt` is written at most this often per key. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** A fresh key and its visible prefix. */
function generateKey(): { key: string; prefix: string } {
  const prefix = `csk_${randomBytes(4).toString("hex")}`;
  return { key: `${prefix}_${randomBytes(32).toString("base64url")}`, prefix };
}

/** Why a presented key was refused; the message is safe to show to the caller. */
export class InvalidApiKeyError extends AppError {
  constructor(message: string) {
    super("UNAUTHENTICATED", message);
  }
}

/**
 * Every rule about API keys: creation (secret shown once, only a hash stored), listing,
 * revocation, and verification of presented keys with a short-lived per-instance cache.
 */
export class ApiKeyService {
  private readonly keys: ScopedRepository<ApiKey>;
  /** Verified keys by prefix; an entry lives `cacheSeconds`, which bounds revocation delay. */
  private readonly cache: LRUCache<string, ApiKey> | undefined;
  private readonly lastUsedWrites = new Map<number, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly accounts: AccountService,
    private readonly options: { cacheSeconds: number; logger?: Logger },
  ) {
    this.keys = scoped(dataSource, ApiKey);
    this.cache =
      options.cacheSeconds > 0
        ? new LRUCache({ max: 10_000, ttl: options.cacheSeconds * 1000 })
        : undefined;
  }

  /** The keys of the caller's account. */
  async list(actor: Principal): Promise<ApiKey[]> {
    assertAllowed(actor, Permission.ManageApiKeys);
    return this.keys.find({ order: { id: "ASC" } });
  }

  /**
   * A new key. PLATFORM creates keys for any account (`accountCode` required) and PLATFORM keys
   * (no account); an ADMIN creates keys of its own account only (`accountCode` left out or its
   * own), never PLATFORM keys.
   */
  async create(input: CreateApiKeyParams, actor: Principal): Promise<CreatedApiKey> {
    assertAllowed(actor, Permission.CreateApiKeys);
    const name = input.name.trim();
    const code = input.accountCode ?? null;
    if (actor.role !== Role.PLATFORM) {
      if (input.role === Role.PLATFORM) {
        throw new AppError("FORBIDDEN", `The ${actor.role} role may not create PLATFORM keys.`);
      }
      if (code !== null && code !== actor.accountCode) {
        throw badUserInput(
          "accountCode",
          "accountCode: leave it out, or give your own account's code",
        );
      }
      return this.insert(name, input.role, actor);
    }
    if (input.role === Role.PLATFORM) {
      if (code !== null)
        throw badUserInput(
          "accountCode",
          "accountCode: a PLATFORM key belongs to no account; leave it out",
        );
      return acrossAccounts("a PLATFORM key belongs to no account", () =>
        this.insert(name, input.role, actor),
      );
    }
    if (code === null)
      throw badUserInput("accountCode", "accountCode is required: the account the key is for");
    const account = await this.accounts.byCode(code);
    if (!account)
      throw badUserInput("accountCode", `accountCode: there is no account with code "${code}"`);
    return inAccount(account.id, () => this.insert(name, input.role, actor));
  }

  /** Forgets every verified key, so a change to an account (deactivation) applies here at once. */
  forgetVerified(): void {
    this.cache?.clear();
  }

  /** Revokes a key at once on this instance (other instances: within the cache time). Idempotent. */
  async revoke(rawId: string | number, actor: Principal): Promise<ApiKey> {
    assertAllowed(actor, Permission.ManageApiKeys);
    const id = parseId(rawId, "id");
    const key = await this.keys.findOne({ where: { id } });
    if (!key) throw notFound(`No API key with id ${id}`);
    return this.markRevoked(key, actor);
  }

  /**
   * The operator's tool on the server: revokes any key, by id or visible prefix, whatever its
   * account — PLATFORM keys included, which no account's ADMIN can reach. Null when none.
   */
  async revokeAnywhere(idOrPrefix: string, actor: Principal): Promise<ApiKey | null> {
    if (actor.via !== "cli") {
      throw new AppError("FORBIDDEN", "Only the operator's command-line tool revokes any key.");
    }
    // An id as GraphQL takes it (canonical digits); anything else is a prefix.
    const id = idValue(idOrPrefix);
    const key = await acrossAccountsRepository(
      this.dataSource,
      ApiKey,
      "the operator's tool revokes any key, PLATFORM keys included",
    ).findOne({ where: id !== undefined ? { id } : { prefix: idOrPrefix } });
    if (!key) return null;
    const revoke = () => this.markRevoked(key, actor);
    return key.accountId === null
      ? acrossAccounts("a PLATFORM key belongs to no account", revoke)
      : inAccount(key.accountId, revoke);
  }

  /** Revokes `key` (found by the caller in its own scope), with its audit entry. Idempotent. */
  private async markRevoked(key: ApiKey, actor: Principal): Promise<ApiKey> {
    const keys = (source: DataSource | Transaction) =>
      acrossAccountsRepository(source, ApiKey, "the key was found in the caller's scope");
    if (key.revokedAt === null) {
      const revokedAt = currentTimestamp();
      await runTransaction(this.dataSource, async (tx) => {
        const result = await keys(tx).update({ id: key.id, revokedAt: IsNull() }, { revokedAt });
        if (result.affected !== 1) return; // revoked meanwhile by someone else
        await writeAudit(tx, {
          actor,
          action: AuditAction.REVOKE,
          entityType: AuditEntityType.API_KEY,
          entityId: key.id,
          changes: [{ field: "revokedAt", before: null, after: revokedAt }],
        });
      });
    }
    this.cache?.delete(key.prefix);
    return keys(this.dataSource).findOneOrFail({ where: { id: key.id } });
  }

  /**
   * Outside production, on a database without any active key: creates one ADMIN key so that a
   * newcomer can start using the API. Returns the secret, or null when keys already exist.
   */
  async createBootstrapKeyIfNone(): Promise<string | null> {
    const active = await acrossAccountsRepository(
      this.dataSource,
      ApiKey,
      "the bootstrap key is made only when no account has a key",
    ).count({ where: { revokedAt: IsNull() } });
    if (active > 0) return null;
    const account = await this.accounts.byCode(DEFAULT_ACCOUNT_CODE);
    if (!account) return null;
    return inAccount(account.id, async () => {
      return (await this.insert("development bootstrap key", Role.ADMIN, null)).secret;
    });
  }

  /**
   * The principal a presented key stands for. Refuses malformed, unknown and revoked keys with
   * UNAUTHENTICATED; compares hashes in constant time.
   */
  async verify(presented: string): Promise<Principal> {
    const prefix = KEY_PATTERN.exec(presented)?.[1];
    if (!prefix) throw new InvalidApiKeyError("The API key is malformed.");
    let key = this.cache?.get(prefix);
    if (!key) {
      const found = await acrossAccountsRepository(
        this.dataSource,
        ApiKey,
        "a key is found by its prefix before its account is known",
      ).findOne({ where: { prefix }, relations: { account: true } });
      key = found ?? undefined;
      if (key) this.cache?.set(prefix, key);
    }
    const expected = key ? Buffer.from(key.secretHash, "hex") : sha256("no such key");
    const matches = timingSafeEqual(sha256(presented), expected) && key !== undefined;
    if (!key || !matches) throw new InvalidApiKeyError("The API key is not valid.");
    if (key.revokedAt !== null) throw new InvalidApiKeyError("The API key has been revoked.");
    if (key.account && !key.account.active) {
      throw new InvalidApiKeyError("The API key's account is inactive.");
    }
    this.touch(key.id);
    return {
      role: key.role,
      actorId: `key:${key.id}`,
      via: "api_key",
      keyId: key.id,
      keyPrefix: key.prefix,
      name: key.name,
      accountId: key.accountId,
      accountCode: key.account?.code ?? null,
    };
  }

  /** Records use at most once a minute per key (also across instances), off the request path. */
  private touch(id: number): void {
    const now = Date.now();
    const last = this.lastUsedWrites.get(id);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(id, now);
    const at = currentTimestamp();
    const threshold = new Date(at.getTime() - LAST_USED_WRITE_INTERVAL_MS);
    // Not part of the request that triggered it: it must not make that request reload anything.
    outsideRequest(() =>
      runWrite(this.dataSource, () =>
        acrossAccountsRepository(this.dataSource, ApiKey, "a key's use is recorded by its id")
          .createQueryBuilder()
          .update()
          .set({ lastUsedAt: at })
          .where("id = :id AND (last_used_at IS NULL OR last_used_at <= :threshold)", {
            id,
            threshold: sqlDateTime(threshold),
          })
          .execute(),
      ),
    ).catch((error: unknown) => {
      this.lastUsedWrites.delete(id);
      this.options.logger?.warn(
        { err: (error as Error).message, keyId: id },
        "could not record API key use",
      );
    });
  }

  /** Inserts a key and its audit entry (name, role and prefix; never the secret or its hash). */
  private async insert(name: string, role: Role, actor: Principal | null): Promise<CreatedApiKey> {
    for (let attempt = 1; ; attempt += 1) {
      const { key, prefix } = generateKey();
      try {
        // The key belongs to the current account, or to none (a PLATFORM key).
        const accountId = currentAccountIdOrNull();
        const id = await runTransaction(this.dataSource, async (tx) => {
          const result = await acrossAccountsRepository(
            tx,
            ApiKey,
            "the account is set here from the scope, or none for a PLATFORM key",
          ).insert({
            accountId,
            name,
            role,
            prefix,
            secretHash: sha256(key).toString("hex"),
            createdAt: currentTimestamp(),
            lastUsedAt: null,
            revokedAt: null,
          });
          const insertedId = Number(result.identifiers[0].id);
          await writeAudit(tx, {
            actor,
            action: AuditAction.CREATE,
            entityType: AuditEntityType.API_KEY,
            entityId: insertedId,
            changes: [
              { field: "name", before: null, after: name },
              { field: "role", before: null, after: role },
              { field: "prefix", before: null, after: prefix },
            ],
          });
          return insertedId;
        });
        const apiKey = await acrossAccountsRepository(
          this.dataSource,
          ApiKey,
          "the key just written, in its account or none",
        ).findOneOrFail({ where: { id } });
        return { apiKey, secret: key };
      } catch (error) {
        // A prefix collision (2^32 space) is astronomically rare; draw again.
        if (uniqueViolationColumn(error) === undefined || attempt >= PREFIX_ATTEMPTS) throw error;
      }
    }
  }
}
