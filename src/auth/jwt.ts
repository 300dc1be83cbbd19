import { createPublicKey, type KeyObject } from "node:crypto";
import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { AuthConfig } from "../config";
import { AppError } from "../common/errors";
import { isWellFormed, NOT_WELL_FORMED, unreadableTextProblem } from "../common/text";
import { characterLength } from "../common/validation";
import { Role } from "../access/principal";

/** What a verified token says of its caller, before its account is looked up. */
export interface JwtIdentity {
  role: Role;
  actorId: string;
  /** The account claim, when the token carries one. */
  accountCode: string | null;
  /** When the token expires (`exp`), in milliseconds since the epoch. */
  expiresAt: number;
}

type JwtConfig = NonNullable<AuthConfig["jwt"]>;

/** How far the issuer's clock may be ahead of or behind ours. */
const CLOCK_SKEW_SECONDS = 30;

/** Actors authenticated by a JWT are `jwt:<sub>`; API keys are `key:<id>`, the CLI `cli`. */
export const JWT_ACTOR_PREFIX = "jwt:";

/** Looks like a compact JWS: three base64url segments. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** The longest subject: the actor columns hold 255 characters, `jwt:` included. */
export const MAX_SUBJECT_LENGTH = 255 - JWT_ACTOR_PREFIX.length;

/**
 * Why a subject cannot identify an actor, or undefined when it can: it is stored as the audit
 * actor and as `Call.recordedBy`, and keys idempotent replays, so it must fit those columns, be
 * one readable line, and be well-formed Unicode (two subjects differing only in a lone surrogate
 * would otherwise be stored as one).
 */
function identifierProblem(subject: string): string | undefined {
  if (!isWellFormed(subject)) return NOT_WELL_FORMED;
  if (characterLength(subject) > MAX_SUBJECT_LENGTH) {
    return `must be at most ${MAX_SUBJECT_LENGTH} characters long`;
  }
  return unreadableTextProblem(subject, false);
}

/**
 * Verifies Bearer JWTs from frontends that already have a user session (jose). Exactly one
 * algorithm is accepted — HS256 with a shared secret, or RS256/ES256 with the configured public
 * key — so unsigned (`alg: none`) and algorithm-confusion tokens are refused. `exp`, `iat` and a
 * `sub` that can identify an actor (see `identifierProblem`) are required; `iat` may not be in
 * the future (beyond a small clock skew) and `exp` may be at most JWT_MAX_AGE_SECONDS after it;
 * `nbf`, `iss` and `aud` are checked when present/configured. The PLATFORM role is refused unless
 * JWT_ALLOW_PLATFORM_ROLE is on.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | KeyObject;
  private readonly algorithm: "HS256" | "RS256" | "ES256";
  /** The roles a token may carry: PLATFORM only when JWT_ALLOW_PLATFORM_ROLE is on. */
  private readonly roles: Role[];

  constructor(private readonly config: JwtConfig) {
    this.roles = Object.values(Role).filter(
      (role) => role !== Role.PLATFORM || config.allowPlatformRole === true,
    );
    if (config.secret) {
      this.key = new TextEncoder().encode(config.secret);
      this.algorithm = "HS256";
      return;
    }
    const key = createPublicKey(config.publicKey ?? "");
    this.key = key;
    if (key.asymmetricKeyType === "rsa") this.algorithm = "RS256";
    else if (
      key.asymmetricKeyType === "ec" &&
      key.asymmetricKeyDetails?.namedCurve === "prime256v1"
    ) {
      this.algorithm = "ES256";
    } else {
      throw new Error("JWT_PUBLIC_KEY must be an RSA or a P-256 EC public key");
    }
  }

  /** The token's caller; `accountCode` is its account claim (resolved by the Authenticator). */
  async verify(token: string): Promise<JwtIdentity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ["exp", "sub", "iat"],
        // Also requires `iat`, at most CLOCK_SKEW_SECONDS in the future.
        maxTokenAge: this.config.maxAgeSeconds,
        clockTolerance: CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AppError("UNAUTHENTICATED", "The token has expired.");
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf") {
        throw new AppError("UNAUTHENTICATED", "The token is not valid yet.");
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "iat") {
        throw new AppError(
          "UNAUTHENTICATED",
          error.reason === "missing"
            ? "The token must carry its issue time (iat)."
            : "The token's issue time (iat) is not valid: it must be a time in the past.",
        );
      }
      throw new AppError("UNAUTHENTICATED", "The token is not valid.");
    }
    // A token may not outlive the bound, however far its own `exp` says.
    if ((payload.exp as number) - (payload.iat as number) > this.config.maxAgeSeconds) {
      throw new AppError(
        "UNAUTHENTICATED",
        `The token lives too long: exp may be at most ${this.config.maxAgeSeconds} seconds after iat (JWT_MAX_AGE_SECONDS).`,
      );
    }
    const claim = payload[this.config.roleClaim];
    // ASCII case only: toUpperCase() would also map "adm\u0131n" (dotless i) to ADMIN.
    const role =
      typeof claim === "string" ? claim.replace(/[a-z]/g, (c) => c.toUpperCase()) : undefined;
    if (role === Role.PLATFORM && !this.roles.includes(Role.PLATFORM)) {
      // The operator's role reaches every account: a token may carry it only when allowed.
      throw new AppError(
        "UNAUTHENTICATED",
        "Tokens with the PLATFORM role are not accepted (JWT_ALLOW_PLATFORM_ROLE is off): the platform operator uses a PLATFORM API key.",
      );
    }
    if (!role || !this.roles.includes(role as Role)) {
      throw new AppError(
        "UNAUTHENTICATED",
        `The token's "${this.config.roleClaim}" claim must be one of ${this.roles.join(", ")}.`,
      );
    }
    if (typeof payload.sub !== "string" || payload.sub.trim() === "") {
      throw new AppError("UNAUTHENTICATED", "The token's subject (sub) must not be empty.");
    }
    const subjectProblem = identifierProblem(payload.sub);
    if (subjectProblem) {
      throw new AppError("UNAUTHENTICATED", `The token's subject (sub) ${subjectProblem}.`);
    }
    // Its own namespace: a subject can never pass for an API key's actor (`key:<id>`), whose
    // idempotent results and audit entries are its own.
    const account = payload[this.config.accountClaim];
    if (account !== undefined && typeof account !== "string") {
      throw new AppError(
        "UNAUTHENTICATED",
        `The token's "${this.config.accountClaim}" claim must be an account code.`,
      );
    }
    return {
      role: role as Role,
      actorId: `${JWT_ACTOR_PREFIX}${payload.sub}`,
      accountCode: account ?? null,
      expiresAt: (payload.exp as number) * 1000,
    };
  }
}
