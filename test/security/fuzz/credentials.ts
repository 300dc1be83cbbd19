/** The credentials a request may carry: real keys per role, revoked, wrong and odd ones, JWTs. */
import fc from "fast-check";
import { SignJWT } from "jose";
import { JWT_SECRET, type RoleName } from "./settings";

export type Credential =
  | RoleName
  | "NONE"
  | "REVOKED"
  | "WRONG_SECRET"
  | "JWT_AGENT"
  | "JWT_ADMIN_LOWERCASE"
  | "JWT_EXPIRED"
  | "JWT_UNSIGNED"
  | "JWT_OTHER_SECRET"
  | "JWT_HS512"
  | "JWT_BAD_ROLE"
  | "JWT_ROLE_ARRAY"
  | "JWT_NO_SUB"
  | { header: string; value: string };

export const printableAscii = fc.string({ unit: "grapheme-ascii", maxLength: 60 });
export const credential: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("ADMIN" as const) },
  { weight: 3, arbitrary: fc.constantFrom("AGENT" as const, "AI_AGENT" as const) },
  { weight: 1, arbitrary: fc.constant("SYSTEM" as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Credential>(
      "NONE",
      "REVOKED",
      "WRONG_SECRET",
      "JWT_AGENT",
      "JWT_ADMIN_LOWERCASE",
      "JWT_EXPIRED",
      "JWT_UNSIGNED",
      "JWT_OTHER_SECRET",
      "JWT_HS512",
      "JWT_BAD_ROLE",
      "JWT_ROLE_ARRAY",
      "JWT_NO_SUB",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      header: fc.constantFrom("x-api-key", "authorization", "X-API-KEY"),
      // `<ADMIN>`, `<AGENT>`, `<JWT_AGENT>` stand for real credentials
      value: fc.oneof(
        printableAscii,
        fc.constantFrom(
          "Bearer",
          "Bearer ",
          "Bearer  <ADMIN>",
          "bearer <ADMIN>",
          "Bearer <ADMIN> extra",
          "Basic <ADMIN>",
          "Token <ADMIN>",
          "<ADMIN>x",
          "<ADMIN>, <AGENT>",
          " <AGENT> ",
          "Bearer <JWT_AGENT>",
          "<JWT_AGENT>",
          "Bearer <JWT_AGENT>x",
          "Bearer x<JWT_AGENT>",
          "Bearer a.b.c",
          "Bearer ..",
          "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwicm9sZSI6IkFETUlOIn0.",
          "csk_",
          "csk_00000000_",
          `csk_00000000_${"A".repeat(43)}`,
          `csk_zzzzzzzz_${"-".repeat(43)}`,
          "x".repeat(8000),
        ),
      ),
    }),
  },
);

export interface Secrets {
  keys: Record<RoleName | "REVOKED" | "WRONG_SECRET", string>;
  jwts: Record<string, string>;
}

export function credentialHeaders(
  credential: Credential,
  secrets: Secrets,
): Record<string, string> {
  if (typeof credential === "object") {
    const value = credential.value
      .replace(/<(ADMIN|AGENT)>/g, (_, role: RoleName) => secrets.keys[role])
      .replace(/<JWT_AGENT>/g, secrets.jwts.JWT_AGENT);
    return { [credential.header]: value };
  }
  if (credential === "NONE") return {};
  if (credential.startsWith("JWT_")) return { authorization: `Bearer ${secrets.jwts[credential]}` };
  return { "x-api-key": secrets.keys[credential as keyof Secrets["keys"]] };
}

export async function signJwts(): Promise<Record<string, string>> {
  const secret = new TextEncoder().encode(JWT_SECRET);
  const sign = (
    claims: Record<string, unknown>,
    options: { alg?: string; key?: Uint8Array; exp?: number | string; sub?: boolean } = {},
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? "HS256" })
      .setIssuedAt()
      .setExpirationTime(options.exp ?? "1h");
    if (options.sub !== false) jwt.setSubject("fuzz-user");
    return jwt.sign(options.key ?? secret);
  };
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    JWT_AGENT: await sign({ role: "AGENT" }),
    JWT_ADMIN_LOWERCASE: await sign({ role: "admin" }),
    JWT_EXPIRED: await sign({ role: "ADMIN" }, { exp: Math.floor(Date.now() / 1000) - 60 }),
    JWT_UNSIGNED: `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "x", role: "ADMIN" })}.`,
    JWT_OTHER_SECRET: await sign(
      { role: "ADMIN" },
      { key: new TextEncoder().encode("another-secret-of-at-least-32-bytes!!!") },
    ),
    JWT_HS512: await sign({ role: "ADMIN" }, { alg: "HS512" }),
    JWT_BAD_ROLE: await sign({ role: "root" }),
    JWT_ROLE_ARRAY: await sign({ role: ["ADMIN"] }),
    JWT_NO_SUB: await sign({ role: "ADMIN" }, { sub: false }),
  };
}
