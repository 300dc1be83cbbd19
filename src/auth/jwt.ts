import { createPublicKey, type KeyObject } from "node:crypto";
import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { AuthConfig } from "../config";
import { AppError } from "../common/errors";
import { Role, type Principal } from "./principal";

type JwtConfig = NonNullable<AuthConfig["jwt"]>;

/** Looks like a compact JWS: three base64url segments. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * Verifies Bearer JWTs from frontends that already have a user session (jose). Exactly one
 * algorithm is accepted — HS256 with a shared secret, or RS256/ES256 with the configured public
 * key — so unsigned (`alg: none`) and algorithm-confusion tokens are refused. `exp` and `sub`
 * are required; `nbf`, `iss` and `aud` are checked when present/configured.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | KeyObject;
  private readonly algorithm: "HS256" | "RS256" | "ES256";

  constructor(private readonly config: JwtConfig) {
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

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AppError("UNAUTHENTICATED", "The token has expired.");
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf") {
        throw new AppError("UNAUTHENTICATED", "The token is not valid yet.");
      }
      throw new AppError("UNAUTHENTICATED", "The token is not valid.");
    }
    const claim = payload[this.config.roleClaim];
    const role = typeof claim === "string" ? claim.toUpperCase() : undefined;
    if (!role || !Object.values(Role).includes(role as Role)) {
      throw new AppError(
        "UNAUTHENTICATED",
        `The token's "${this.config.roleClaim}" claim must be one of ${Object.values(Role).join(", ")}.`,
      );
    }
    return { role: role as Role, actorId: String(payload.sub), via: "jwt" };
  }
}
