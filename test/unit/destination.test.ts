/** Outbound destinations (http/destination.ts): what a webhook URL may point at. */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  checkDestination,
  DestinationRefused,
  destinationUrl,
  isForbiddenAddress,
  safeLookup,
} from "../../src/http/destination";

describe("isForbiddenAddress", () => {
  it.each([
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.2.10",
    "::1",
    "::",
    "fe80::1",
    "fd00:ec2::254",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.1.2.3",
    "::ffff:a9fe:a9fe",
    "::127.0.0.1",
    "64:ff9b::a00:1",
    "2002:7f00:1::",
    "2001:db8::1",
    "[::1]",
    "fe80::1%eth0",
    "not an address",
  ])("refuses %s", (address) => expect(isForbiddenAddress(address)).toBe(true));

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("allows the public %s", (address) => expect(isForbiddenAddress(address)).toBe(false));
});

describe("destinationUrl and checkDestination", () => {
  const resolveTo =
    (...addresses: string[]) =>
    async () =>
      addresses;

  it("refuses what is not an http(s) URL, or carries credentials", () => {
    for (const [raw, reason] of [
      ["crm.example.com/hooks", "not a URL"],
      ["ftp://crm.example.com/hooks", "not http or https"],
      ["file:///etc/passwd", "not http or https"],
      ["https://user:secret@crm.example.com/hooks", "credentials in the URL"],
    ] as const) {
      expect(() => destinationUrl(raw)).toThrow(expect.objectContaining({ reason }));
    }
    expect(destinationUrl("https://crm.example.com/hooks?x=1").hostname).toBe("crm.example.com");
  });

  it("refuses a host with any private address, and literals in private ranges", async () => {
    const check = (raw: string, resolve = resolveTo("93.184.215.14")) =>
      checkDestination(raw, { allowPrivate: false, resolve });
    await expect(check("https://crm.example.com/hooks")).resolves.toBeInstanceOf(URL);
    await expect(
      check("https://crm.example.com/", resolveTo("93.184.215.14", "10.0.0.8")),
    ).rejects.toMatchObject({
      reason: "a private or reserved address",
    });
    await expect(check("http://127.0.0.1:8080/")).rejects.toMatchObject({
      reason: "a private or reserved address",
    });
    await expect(check("http://[::ffff:169.254.169.254]/latest/meta-data")).rejects.toMatchObject({
      reason: "a private or reserved address",
    });
    await expect(
      check("https://nowhere.invalid/", async () => {
        throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
      }),
    ).rejects.toMatchObject({ reason: "no such host" });
    await expect(check("https://empty.example/", resolveTo())).rejects.toBeInstanceOf(
      DestinationRefused,
    );
  });

  it("allows private addresses when told to (development, tests)", async () => {
    await expect(
      checkDestination("http://127.0.0.1:8080/", { allowPrivate: true }),
    ).resolves.toBeInstanceOf(URL);
  });
});

describe("safeLookup, at connection time", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const get = (allowPrivate: boolean) =>
    new Promise<string>((resolve, reject) => {
      const outgoing = request(
        { host: "localhost", port, path: "/", lookup: safeLookup(allowPrivate), family: 4 },
        (response) => {
          let body = "";
          response.on("data", (chunk: Buffer) => (body += chunk.toString()));
          response.on("end", () => resolve(body));
        },
      );
      outgoing.on("error", reject);
      outgoing.end();
    });

  it("refuses to connect to a name that resolves to loopback", async () => {
    await expect(get(false)).rejects.toMatchObject({
      name: "DestinationRefused",
      reason: "a private or reserved address",
    });
  });

  it("connects when private addresses are allowed", async () => {
    await expect(get(true)).resolves.toBe("ok");
  });
});
