/** Raw HTTP requests: methods, paths, query strings, headers, and broken or oversized bodies. */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { leakFree } from "./settings";
import { serialize, text, hostile, inputOf } from "./values";
import { type Operation } from "./operations";
import { type Credential, printableAscii, credential } from "./credentials";
import { EXTRA_DOCUMENTS, edit, applyEdits } from "./documents";

export type Body =
  | { json: unknown }
  | { text: string }
  | { bytes: number[] }
  | { encoded: "utf16le" | "latin1" | "bom"; json: unknown }
  | { gzip: unknown }
  | { oversize: true }
  | { gzipBomb: true };

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Body;
  credential: Credential;
}

export const PATHS = [
  "/graphql",
  "/graphql/",
  "/",
  "/nope",
  "/healthz",
  "/readyz",
  "/graphql/x",
  "/GRAPHQL",
  "/graphql;x",
  "/graphql%2F",
  "/%2e%2e/graphql",
  "//graphql",
  "/graphql/..%2f",
  `/${"a".repeat(4000)}`,
];
export const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=UTF-16",
  "application/json; charset=latin1",
  "application/json; charset=bogus",
  "application/json;;",
  "application/JSON",
  "application/graphql",
  "application/graphql-response+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "text/plain",
  "text/plain; charset=utf-8",
  "*/*",
  "",
  "json",
];
export const ACCEPTS = [
  "application/json",
  "application/graphql-response+json",
  "application/graphql-response+json, application/json;q=0.9",
  "text/html",
  "multipart/mixed; deferSpec=20220824",
  "multipart/mixed",
  "text/event-stream",
  "*/*",
  "image/png",
  "",
];

/** Every byte of the UTF-8 of `text` percent-encoded (lone surrogates become U+FFFD). */
export function percentEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) => `%${byte.toString(16).padStart(2, "0")}`)
    .join("");
}

export function queryString(): fc.Arbitrary<string> {
  const name = fc.constantFrom("query", "variables", "extensions", "operationName", "x", "");
  const value = fc.oneof(
    fc.constantFrom(...EXTRA_DOCUMENTS),
    fc.constantFrom(
      "{ callStatuses { code } }",
      "mutation { createLead(input: {}) { id } }",
      '{"a":1}',
      "{",
      "[]",
      "null",
      '{"persistedQuery":{"version":1,"sha256Hash":"abc"}}',
      '{"persistedQuery":{"version":2}}',
    ),
    text.filter((s) => !s.startsWith("@@")),
  );
  const pair = fc
    .tuple(name, value, fc.boolean())
    .map(([n, v, raw]) => (raw ? `${n}=${v.replace(/[#\s]/g, "+")}` : `${n}=${percentEncoded(v)}`));
  return fc.oneof(
    fc.array(pair, { maxLength: 5 }).map((pairs) => `?${pairs.join("&")}`),
    fc.constantFrom("?%", "?%zz", "?query=%E0%A4%A", "?query", "?=", "?&&&", "?query[]=1", ""),
  );
}

export function rawRequests(ops: Operation[]): fc.Arbitrary<RawRequest> {
  const validBody = fc
    .record(
      {
        query: fc.oneof(
          fc.constantFrom(
            ...ops.filter((op) => op.name !== "revokeApiKey").map((op) => op.document),
          ),
          fc.constantFrom(...EXTRA_DOCUMENTS),
        ),
        variables: fc.oneof(fc.constant({}), hostile),
        operationName: fc.oneof(fc.constantFrom("A", "CallStatuses"), hostile),
        extensions: fc.oneof(
          fc.constant({}),
          fc.record({
            persistedQuery: inputOf("hostile", {
              version: fc.constant(1),
              sha256Hash: fc.stringMatching(/^[0-9a-f]{64}$/),
            }),
          }),
          hostile,
        ),
      },
      { requiredKeys: ["query"] },
    )
    .chain((body) =>
      // any field replaced by anything
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(body as Record<string, unknown>) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom("query", "variables", "operationName", "extensions"), hostile)
            .map(([key, value]) => ({ ...body, [key]: value })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom("query", "variables")
            .map((key) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== key))),
        },
      ),
    );
  const jsonBody = fc.oneof(
    { weight: 4, arbitrary: validBody },
    { weight: 1, arbitrary: fc.array(validBody, { maxLength: 3 }) },
    { weight: 1, arbitrary: hostile },
  );
  const body: fc.Arbitrary<Body> = fc.oneof(
    { weight: 6, arbitrary: jsonBody.map((json) => ({ json })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(jsonBody, fc.array(edit, { minLength: 1, maxLength: 3 }))
        .map(([json, edits]) => ({ text: applyEdits(serialize(json), edits) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          text.filter((s) => !s.startsWith("@@")),
          fc.constantFrom("", "{", "}", "null", "[", "\u0000", '{"query":"{__typename}"}}'),
        )
        .map((t) => ({ text: t })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 64 })
        .map((bytes) => ({ bytes: [...bytes] }))
        .filter(({ bytes }) => leakFree(Buffer.from(bytes).toString("latin1"))),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        encoded: fc.constantFrom("utf16le" as const, "latin1" as const, "bom" as const),
        json: jsonBody,
      }),
    },
    { weight: 1, arbitrary: jsonBody.map((gzip) => ({ gzip })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>({ oversize: true }, { gzipBomb: true }),
    },
  );
  const optional = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { freq, nil: undefined });
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant("POST") },
        { weight: 3, arbitrary: fc.constant("GET") },
        { weight: 2, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") },
      ),
      path: fc.oneof(
        { weight: 8, arbitrary: fc.constant("/graphql") },
        { weight: 2, arbitrary: fc.constantFrom(...PATHS) },
      ),
      search: fc.oneof(
        { weight: 2, arbitrary: fc.constant("") },
        { weight: 3, arbitrary: queryString() },
      ),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant("application/json") },
        { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      contentEncoding: optional(
        fc.constantFrom("gzip", "deflate", "br", "identity", "bogus", "gzip, gzip"),
        8,
      ),
      accept: optional(fc.constantFrom(...ACCEPTS)),
      preflight: optional(fc.constantFrom("true", "", "1")),
      requestId: optional(fc.oneof(printableAscii, fc.constantFrom("abc-123", "a".repeat(300))), 4),
      origin: optional(fc.constantFrom("http://evil.example", "null", "*"), 6),
      corsMethod: optional(fc.constantFrom("POST", "GET", "DELETE"), 4),
      body: optional(body, 10),
      credential,
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.contentType !== undefined) headers["content-type"] = r.contentType;
      if (r.contentEncoding !== undefined) headers["content-encoding"] = r.contentEncoding;
      if (r.accept !== undefined) headers.accept = r.accept;
      if (r.preflight !== undefined) headers["apollo-require-preflight"] = r.preflight;
      if (r.requestId !== undefined) headers["x-request-id"] = r.requestId;
      if (r.origin !== undefined) headers.origin = r.origin;
      if (r.corsMethod !== undefined) headers["access-control-request-method"] = r.corsMethod;
      const withBody = r.method !== "GET" && r.method !== "HEAD";
      return {
        method: r.method,
        path: r.path + r.search,
        headers,
        ...(withBody ? { body: r.body ?? { json: { query: "{ viewer { role } }" } } } : {}),
        credential: r.credential,
      };
    });
}

export let gzipBombBytes: Buffer | undefined;

export function encodeBody(body: Body): Buffer {
  if ("json" in body && !("encoded" in body)) return Buffer.from(serialize(body.json), "utf8");
  if ("text" in body) return Buffer.from(body.text, "utf8");
  if ("bytes" in body) return Buffer.from(body.bytes);
  if ("encoded" in body) {
    const json = serialize(body.json);
    return body.encoded === "bom"
      ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, "utf8")])
      : Buffer.from(json, body.encoded);
  }
  if ("gzip" in body) return gzipSync(Buffer.from(serialize(body.gzip), "utf8"));
  if ("oversize" in body)
    return Buffer.from(`{"query":"{ viewer { role } }","pad":"${" ".repeat(1_100_000)}"}`);
  gzipBombBytes ??= gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
  return gzipBombBytes;
}
