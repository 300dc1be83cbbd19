/**
 * Signing secrets and signatures, per the Standard Webhooks specification
 * (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of random bytes; each
 * delivery carries `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature`, the
 * base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` as `v1,<signature>` — one per secret that
 * signs, space-separated, so a receiver that has the new secret or the old one during a
 * rotation's overlap verifies either.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";
/** 32 random bytes: the key of the HMAC-SHA256 (the specification asks for 24 to 64). */
const SECRET_BYTES = 32;

/** A new signing secret. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

/** The three Standard Webhooks headers of one delivery of `body`, signed with each secret. */
export function signatureHeaders(
  secrets: readonly string[],
  messageId: string,
  at: Date,
  body: string,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, at, body));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
