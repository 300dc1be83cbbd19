/**
 * Where the service may send a request of its own (webhook deliveries): a URL a customer gave
 * must not reach into the service's own network. Only `http:` and `https:` URLs without
 * credentials; and the host's addresses — each of them, as resolved when the connection is
 * made — must be public: not loopback, private, shared (CGNAT), link-local (cloud metadata
 * endpoints live there: 169.254.169.254, fd00:ec2::254), unique-local, multicast, unspecified,
 * reserved or documentation ranges, nor an IPv4 address dressed as IPv6 (`::ffff:10.0.0.1`,
 * NAT64 `64:ff9b::/96`). With `allowPrivate` (development and tests) any address may be used.
 *
 * `safeLookup` is the check at connection time: given to `http.request` as its `lookup`, it
 * refuses the connection when the name resolves to a forbidden address then — so a name that
 * resolved to a public address when the endpoint was saved and to 127.0.0.1 since (DNS
 * rebinding) is refused, and the address checked is the one connected to.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** Why a destination is refused. */
export type DestinationRefusal =
  | "not a URL"
  | "not http or https"
  | "credentials in the URL"
  | "no such host"
  | "a private or reserved address";

export class DestinationRefused extends Error {
  constructor(
    readonly reason: DestinationRefusal,
    detail: string,
  ) {
    super(detail);
    this.name = "DestinationRefused";
  }
}

const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (CGNAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast (deprecated)
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["64:ff9b::", 96], // NAT64: an IPv4 address behind
  ["64:ff9b:1::", 48], // local-use NAT64
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: an IPv4 address behind
  ["fc00::", 7], // unique local (fd00:ec2::254, the AWS metadata endpoint, is here)
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv6");
}

/** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address, if it is one. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^::(?:ffff:(?:0{1,4}:)?)?((?:\d{1,3}\.){3}\d{1,3})$/i.exec(address);
  if (match) return match[1];
  // The hexadecimal spelling of the same: ::ffff:7f00:1 is 127.0.0.1.
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** True when an outbound request must not go to `address` (an IPv4 or IPv6 literal). */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return FORBIDDEN.check(bare, "ipv4");
  if (family !== 6) return true; // not an address at all: never connect to it
  const inner = embeddedIpv4(bare);
  if (inner !== undefined) return isIP(inner) !== 4 || FORBIDDEN.check(inner, "ipv4");
  return FORBIDDEN.check(bare, "ipv6");
}

/**
 * The URL a destination is given as, checked for its form (scheme, no credentials); throws
 * `DestinationRefused`. Its host is checked when it is resolved (`checkDestination`,
 * `safeLookup`).
 */
export function destinationUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefused(
      "not a URL",
      "give an absolute URL, such as https://crm.example.com/hooks",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DestinationRefused("not http or https", `${url.protocol} URLs are not sent to`);
  }
  if (url.username || url.password) {
    throw new DestinationRefused(
      "credentials in the URL",
      "put no user name or password in the URL: requests are signed instead",
    );
  }
  return url;
}

/**
 * Why `host` is refused. A name's address is not told (an IP given as the host is): the message
 * reaches the customer, who must not learn the service's internal DNS from it.
 */
function refusedName(host: string, address: string): string {
  return isIP(host)
    ? `${address} is an address requests are not sent to`
    : `${host} resolves to a private or reserved address, which requests are not sent to`;
}

type Resolve = (hostname: string) => Promise<string[]>;

/** Every address `hostname` resolves to (A and AAAA, as the system resolver gives them). */
const resolveAll: Resolve = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) =>
      error ? reject(error) : resolve(addresses.map((entry) => entry.address)),
    ),
  );

/**
 * Checks `raw` as a destination now: its form, and that its host resolves and only to
 * addresses that may be used (each of them: a name with one public and one private address is
 * refused). Answers the URL; throws `DestinationRefused`.
 */
export async function checkDestination(
  raw: string,
  options: { allowPrivate: boolean; resolve?: Resolve },
): Promise<URL> {
  const url = destinationUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? resolveAll)(host);
    } catch {
      throw new DestinationRefused("no such host", `${host} does not resolve`);
    }
    if (addresses.length === 0)
      throw new DestinationRefused("no such host", `${host} does not resolve`);
  }
  if (!options.allowPrivate) {
    const forbidden = addresses.find(isForbiddenAddress);
    if (forbidden !== undefined) {
      throw new DestinationRefused("a private or reserved address", refusedName(host, forbidden));
    }
  }
  return url;
}

/**
 * A `lookup` for `http.request` / `net.connect` that refuses, at connection time, a name that
 * resolves to an address requests must not go to (unless `allowPrivate`). The connection fails
 * with a `DestinationRefused` error.
 */
export function safeLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, found) => {
      if (error) return callback(error, "", 0);
      const addresses = found as unknown as LookupAddress[];
      const forbidden = allowPrivate
        ? undefined
        : addresses.find((a) => isForbiddenAddress(a.address));
      if (forbidden) {
        const refused = new DestinationRefused(
          "a private or reserved address",
          refusedName(hostname, forbidden.address),
        );
        return callback(refused as NodeJS.ErrnoException, "", 0);
      }
      if (options.all) return callback(null, addresses as never);
      const [first] = addresses;
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }),
          "",
          0,
        );
      return callback(null, first.address, first.family);
    });
  };
}
