import { randomBytes } from "node:crypto";
import { SecretBox } from "../../src/webhooks/secret-box";

describe("signing secrets at rest", () => {
  const secret = "whsec_" + randomBytes(32).toString("base64");

  it("seals with a key: the stored value holds nothing of the secret and opens to it", () => {
    const box = new SecretBox(randomBytes(32));
    const stored = box.seal(secret);
    expect(stored).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain(secret.slice(6, 20));
    expect(stored.length).toBeLessThanOrEqual(255);
    expect(box.open(stored)).toBe(secret);
    expect(box.seal(secret)).not.toBe(stored); // a fresh IV each time
  });

  it("stores as it is without a key, and reads plain values with or without one", () => {
    expect(new SecretBox(undefined).seal(secret)).toBe(secret);
    expect(new SecretBox(undefined).open(secret)).toBe(secret);
    expect(new SecretBox(randomBytes(32)).open(secret)).toBe(secret);
  });

  it("refuses to open with another key, with none, or a value tampered with", () => {
    const stored = new SecretBox(randomBytes(32)).seal(secret);
    expect(() => new SecretBox(randomBytes(32)).open(stored)).toThrow();
    expect(() => new SecretBox(undefined).open(stored)).toThrow(/WEBHOOKS_SECRET_KEY/);
    const key = randomBytes(32);
    const box = new SecretBox(key);
    const sealed = box.seal(secret);
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
    expect(() => box.open(flipped)).toThrow();
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(RangeError);
    expect(new SecretBox(randomBytes(32)).tryOpen(stored)).toBeNull();
    expect(box.tryOpen(sealed)).toBe(secret);
  });
});
