import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import cors from "@fastify/cors";
import websocket from "@fastify/websocket";
import { INTERNAL_ERROR_MESSAGE } from "../common/errors";
import type { HttpTimeouts } from "../config";
import type { Logger } from "../logger";

export const REQUEST_ID_HEADER = "x-request-id";

/** What one request's log line says; filled in as the request goes (never secrets or content). */
export interface RequestLog {
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

declare module "fastify" {
  interface FastifyRequest {
    /** This request's log line, written once when the response is finished. */
    requestLog: RequestLog;
  }
}

export interface HttpServerOptions {
  logger: Logger;
  /** How long a client may take to send a request, and to keep an idle connection. */
  timeouts: HttpTimeouts;
  /** Largest request body accepted, in bytes (larger: 413). */
  bodyLimitBytes: number;
  /** The origins that get CORS headers: `*` for any, or exactly these (CORS_ORIGINS). */
  corsOrigins: "*" | readonly string[];
  /** For GET /readyz: whether the service can serve requests now. */
  readiness: () => Promise<{ ready: boolean; reason?: string }>;
}

/** A client-supplied request id is kept only when short and plain; otherwise a new one is made. */
function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}

/**
 * One log line per request, written by Fastify's own logger when the response is finished:
 * request id, method, path, what the GraphQL layer learnt (operation, caller, error codes),
 * status and duration. Fastify's default "incoming"/"completed" pair is replaced by it.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      ...request.requestLog,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) request.log.error({ ...line, err: error }, "request");
    else request.log.info(line, "request");
  }
}

const HEALTH_PATHS = new Set(["/healthz", "/readyz"]);

/** A host name or IPv4 address, or a bracketed IPv6 address, each with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** True for a Host header that makes a URL (RFC 9110: host and optional port, nothing else). */
export function isUsableHost(host: string | undefined): boolean {
  return host !== undefined && HOST.test(host) && URL.canParse(`http://${host}/`);
}

/** An error body in the GraphQL shape, so clients parse every error the same way. */
export function errorBody(message: string, code: string, requestId: string) {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

/** The status and message a client gets for a request Fastify could not take in. */
function describeRequestError(error: FastifyError): { status: number; message: string } {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, message: "Request body is too large." };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, message: "Request body is not valid JSON." };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return { status: 400, message: "The Content-Length header does not match the body." };
    case "UNSUPPORTED_CHARSET":
      return { status: 415, message: "Unsupported body encoding; send UTF-8 JSON." };
    default: {
      const status = error.statusCode ?? 500;
      return status >= 400 && status < 500
        ? { status, message: "Bad request." }
        : { status: 500, message: INTERNAL_ERROR_MESSAGE };
    }
  }
}

/**
 * The bounds of reading a refused body to its end (`closeAfterRestOfBody`): at most 64 MiB past
 * the body limit, within 10 s of the answer. A client still sending after either is cut off.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_TIMEOUT_MS = 10_000;

/**
 * Lingering close, for a request answered before its body was read (413: body too large).
 *
 * The answer says `Connection: close`, and Node closes such a connection as soon as the answer
 * is written (`socket.destroySoon()`). Closing a socket with unread data in its receive buffer,
 * or receiving data on a closed one, makes the kernel send a TCP reset, and the reset makes the
 * client's kernel drop whatever the client had not read yet — the 413 with it (`fetch failed`,
 * or EPIPE/ECONNRESET for a client that writes its whole body before reading). So here, once the
 * answer is written, the connection only half-closes (the answer and a FIN go out, reading goes
 * on), the rest of the body is read and discarded, and the socket is closed when the body has
 * ended (nothing is left unread) or the client closes its side — or at DISCARD_LIMIT_BYTES or
 * DISCARD_TIMEOUT_MS, so that no client can make the service read an endless body. The request
 * timeout (HTTP_REQUEST_TIMEOUT_SECONDS) still applies meanwhile.
 */
function closeAfterRestOfBody(request: IncomingMessage): void {
  const socket = request.socket as Socket | null;
  if (!socket || socket.destroyed || request.complete) return;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, DISCARD_TIMEOUT_MS);
  socket.once("close", () => clearTimeout(timer));
  let discarded = 0;
  request.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) cut();
  });
  request.resume();
  // Node calls this once the answer is written; it replaces Node's close for this connection only.
  socket.destroySoon = () => {
    socket.end();
    const closeWhenFlushed = () =>
      socket.writableFinished ? socket.destroy() : socket.once("finish", () => socket.destroy());
    if (request.complete) closeWhenFlushed();
    else request.once("end", closeWhenFlushed);
  };
}

/**
 * A request Node's HTTP parser refused before any route could see it (headers too large, a
 * malformed request line, a timeout): answered in the same JSON shape, with a request id.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : 400;
  const message =
    status === 431
      ? "Request headers are too large."
      : status === 408
        ? "The request took too long to arrive."
        : "Malformed HTTP request.";
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(message, "BAD_REQUEST", requestId));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The HTTP server (Fastify) without any route of a feature: request ids (a sane client
 * `X-Request-Id` is kept, else one is generated, and it is echoed on every response), CORS (any
 * origin, or only those of CORS_ORIGINS), a
 * bounded UTF-8 JSON body, `/healthz` and `/readyz`, a JSON 404, and JSON errors for requests that
 * cannot be taken in — never a 500 or a stack trace for a malformed request. The GraphQL route is
 * registered on it by `graphql/route.ts`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new RequestLogController({ requestIdLogLabel: "requestId" }),
    genReqId: requestIdFor,
    clientErrorHandler: answerClientError,
    bodyLimit: options.bodyLimitBytes,
    // A slow client (one byte a second) is answered 408 and cut once its headers, or its whole
    // request, take longer than allowed; the checks run every second (Node's default: 30 s).
    http: {
      headersTimeout: options.timeouts.headersTimeoutMs,
      requestTimeout: options.timeouts.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    requestTimeout: options.timeouts.requestTimeoutMs,
    keepAliveTimeout: options.timeouts.keepAliveTimeoutMs,
    routerOptions: { ignoreTrailingSlash: true },
    // Connections are closed by `App.close()` (drain, then a deadline); Fastify keeps serving
    // the requests in flight meanwhile.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  // While closing, answers in flight end their connection, so that a keep-alive client does not
  // hold the shutdown until the deadline.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });

  app.decorateRequest("requestLog", null as unknown as RequestLog);
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    request.requestLog = { method: request.method, path: request.url.split("?", 1)[0] };
    // A request URL is made of the Host and the path, so without a usable Host there is no
    // request to answer: a client error (the health checks excepted, for checkers that send no
    // Host at all, as HTTP/1.0 allows).
    if (!HEALTH_PATHS.has(request.requestLog.path) && !isUsableHost(request.headers.host)) {
      return reply
        .code(400)
        .send(
          errorBody(
            "The Host header is missing or malformed: send the server's name or address, with an optional port.",
            "BAD_REQUEST",
            request.id,
          ),
        );
    }
  });

  const { corsOrigins } = options;
  await app.register(cors, {
    methods: ["GET", "HEAD", "POST"],
    // Every OPTIONS request is answered as a preflight (204), as browsers expect of an API.
    strictPreflight: false,
    // A list: an origin on it gets its own name back (with Vary: Origin); any other origin, or
    // none, gets no CORS header at all, so a browser neither sends nor shows its requests.
    origin:
      corsOrigins === "*"
        ? "*"
        : (origin: string | undefined, callback: (error: null, allow: boolean) => void) =>
            callback(null, origin !== undefined && corsOrigins.includes(origin)),
  });

  // WebSocket upgrades (GraphQL subscriptions, see graphql/subscriptions.ts), with messages no
  // larger than a request body.
  await app.register(websocket, { options: { maxPayload: options.bodyLimitBytes } });

  // Only UTF-8 JSON is parsed; any other body is read (within the limit) and handed on empty, so
  // that GraphQL answers it with its own error (CSRF prevention, wrong content type).
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const charset = /;\s*charset=([^;\s]*)/i.exec(request.headers["content-type"] ?? "")?.[1];
    if (charset !== undefined && !/^"?utf-?8"?$/i.test(charset)) {
      return done(Object.assign(new Error("unsupported charset"), { code: "UNSUPPORTED_CHARSET" }));
    }
    parseJson(request, body as string, done);
  });
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, _body, done) =>
    done(null, undefined),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = describeRequestError(error);
    if (status >= 500) request.log.error({ err: error }, "unexpected error");
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      // Answered before the body was read: the connection ends with this answer (Fastify says so
      // too), but only after the rest of the body, within bounds, so that the client reads it.
      reply.header("connection", "close");
      closeAfterRestOfBody(request.raw);
    }
    return reply
      .code(status)
      .send(
        errorBody(message, status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST", request.id),
      );
  });

  app.setNotFoundHandler((request, reply) =>
    // A preflight the CORS plugin did not answer (its origin is not allowed) is still a
    // preflight: 204 as for any other, without the headers that would allow the request.
    request.method === "OPTIONS"
      ? reply.code(204).send()
      : reply
          .code(404)
          .send(errorBody("Not found. GraphQL is served at /graphql.", "NOT_FOUND", request.id)),
  );

  // Health checks: no credentials, no GraphQL.
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const { ready, reason } = await options.readiness().catch(() => ({
      ready: false,
      reason: undefined,
    }));
    return reply
      .code(ready ? 200 : 503)
      .send(ready ? { status: "ready" } : { status: "unavailable", reason });
  });

  return app;
}
