import type { IncomingHttpHeaders } from "node:http";
import { AppError } from "../common/errors";
import type { ApiKeyService } from "./api-key.service";
import { DEFAULT_ACCOUNT_CODE, type AccountService } from "../accounts/account.service";
import { looksLikeJwt, type JwtIdentity, type JwtVerifier } from "./jwt";
import { Role, type Principal } from "../access/principal";

export const MISSING_CREDENTIAL_MESSAGE =
  "Authentication required: send an API key in the X-Api-Key header (or Authorization: Bearer <key>).";

export const CONFLICTING_CREDENTIALS_MESSAGE =
  "X-Api-Key and Authorization carry different credentials: send one credential (X-Api-Key, or Authorization: Bearer <key or token>).";

/** The credential of `Authorization: Bearer <credential>`; undefined for any other value. */
function bearerOf(authorization: string): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/**
 * Establishes who is calling from the request headers: `X-Api-Key: <key>` (the platform's
 * convention) or `Authorization: Bearer <key or JWT>`. Throws UNAUTHENTICATED otherwise, and when
 * both headers are sent with different credentials (only `Bearer` and the same key may be sent
 * along with `X-Api-Key`): which one a request means is never guessed.
 */
export class Authenticator {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly accounts: AccountService,
    private readonly jwt?: JwtVerifier,
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const apiKey = header(headers, "x-api-key");
    const authorization = header(headers, "authorization");
    if (apiKey && authorization && bearerOf(authorization) !== apiKey) {
      throw new AppError("UNAUTHENTICATED", CONFLICTING_CREDENTIALS_MESSAGE);
    }
    if (apiKey) return this.apiKeys.verify(apiKey);

    if (!authorization) throw new AppError("UNAUTHENTICATED", MISSING_CREDENTIAL_MESSAGE);
    const bearer = bearerOf(authorization);
    if (!bearer) {
      throw new AppError(
        "UNAUTHENTICATED",
        "The Authorization header must be `Bearer <API key or token>`.",
      );
    }
    if (this.jwt && looksLikeJwt(bearer)) return this.fromToken(await this.jwt.verify(bearer));
    return this.apiKeys.verify(bearer);
  }

  /**
   * A token's caller acts in the account its account claim names, or the default account when
   * it names none (single-tenant setups); a PLATFORM token names none. An unknown or inactive
   * account is refused like a bad token.
   */
  private async fromToken(identity: JwtIdentity): Promise<Principal> {
    const { role, actorId, accountCode, expiresAt } = identity;
    if (role === Role.PLATFORM) {
      if (accountCode !== null) {
        throw new AppError("UNAUTHENTICATED", "A PLATFORM token names no account.");
      }
      return { role, actorId, via: "jwt", accountId: null, accountCode: null, expiresAt };
    }
    const account = await this.accounts.byCode(accountCode ?? DEFAULT_ACCOUNT_CODE);
    if (!account || !account.active) {
      throw new AppError("UNAUTHENTICATED", "The token's account is unknown or inactive.");
    }
    return {
      role,
      actorId,
      via: "jwt",
      accountId: account.id,
      accountCode: account.code,
      expiresAt,
    };
  }
}
