/**
 * Signing secrets at rest. The service must keep each endpoint's secret readable to sign with
 * it, so it cannot store a hash (as it does for API keys); with `WEBHOOKS_SECRET_KEY` set it
 * stores them sealed — AES-256-GCM under that key, `enc:v1:` + base64url(iv | tag | ciphertext)
 * — so that a copy of the database (a backup, a replica's disk) does not hold them usable.
 * Without the key they are stored as they are. A stored value without the prefix is read as it
 * is, so setting the key later seals the secrets made from then on (rotate the others).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new RangeError("the key must be 32 bytes");
  }

  /** `secret` as it is stored: sealed when a key is set. */
  seal(secret: string): string {
    if (!this.key) return secret;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
  }

  /** The secret of a stored value; throws when it is sealed and cannot be opened here. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    if (!this.key) {
      throw new Error("a webhook secret is sealed, and WEBHOOKS_SECRET_KEY is not set");
    }
    const bytes = Buffer.from(stored.slice(PREFIX.length), "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    // A wrong key fails the tag check here.
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  }

  /** The secret of a stored value, or null when it cannot be opened here. */
  tryOpen(stored: string): string | null {
    try {
      return this.open(stored);
    } catch {
      return null;
    }
  }
}
