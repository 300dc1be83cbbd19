import { Webhook } from "standardwebhooks";
import { newSigningSecret, signatureHeaders } from "../../src/webhooks/webhook-signing";

describe("webhook signing (Standard Webhooks)", () => {
  it("makes secrets of 32 random bytes, whsec_ + base64, each different", () => {
    const secrets = new Set(Array.from({ length: 50 }, newSigningSecret));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    }
  });

  it("signs so that the standardwebhooks library verifies, and only the body signed", () => {
    const secret = newSigningSecret();
    const body = JSON.stringify({ id: "7", type: "call.recorded" });
    const headers = signatureHeaders([secret], "7", new Date(), body);
    expect(headers["webhook-id"]).toBe("7");
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ id: "7", type: "call.recorded" });
    expect(() => new Webhook(secret).verify(body.replace("7", "8"), headers)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    // The library refuses a timestamp far from now (replays).
    const old = signatureHeaders([secret], "7", new Date(Date.now() - 3600_000), body);
    expect(() => new Webhook(secret).verify(body, old)).toThrow();
  });

  it("signs with each secret of a rotation's overlap: either verifies", () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const body = "{}";
    const headers = signatureHeaders([current, previous], "9", new Date(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
  });
});
