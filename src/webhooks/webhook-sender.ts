/**
 * One attempt of a delivery: an HTTP POST to the endpoint's URL, made so that a customer's URL
 * cannot hurt the service. The host must resolve, when connecting, to addresses requests may
 * go to (`http/destination.ts`: checked at connection time, against DNS rebinding; an IP in the
 * URL is checked as it is); one deadline for the whole attempt (connect, send, answer); a
 * redirect is an answer like any other (not followed: a failure); at most `MAX_RESPONSE_BYTES`
 * of the answer are read, and the first line of its text kept for the delivery log.
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import {
  DestinationRefused,
  destinationUrl,
  isForbiddenAddress,
  safeLookup,
} from "../http/destination";

/** How much of an answer is read; the rest is not waited for. */
export const MAX_RESPONSE_BYTES = 4096;
/** The longest body the service sends (an event larger than this fails at once). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** How much of a failure's description the delivery log keeps. */
const MAX_ERROR_LENGTH = 255;

export interface AttemptResult {
  /** The answer's HTTP status; null when none came (refused, timed out, cut). */
  statusCode: number | null;
  /** True for a 2xx answer. */
  ok: boolean;
  /** What went wrong, for the delivery log; null when ok. */
  error: string | null;
  /** The answer's `Retry-After`, if any. */
  retryAfter: string | undefined;
  latencyMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  userAgent: string;
}

// Connections are kept for the next deliveries to the same host (the rebinding check is made
// for each new connection).
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4 }),
};

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
}

/** POSTs `body` to `rawUrl` with `headers`; never throws. */
export function sendAttempt(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<AttemptResult> {
  const started = performance.now();
  const result = (
    fields: Omit<AttemptResult, "latencyMs" | "ok" | "retryAfter"> & { retryAfter?: string },
  ): AttemptResult => ({
    ...fields,
    retryAfter: fields.retryAfter,
    ok: fields.statusCode !== null && fields.statusCode >= 200 && fields.statusCode < 300,
    error: fields.error === null ? null : clip(fields.error),
    latencyMs: Math.round(performance.now() - started),
  });
  let url: URL;
  try {
    url = destinationUrl(rawUrl);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && !options.allowPrivateAddresses && isForbiddenAddress(host)) {
      throw new DestinationRefused(
        "a private or reserved address",
        `${host} is an address requests are not sent to`,
      );
    }
  } catch (error) {
    return Promise.resolve(
      result({ statusCode: null, error: `refused: ${(error as Error).message}` }),
    );
  }
  const payload = Buffer.from(body, "utf8");
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return Promise.resolve(
      result({ statusCode: null, error: `the event is larger than ${MAX_PAYLOAD_BYTES} bytes` }),
    );
  }
  const secure = url.protocol === "https:";
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(value);
    };
    const request = (secure ? https : http).request(url, {
      method: "POST",
      agent: secure ? agents.https : agents.http,
      lookup: safeLookup(options.allowPrivateAddresses),
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(payload.length),
        "user-agent": options.userAgent,
      },
    });
    const deadline = setTimeout(() => {
      finish(result({ statusCode: null, error: `no answer within ${options.timeoutMs} ms` }));
      request.destroy();
    }, options.timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => {
      const reason =
        error instanceof DestinationRefused
          ? `refused: ${error.message}`
          : `${error.code ?? "connection failed"}: ${error.message}`;
      finish(result({ statusCode: null, error: reason }));
    });
    request.on("response", (response) => {
      const statusCode = response.statusCode ?? 0;
      const retryAfter = response.headers["retry-after"];
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (complete: boolean) => {
        const ok = statusCode >= 200 && statusCode < 300;
        const text = Buffer.concat(chunks).toString("utf8");
        const location = response.headers.location;
        const error = ok
          ? null
          : statusCode >= 300 && statusCode < 400
            ? `HTTP ${statusCode}: redirects are not followed${location ? ` (to ${location})` : ""}`
            : `HTTP ${statusCode}${text ? `: ${text}` : ""}`;
        finish(result({ statusCode, error, retryAfter }));
        // An answer longer than the bound is not waited for: its connection is not reused.
        if (!complete) response.destroy();
      };
      response.on("data", (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done(false);
      });
      response.on("end", () => done(true));
      response.on("error", () => done(false));
    });
    request.end(payload);
  });
}
