/**
 * One load run with autocannon, in the runner process. Latencies are taken from autocannon's
 * per-response event (sub-millisecond resolution; its own histogram counts whole milliseconds)
 * and percentiles are computed exactly from every response of the measured window.
 */
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  connections: number;
  headers: Record<string, string>;
  /** Fixed request body (reads). */
  body?: string;
  /** A new body for every request (writes). */
  nextBody?: () => string;
  /** True when a response body is right; anything else is counted as a bad body. */
  verifyBody: (body: string) => boolean;
  /** The body every response should have (reads), to show where a bad one differs. */
  expected?: string;
  /**
   * Per request: headers added to `headers` (e.g. another account's key each time) and the check
   * of that request's own response, which then replaces `verifyBody`.
   */
  perRequest?: () => RequestVariant;
}

export interface RequestVariant {
  headers: Record<string, string>;
  verify: (body: string) => boolean;
  /** What this request's response should be, to show where a bad one differs. */
  expected?: string;
}

export interface LoadResult {
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Responses with another status than 2xx. */
  non2xx: number;
  /** Responses whose body failed the check (GraphQL errors, missing data, other bytes). */
  badBodies: number;
  /** The first few bad bodies, shortened, with where they differ from the expected one. */
  badSamples: string[];
  statusCodes: Record<string, number>;
  /** Mean bytes per response (headers and body). */
  bytesPerResponse: number;
}

class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length] = value;
    this.length += 1;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** A bad body, shortened to what helps: its size, and the text where it departs from `expected`. */
export function describeBadBody(body: string, expected?: string): string {
  if (expected === undefined) return `${body.length} chars: ${body.slice(0, 400)}`;
  let at = 0;
  while (at < body.length && at < expected.length && body[at] === expected[at]) at += 1;
  const from = Math.max(0, at - 80);
  return (
    `${body.length} chars (expected ${expected.length}), first difference at ${at}: ` +
    `got …${body.slice(from, at + 160)}… expected …${expected.slice(from, at + 160)}…`
  );
}

export function runLoad(spec: LoadSpec, seconds: number): Promise<LoadResult> {
  const latencies = new Samples();
  const badSamples: string[] = [];
  let bytes = 0;
  // With `perRequest`, each connection's context holds the variant of its request in flight
  // (one at a time: no pipelining). autocannon calls `onResponse` with that context, then builds
  // the next request, then calls `verifyBody` with the same body — all synchronously — so the
  // verdict taken in `onResponse` is the one `verifyBody` returns.
  let verdict = true;
  let requests: autocannon.Request[] | undefined;
  if (spec.perRequest) {
    const perRequest = spec.perRequest;
    requests = [
      {
        method: "POST",
        setupRequest: (request, context) => {
          const variant = perRequest();
          (context as { variant?: RequestVariant }).variant = variant;
          return { ...request, headers: { ...request.headers, ...variant.headers } };
        },
        onResponse: (_status, body, context) => {
          const variant = (context as { variant?: RequestVariant }).variant;
          verdict = variant !== undefined && variant.verify(body);
          if (!verdict && badSamples.length < 3) {
            badSamples.push(describeBadBody(body, variant?.expected));
          }
        },
      },
    ];
  } else if (spec.nextBody) {
    requests = [
      {
        method: "POST",
        setupRequest: (request) => ({ ...request, body: spec.nextBody!() }),
      },
    ];
  }
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: "POST",
        connections: spec.connections,
        duration: seconds,
        headers: spec.headers,
        body: spec.body,
        requests,
        verifyBody: (body) => {
          if (spec.perRequest) return verdict;
          const text = typeof body === "string" ? body : String(body);
          const ok = spec.verifyBody(text);
          if (!ok && badSamples.length < 3) badSamples.push(describeBadBody(text, spec.expected));
          return ok;
        },
        timeout: 10,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const sorted = latencies.sorted();
        let sum = 0;
        for (const value of sorted) sum += value;
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
          statusCodes[code] = stat?.count ?? 0;
        }
        resolve({
          seconds: result.duration,
          requests: sorted.length,
          rps: Math.round((sorted.length / result.duration) * 10) / 10,
          latencyMs: {
            mean: round3(sorted.length ? sum / sorted.length : NaN),
            p50: round3(percentile(sorted, 50)),
            p90: round3(percentile(sorted, 90)),
            p99: round3(percentile(sorted, 99)),
            max: round3(sorted.length ? sorted[sorted.length - 1] : NaN),
          },
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          badBodies: result.mismatches,
          badSamples,
          statusCodes,
          bytesPerResponse: sorted.length ? Math.round(bytes / sorted.length) : 0,
        });
      },
    );
    instance.on("response", (_client, _statusCode, resBytes, responseTime) => {
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });
}
