import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import bodyParser from "body-parser";
import cors from "cors";
import { withReadScope } from "../db/request-scope";
import { INTERNAL_ERROR_MESSAGE } from "../common/errors";

export const GRAPHQL_PATH = "/graphql";
export const REQUEST_ID_HEADER = "x-request-id";

type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
}

/** A client-supplied request id is kept only when short and plain; otherwise a new one is made. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}

function requestError(res: ServerResponse, status: number, message: string, requestId: string) {
  sendJson(res, status, {
    errors: [{ message, extensions: { code: "BAD_REQUEST", requestId } }],
  });
}

/**
 * Apollo answers some bad requests (batching, CSRF, unsupported method) before any plugin runs;
 * their error bodies get the request id here, like every other error.
 */
function withRequestId(body: string, requestId: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    if (!Array.isArray(parsed.errors)) return body;
    for (const error of parsed.errors) error.extensions = { ...error.extensions, requestId };
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

function describeBodyError(error: HttpError): { status: number; message: string } {
  const status = error.status ?? error.statusCode ?? 400;
  switch (error.type) {
    case "entity.too.large":
      return { status: 413, message: "Request body is too large." };
    case "entity.parse.failed":
      return { status: 400, message: "Request body is not valid JSON." };
    case "charset.unsupported":
    case "encoding.unsupported":
      return { status: 415, message: "Unsupported body encoding; send UTF-8 JSON." };
    default:
      return { status: status >= 400 && status < 500 ? status : 400, message: "Bad request." };
  }
}

/** What one request's log line says; filled in as the request goes (never secrets or content). */
export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  operation?: string;
  role?: string;
  keyPrefix?: string;
  /** The `extensions.code` of each error returned, if any. */
  errorCodes?: string[];
  /** "hit" when the answer was a stored response (nothing executed). */
  cache?: "hit";
}

export interface HttpHandlerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the GraphQL context of one request (authenticating it). */
  context: (req: IncomingMessage, log: RequestLog) => Promise<TContext>;
  /** Called once per request when the response is finished. */
  onResponse?: (log: RequestLog, status: number, durationMs: number) => void;
  bodyLimitBytes: number;
  /** For GET /readyz: whether the service can serve requests now. */
  readiness: () => Promise<{ ready: boolean; reason?: string }>;
  onUnexpectedError?: (error: unknown, requestId: string) => void;
  /** Optional: answers from stored responses before GraphQL runs, and offers answers to store. */
  responses?: StoredResponses;
}

/** A stored answer: the exact body and headers GraphQL gave the first time. */
export interface StoredAnswer {
  /** Kept encoded (a Buffer) when stored: nothing is re-encoded per request. */
  body: string | Buffer;
  contentType: string;
  cacheControl?: string;
}

export interface StoredResponses {
  /** A stored answer for this POST request (its parsed JSON body), if any. */
  lookup(req: IncomingMessage, body: unknown, log: RequestLog): Promise<StoredAnswer | undefined>;
  /** Called with every complete answer GraphQL gave. */
  offer(req: IncomingMessage, status: number, answer: StoredAnswer): void;
}

/**
 * The node:http request listener: CORS, a bounded JSON body (body-parser), a request id echoed
 * in `X-Request-Id`, GraphQL at `/graphql` through Apollo, JSON 404 elsewhere. Malformed
 * requests get a 4xx JSON error, never a 500 or a stack trace.
 */
export function createHttpHandler<TContext extends BaseContext>(
  options: HttpHandlerOptions<TContext>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const corsHandler = cors() as Middleware;
  const jsonHandler = bodyParser.json({ limit: options.bodyLimitBytes }) as Middleware;

  return (req, res) => {
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdFor(req);
    res.setHeader("X-Request-Id", requestId);
    const url = new URL(req.url ?? "/", "http://localhost");
    const log: RequestLog = { requestId, method: req.method ?? "GET", path: url.pathname };
    res.once("finish", () =>
      options.onResponse?.(log, res.statusCode, Number(process.hrtime.bigint() - startedAt) / 1e6),
    );

    // Health checks: no credentials, no GraphQL.
    if (url.pathname === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (url.pathname === "/readyz") {
      options
        .readiness()
        .then(({ ready, reason }) =>
          sendJson(
            res,
            ready ? 200 : 503,
            ready ? { status: "ready" } : { status: "unavailable", reason },
          ),
        )
        .catch(() => sendJson(res, 503, { status: "unavailable" }));
      return;
    }

    corsHandler(req, res, () => {
      if (res.writableEnded) return; // CORS preflight answered
      if (url.pathname !== GRAPHQL_PATH && url.pathname !== `${GRAPHQL_PATH}/`) {
        sendJson(res, 404, {
          errors: [
            {
              message: `Not found. GraphQL is served at ${GRAPHQL_PATH}.`,
              extensions: { code: "NOT_FOUND", requestId },
            },
          ],
        });
        return;
      }
      jsonHandler(req, res, (bodyError) => {
        if (bodyError) {
          const { status, message } = describeBodyError(bodyError as HttpError);
          requestError(res, status, message, requestId);
          return;
        }
        const body = "body" in req ? (req as { body?: unknown }).body : undefined;
        const execute = () => {
          const headers = new HeaderMap();
          for (const [key, value] of Object.entries(req.headers)) {
            if (value !== undefined)
              headers.set(key, Array.isArray(value) ? value.join(", ") : value);
          }
          // Each request has its own read scope (replica or primary; see src/db/request-scope.ts).
          return withReadScope(() =>
            options.apollo.executeHTTPGraphQLRequest({
              httpGraphQLRequest: {
                method: (req.method ?? "GET").toUpperCase(),
                headers,
                search: url.search,
                body,
              },
              context: () => options.context(req, log),
            }),
          ).then(async (response) => {
            for (const [key, value] of response.headers) res.setHeader(key, value);
            res.statusCode = response.status ?? 200;
            if (response.body.kind === "complete") {
              const text =
                res.statusCode >= 400
                  ? withRequestId(response.body.string, requestId)
                  : response.body.string;
              if (text !== response.body.string) res.removeHeader("content-length");
              res.end(text);
              options.responses?.offer(req, res.statusCode, {
                body: text,
                contentType: response.headers.get("content-type") ?? "application/json",
                cacheControl: response.headers.get("cache-control"),
              });
              return;
            }
            for await (const chunk of response.body.asyncIterator) res.write(chunk);
            res.end();
          });
        };
        // A stored answer skips GraphQL entirely (JSON POSTs only: the CSRF rule holds).
        const stored =
          options.responses && req.method === "POST" && isJson(req)
            ? options.responses.lookup(req, body, log).catch(() => undefined)
            : Promise.resolve(undefined);
        stored
          .then((answer) => {
            if (!answer) return execute();
            res.statusCode = 200;
            res.setHeader("content-type", answer.contentType);
            if (answer.cacheControl) res.setHeader("cache-control", answer.cacheControl);
            res.setHeader("content-length", Buffer.byteLength(answer.body));
            res.end(answer.body);
          })
          .catch((error: unknown) => {
            options.onUnexpectedError?.(error, requestId);
            if (!res.headersSent) {
              sendJson(res, 500, {
                errors: [
                  {
                    message: INTERNAL_ERROR_MESSAGE,
                    extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
                  },
                ],
              });
            } else {
              res.destroy();
            }
          });
      });
    });
  };
}
