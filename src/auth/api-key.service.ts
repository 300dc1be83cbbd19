import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { IsNull, type DataSource, type Repository } from "typeorm";
import { parseId } from "../common/ids";
import { currentTimestamp, sqlDateTime } from "../common/time";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";
import { writeAudit } from "../audit/audit.service";
import { outsideRequest } from "../db/request-scope";
import { runTransaction, runWrite } from "../db/writes";
import { AppError, notFound } from "../common/errors";
import { uniqueViolationColumn } from "../db/errors";
import type { Logger } from "../logger";
import { ApiKey } from "./api-key.entity";
import { assertAllowed, Permission } from "./permissions";
import { Role, type Principal } from "./principal";

export interface CreateApiKeyParams {
  name: string;
  role: Role;
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
  private readonly repo: Repository<ApiKey>;
  /** Verified keys by prefix; an entry lives `cacheSeconds`, which bounds revocation delay. */
  private readonly cache: LRUCache<string, ApiKey> | undefined;
  private readonly lastUsedWrites = new Map<number, number>();

  constructor(
    dataSource: DataSource,
    private readonly options: { cacheSeconds: number; logger?: Logger },
  ) {
    this.repo = dataSource.getRepository(ApiKey);
    this.cache =
      options.cacheSeconds > 0
        ? new LRUCache({ max: 10_000, ttl: options.cacheSeconds * 1000 })
        : undefined;
  }

  async list(actor: Principal): Promise<ApiKey[]> {
    assertAllowed(actor, Permission.ManageApiKeys);
    return this.repo.find({ order: { id: "ASC" } });
  }

  async create(input: CreateApiKeyParams, actor: Principal): Promise<CreatedApiKey> {
    assertAllowed(actor, Permission.ManageApiKeys);
    return this.insert(input.name.trim(), input.role, actor);
  }

  /** Revokes a key at once on this instance (other instances: within the cache time). Idempotent. */
  async revoke(rawId: string | number, actor: Principal): Promise<ApiKey> {
    assertAllowed(actor, Permission.ManageApiKeys);
    const id = parseId(rawId, "id");
    const key = await this.repo.findOne({ where: { id } });
    if (!key) throw notFound(`No API key with id ${id}`);
    if (key.revokedAt === null) {
      const revokedAt = currentTimestamp();
      await runTransaction(this.repo.manager.connection, async (manager) => {
        const result = await manager.update(ApiKey, { id, revokedAt: IsNull() }, { revokedAt });
        if (result.affected !== 1) return; // revoked meanwhile by someone else
        await writeAudit(manager, {
          actor,
          action: AuditAction.REVOKE,
          entityType: AuditEntityType.API_KEY,
          entityId: id,
          changes: [{ field: "revokedAt", before: null, after: revokedAt }],
        });
      });
    }
    this.cache?.delete(key.prefix);
    return this.repo.findOneOrFail({ where: { id } });
  }

  /** Finds a key by id or by its visible prefix (for the operator CLI). */
  async findByIdOrPrefix(idOrPrefix: string, actor: Principal): Promise<ApiKey | null> {
    assertAllowed(actor, Permission.ManageApiKeys);
    if (/^[0-9]+$/.test(idOrPrefix))
      return this.repo.findOne({ where: { id: Number(idOrPrefix) } });
    return this.repo.findOne({ where: { prefix: idOrPrefix } });
  }

  /**
   * Outside production, on a database without any active key: creates one ADMIN key so that a
   * newcomer can start using the API. Returns the secret, or null when keys already exist.
   */
  async createBootstrapKeyIfNone(): Promise<string | null> {
    const active = await this.repo.count({ where: { revokedAt: IsNull() } });
    if (active > 0) return null;
    return (await this.insert("development bootstrap key", Role.ADMIN, null)).secret;
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
      key = (await this.repo.findOne({ where: { prefix } })) ?? undefined;
      if (key) this.cache?.set(prefix, key);
    }
    const expected = key ? Buffer.from(key.secretHash, "hex") : sha256("no such key");
    const matches = timingSafeEqual(sha256(presented), expected) && key !== undefined;
    if (!key || !matches) throw new InvalidApiKeyError("The API key is not valid.");
    if (key.revokedAt !== null) throw new InvalidApiKeyError("The API key has been revoked.");
    this.touch(key.id);
    return {
      role: key.role,
      actorId: `key:${key.id}`,
      via: "api_key",
      keyId: key.id,
      keyPrefix: key.prefix,
      name: key.name,
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
      runWrite(this.repo.manager.connection, () =>
        this.repo
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
        const id = await runTransaction(this.repo.manager.connection, async (manager) => {
          const result = await manager.insert(ApiKey, {
            name,
            role,
            prefix,
            secretHash: sha256(key).toString("hex"),
            createdAt: currentTimestamp(),
            lastUsedAt: null,
            revokedAt: null,
          });
          const insertedId = Number(result.identifiers[0].id);
          await writeAudit(manager, {
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
        const apiKey = await this.repo.findOneOrFail({ where: { id } });
        return { apiKey, secret: key };
      } catch (error) {
        // A prefix collision (2^32 space) is astronomically rare; draw again.
        if (uniqueViolationColumn(error) === undefined || attempt >= PREFIX_ATTEMPTS) throw error;
      }
    }
  }
}
