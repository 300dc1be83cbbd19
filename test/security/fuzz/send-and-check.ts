/**
 * Sending a request and checking its answer: never a 5xx, never an unknown or missing error code,
 * never a leak, always a request id; and running a property with the fixed seed.
 */
import fc from "fast-check";
import { TestServer } from "../../support/harness";
import { SEED, REQUEST_TIMEOUT_MS, KNOWN_CODES, LEAK, SCHEMA_TEXT } from "./settings";
import { serialize, type Mode } from "./values";
import { type Credential, type Secrets, credentialHeaders } from "./credentials";
import { type RawRequest, encodeBody } from "./raw-requests";

export interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzContext {
  server: TestServer;
  secrets: Secrets;
  sent: number;
  /** Responses by HTTP status and error codes (printed with FUZZ_REPORT=1). */
  outcomes: Record<string, number>;
}

export interface LogLine {
  level?: number;
  requestId?: string;
  err?: { message?: string; stack?: string };
}

export function parsedLogs(server: TestServer): LogLine[] {
  return server.logs.map((line) => JSON.parse(line) as LogLine);
}

/** Sends one request and throws, describing the response, when any promise is broken. */
export async function sendAndCheck(context: FuzzContext, request: Sent): Promise<void> {
  context.sent += 1;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(
      `no response (${(error as Error).message}; cause: ${String((error as Error).cause)})`,
    );
  }
  const text = await response.text();
  if (process.env.FUZZ_REPORT) {
    const codes = /"code":"(\w+)"/.exec(text)?.[1] ?? (/"data":\{"/.test(text) ? "data" : "-");
    const key = `${response.status} ${codes}`;
    context.outcomes[key] = (context.outcomes[key] ?? 0) + 1;
  }
  const problems = problemsOf(request, response.status, response.headers, text);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join("; ")}\n  response: HTTP ${response.status} ` +
        `${response.headers.get("content-type") ?? "(no content type)"}\n  ${text.slice(0, 1500)}`,
    );
  }
}

export function problemsOf(
  request: Sent,
  status: number,
  headers: Headers,
  text: string,
): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);

  // A match that only echoes the request's own text (e.g. an unknown field name) is no leak, nor
  // is one from the schema's own descriptions (introspection: "… at all (`agentVisibility` …").
  const sentText = `${request.url} ${JSON.stringify(request.headers)} ${request.body?.toString("utf8") ?? ""}`;
  for (const match of text.matchAll(new RegExp(LEAK.source, "g"))) {
    if (!sentText.includes(match[0]) && !SCHEMA_TEXT.includes(match[0]))
      problems.push(`leak: ${JSON.stringify(match[0])}`);
  }

  // Node's HTTP parser refuses a request line or headers over 16 KB before any route sees the
  // request; the service still answers that (431) in JSON with a request id.

  if (!headers.get("x-request-id")) problems.push("no X-Request-Id header");
  const contentType = headers.get("content-type") ?? "";
  const isJson = /\bjson\b/i.test(contentType);
  if (status >= 400 && !isJson && request.method !== "HEAD")
    problems.push(`an error response that is not JSON (${contentType || "no content type"})`);
  if (!isJson || request.method === "HEAD") return problems;

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push("the content type says JSON but the body is not");
    return problems;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    problems.push("the JSON body is not an object");
    return problems;
  }
  const { errors } = body as { errors?: unknown };
  if (status >= 400 && !Array.isArray(errors)) problems.push(`HTTP ${status} without errors`);
  if (errors === undefined) return problems;
  if (!Array.isArray(errors) || errors.length === 0) {
    problems.push("`errors` is not a non-empty array");
    return problems;
  }
  for (const error of errors as Array<{
    message?: unknown;
    extensions?: Record<string, unknown>;
  }>) {
    const code = error?.extensions?.code;
    const requestId = error?.extensions?.requestId;
    if (typeof error?.message !== "string") problems.push("an error without a message");
    if (typeof requestId !== "string") problems.push("an error without requestId");
    if (typeof code !== "string") problems.push("an error without extensions.code");
    else if (!KNOWN_CODES.has(code)) problems.push(`error code ${code}`);
  }
  return problems;
}

export function graphqlRequest(
  context: FuzzContext,
  request: {
    document: string;
    variables?: unknown;
    operationName?: unknown;
    credential: Credential;
  },
): Sent {
  const body: Record<string, unknown> = { query: request.document };
  if (request.variables !== undefined) body.variables = request.variables;
  if (request.operationName !== undefined) body.operationName = request.operationName;
  return {
    method: "POST",
    url: context.server.url,
    headers: {
      "content-type": "application/json",
      ...credentialHeaders(request.credential, context.secrets),
    },
    body: Buffer.from(serialize(body), "utf8"),
  };
}

export interface OperationRequest {
  operation: string;
  mode: Mode;
  document: string;
  variables: unknown;
  credential: Credential;
  transport: "POST" | "GET";
}

export function operationSent(context: FuzzContext, request: OperationRequest): Sent {
  if (request.transport === "POST") return graphqlRequest(context, request);
  const search = new URLSearchParams({ query: request.document });
  if (request.variables !== undefined) search.set("variables", serialize(request.variables));
  return {
    method: "GET",
    url: `${context.server.url}?${search}`,
    headers: {
      "apollo-require-preflight": "true",
      ...credentialHeaders(request.credential, context.secrets),
    },
  };
}

export function rawSent(context: FuzzContext, request: RawRequest): Sent {
  return {
    method: request.method,
    url: new URL(context.server.url).origin + request.path,
    headers: { ...request.headers, ...credentialHeaders(request.credential, context.secrets) },
    ...(request.body ? { body: encodeBody(request.body) } : {}),
  };
}

export function assertProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  run: (value: T) => Promise<void>,
): Promise<void> {
  return fc.assert(fc.asyncProperty(arbitrary, run), { seed: SEED, numRuns });
}
