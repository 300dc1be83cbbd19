/**
 * GraphQL subscriptions on the GraphQL path, over two transports: WebSocket (`graphql-ws`,
 * protocol `graphql-transport-ws`) and server-sent events (`graphql-sse`, its "distinct
 * connections" mode: one POST or GET with `Accept: text/event-stream` per subscription).
 *
 * Both share one core (`LiveOperations`): a subscription is authenticated like a request — on
 * WebSocket in `connection_init` (credentials in its payload, as browsers cannot set WebSocket
 * headers, or in the upgrade's headers), on SSE from the request's headers — and checked again
 * every `recheckMs` while it runs: a revoked key or an inactive account ends it within that
 * time, an expired token at its expiry. It runs in the caller's scope (its account) like a
 * request, each event in a read scope of its own, with the document limits and the error
 * masking of HTTP. Only subscriptions are served this way: queries and mutations go over HTTP.
 */
import type { IncomingHttpHeaders } from "node:http";
import { randomUUID } from "node:crypto";
import type { WebsocketHandler } from "@fastify/websocket";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  GraphQLError,
  createSourceEventStream,
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from "graphql";
import { createHandler as createSseHandler } from "graphql-sse/lib/use/fastify";
import { CloseCode, type ConnectionInitMessage } from "graphql-ws";
import { makeHandler } from "graphql-ws/use/@fastify/websocket";
import type { Logger } from "../logger";
import { domainErrorOf } from "../db/errors";
import { withReadScope } from "../db/request-scope";
import { errorBody, type RequestLog } from "../http/server";
import type { RequestContext } from "./context";
import { formatGraphQLError } from "./errors";
import { isReusableDocument } from "./response-cache";

/** Limits of live subscriptions. */
export interface SubscriptionLimits {
  /** Subscriptions one WebSocket connection may hold at once. */
  maxPerConnection: number;
  /** Subscriptions one credential (key or token subject) may hold at once on one instance. */
  maxPerCaller: number;
  /** How long a new WebSocket connection may take to send `connection_init`. */
  connectionInitTimeoutMs: number;
  /** How often a running subscription's credential is checked again. */
  recheckMs: number;
}

export interface SubscriptionOptions<TCaller, TContext extends RequestContext> {
  schema: GraphQLSchema;
  limits: SubscriptionLimits;
  /** The document limits of HTTP requests (depth, aliases, cost, …), applied alike. */
  validationRules: readonly ValidationRule[];
  /** Tokens a document may have. */
  maxTokens: number;
  /** Establishes the caller from credential headers; rejects when it cannot. */
  authenticate: (headers: IncomingHttpHeaders) => Promise<TCaller>;
  /** Who a caller is, for the per-caller limit. */
  callerKey: (caller: TCaller) => string;
  /**
   * What, besides the event and the document, the answer of a document made only of
   * `@Reusable()` fields depends on (the caller's account and role), or undefined when its
   * answers are never shared. Subscribers with one scope, one document and one event get one
   * execution of it.
   */
  shareScope: (caller: TCaller) => string | undefined;
  /** When the caller's credential expires (ms since the epoch), if it does. */
  expiresAt: (caller: TCaller) => number | undefined;
  /** The GraphQL context of one subscription. */
  context: (base: RequestContext, caller: TCaller) => TContext;
  /** Runs work as the caller (inside its account's scope). */
  runAs: <T>(caller: TCaller, work: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

/** WebSocket close when the connection's credential no longer holds (revoked, expired, off). */
export const CREDENTIAL_ENDED = { code: CloseCode.Forbidden, reason: "Credential no longer valid" };

type Runner = <T>(work: () => Promise<T>) => Promise<T>;

interface Operation {
  run: Runner;
  /** Subscriptions with this key share the execution of each event (see `shareScope`). */
  shareKey?: string;
  /** Ends the operation's event stream (its subscriber is then told it completed). */
  end?: () => void;
  stopWatching: () => void;
  release: () => void;
}

interface OperationPayload {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

function requestError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** True when authentication refused the credential (rather than could not check it). */
function isRefusal(error: unknown): boolean {
  return domainErrorOf(error)?.code === "UNAUTHENTICATED";
}

/** A parse or validation error with the code Apollo gives such errors over HTTP. */
function withCode(error: unknown, code: string): GraphQLError {
  if (!(error instanceof GraphQLError)) return requestError("Invalid document", code);
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code },
  });
}

export function formatErrors(errors: readonly GraphQLError[]) {
  return errors.map((error) => formatGraphQLError(error.toJSON(), error));
}

/** What both transports do with a subscription: check it, run it as its caller, watch its credential. */
class LiveOperations<TCaller, TContext extends RequestContext> {
  private readonly perCaller = new Map<string, number>();
  private readonly operations = new WeakMap<object, Operation>();
  /** Those running now (for `endAll`). */
  private readonly running = new Set<Operation>();

  constructor(private readonly options: SubscriptionOptions<TCaller, TContext>) {}

  /** Refusals before a document is read: the per-caller limit. */
  overLimit(caller: TCaller): GraphQLError | undefined {
    const max = this.options.limits.maxPerCaller;
    if ((this.perCaller.get(this.options.callerKey(caller)) ?? 0) < max) return undefined;
    return requestError(
      `At most ${max} subscriptions per credential: complete one first.`,
      "TOO_MANY_SUBSCRIPTIONS",
    );
  }

  /**
   * The execution of `payload` for `caller` — or why it is refused. `onCredentialEnd` is called
   * when the credential (checked again from `headers`) no longer holds.
   */
  prepare(
    payload: OperationPayload,
    caller: TCaller,
    headers: IncomingHttpHeaders,
    method: string,
    onCredentialEnd: () => void,
  ): ExecutionArgs | readonly GraphQLError[] {
    const { options } = this;
    let document;
    try {
      document = parse(payload.query, { maxTokens: options.maxTokens });
    } catch (error) {
      return [withCode(error, "GRAPHQL_PARSE_FAILED")];
    }
    const problems = validate(options.schema, document, [
      ...specifiedRules,
      ...options.validationRules,
    ]);
    if (problems.length > 0) return problems.map((e) => withCode(e, "GRAPHQL_VALIDATION_FAILED"));
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (operation?.operation !== "subscription") {
      return [
        requestError(
          "Only subscriptions are served as a live stream: send queries and mutations as plain HTTP requests.",
          "BAD_REQUEST",
        ),
      ];
    }
    const key = options.callerKey(caller);
    this.perCaller.set(key, (this.perCaller.get(key) ?? 0) + 1);
    const shareKey = this.shareKeyOf(payload, document, caller);
    const log: RequestLog = { method, path: "subscription", operation: operation.name?.value };
    const contextValue = options.context({ requestId: randomUUID(), log }, caller);
    let released = false;
    const entry: Operation = {
      run: (work) => options.runAs(caller, () => withReadScope(work)),
      shareKey,
      stopWatching: this.watchCredential(caller, headers, () => {
        entry.end?.();
        onCredentialEnd();
      }),
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(entry);
        entry.stopWatching();
        const count = (this.perCaller.get(key) ?? 1) - 1;
        if (count > 0) this.perCaller.set(key, count);
        else this.perCaller.delete(key);
      },
    };
    this.operations.set(contextValue, entry);
    this.running.add(entry);
    return {
      schema: options.schema,
      document,
      variableValues: payload.variables ?? undefined,
      operationName: payload.operationName ?? undefined,
      contextValue,
    };
  }

  /**
   * graphql-js `subscribe`, as the caller, each event pulled and executed in the caller's scope
   * — an execution shared with every subscriber of the same key and event (`shareKey`).
   */
  async subscribe(args: ExecutionArgs) {
    const entry = this.operations.get(args.contextValue as object);
    if (!entry) throw new Error("a subscription without its caller");
    const source = await entry.run(async () => createSourceEventStream(args));
    if (!(Symbol.asyncIterator in source)) return source;
    const stream = source as AsyncIterableIterator<unknown>;
    const close = () =>
      stream.return?.(undefined) ?? Promise.resolve({ done: true, value: undefined });
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const pulled = await entry.run(() => stream.next());
        if (pulled.done) return { done: true, value: undefined };
        try {
          const value = await entry.run(async () =>
            this.execute(args, entry.shareKey, pulled.value),
          );
          return { done: false, value };
        } catch (error) {
          await close();
          throw error;
        }
      },
      return: async () => {
        await close();
        return { done: true, value: undefined };
      },
      throw: async (error: unknown) => {
        await close();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    entry.end = () => void close();
    return iterator;
  }

  /**
   * Executions of one event, by share key: the first subscriber of a key to pull an event
   * executes it, the others get the same answer. Kept as long as the event is.
   */
  private readonly shared = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  /** The answer to one event: `args`' document executed with `event` as its root value. */
  private execute(
    args: ExecutionArgs,
    shareKey: string | undefined,
    event: unknown,
  ): Promise<ExecutionResult> {
    const run = async () => execute({ ...args, rootValue: event });
    if (shareKey === undefined || typeof event !== "object" || event === null) return run();
    let answers = this.shared.get(event);
    if (!answers) {
      answers = new Map();
      this.shared.set(event, answers);
    }
    let answer = answers.get(shareKey);
    if (!answer) {
      answer = run();
      answers.set(shareKey, answer);
    }
    return answer;
  }

  /**
   * The key under which `payload`'s executions are shared (see `shareScope`): its caller's
   * scope and the request itself, or undefined when they are not shared.
   */
  private shareKeyOf(
    payload: OperationPayload,
    document: DocumentNode,
    caller: TCaller,
  ): string | undefined {
    const scope = this.options.shareScope(caller);
    if (scope === undefined || !isReusableDocument(this.options.schema, document)) return undefined;
    try {
      return JSON.stringify([
        scope,
        payload.operationName ?? null,
        payload.variables ?? null,
        payload.query,
      ]);
    } catch {
      // Variables nested too deeply to encode: executed for this subscriber alone.
      return undefined;
    }
  }

  /** Ends every running subscription (the service is shutting down). */
  endAll(): void {
    for (const entry of [...this.running]) {
      entry.end?.();
      entry.release();
    }
  }

  /** After the operation ended, however it ended. */
  completed(contextValue: unknown): void {
    const entry = this.operations.get(contextValue as object);
    entry?.release();
  }

  /**
   * The credentials of running subscriptions, each checked by one timer however many
   * subscriptions use it (a fleet of wrap-up forms may share one key): credential → watch.
   */
  private readonly credentials = new Map<string, CredentialWatch>();

  /**
   * Calls `end` when the credential in `headers` no longer holds — checked every `recheckMs`
   * and at its expiry, once for all subscriptions that use it; answers how to stop watching.
   */
  private watchCredential(caller: TCaller, headers: IncomingHttpHeaders, end: () => void) {
    const { options } = this;
    const key = JSON.stringify([
      options.callerKey(caller),
      headers["x-api-key"] ?? null,
      headers.authorization ?? null,
    ]);
    let watch = this.credentials.get(key);
    if (!watch) {
      const enders = new Set<() => void>();
      const finish = () => {
        if (this.credentials.get(key) === created) this.credentials.delete(key);
        stop();
        options.logger.info(
          { subscriptions: enders.size },
          "live subscriptions ended: their credential no longer holds",
        );
        for (const each of [...enders]) each();
        enders.clear();
      };
      // Only a refused credential ends them: a check that could not be made (the database is
      // unreachable for a moment) is made again at the next interval.
      const recheck = setInterval(() => {
        options.authenticate(headers).then(
          () => undefined,
          (error: unknown) => isRefusal(error) && finish(),
        );
      }, options.limits.recheckMs);
      const expiry = options.expiresAt(caller);
      // Node's timers hold at most 2^31 - 1 ms; tokens live far shorter (JWT_MAX_AGE_SECONDS).
      const expires =
        expiry === undefined
          ? undefined
          : setTimeout(finish, Math.min(Math.max(expiry - Date.now(), 0), 2 ** 31 - 1));
      const stop = () => {
        clearInterval(recheck);
        if (expires) clearTimeout(expires);
      };
      const created: CredentialWatch = { enders, stop };
      watch = created;
      this.credentials.set(key, watch);
    }
    const current = watch;
    // Its own function: one `end` given twice is two subscriptions.
    const own = () => end();
    current.enders.add(own);
    return () => {
      if (!current.enders.delete(own) || current.enders.size > 0) return;
      current.stop();
      if (this.credentials.get(key) === current) this.credentials.delete(key);
    };
  }
}

/** One credential's watch: what to call when it ends, and how to stop its timers. */
interface CredentialWatch {
  enders: Set<() => void>;
  stop: () => void;
}

/** The credential headers a `connection_init` payload carries, any case of their names. */
function credentialHeaders(
  payload: ConnectionInitMessage["payload"],
  upgrade: IncomingHttpHeaders,
): IncomingHttpHeaders {
  const given: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(payload ?? {})) {
    const lower = name.toLowerCase();
    if ((lower === "x-api-key" || lower === "authorization") && typeof value === "string") {
      given[lower] = value;
    }
  }
  if (given["x-api-key"] || given.authorization) return given;
  return { "x-api-key": upgrade["x-api-key"], authorization: upgrade.authorization };
}

interface Connection<TCaller> {
  caller: TCaller;
  headers: IncomingHttpHeaders;
  /** The contexts of its running subscriptions, by operation id. */
  subscriptions: Map<string, object>;
}

/** Both transports' handlers, for the GraphQL route. */
export function subscriptionTransports<TCaller, TContext extends RequestContext>(
  options: SubscriptionOptions<TCaller, TContext>,
): {
  webSocket: WebsocketHandler;
  serverSentEvents: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Ends every running subscription, so that a shutdown need not wait for long-lived streams. */
  endAll: () => void;
} {
  const live = new LiveOperations(options);
  const sse = sseHandler(options, live);
  return {
    webSocket: webSocketHandler(options, live),
    serverSentEvents: async (request, reply) => {
      const problem = eventStreamRequestProblem(request);
      if (problem) {
        await reply.code(400).send(errorBody(problem, "BAD_REQUEST", request.id));
        return;
      }
      // graphql-sse writes the answer itself (the event stream), past Fastify's reply.
      reply.hijack();
      await sse(request, reply);
    },
    endAll: () => live.endAll(),
  };
}

function webSocketHandler<TCaller, TContext extends RequestContext>(
  options: SubscriptionOptions<TCaller, TContext>,
  live: LiveOperations<TCaller, TContext>,
): WebsocketHandler {
  const connections = new WeakMap<object, Connection<TCaller>>();
  const endConnection = (socket: { close(code: number, reason: string): void }) =>
    socket.close(CREDENTIAL_ENDED.code, CREDENTIAL_ENDED.reason);

  return makeHandler<ConnectionInitMessage["payload"], Record<PropertyKey, never>>({
    schema: options.schema,
    connectionInitWaitTimeout: options.limits.connectionInitTimeoutMs,
    onConnect: async (ctx) => {
      const headers = credentialHeaders(ctx.connectionParams, ctx.extra.request.headers);
      try {
        const caller = await options.authenticate(headers);
        connections.set(ctx, { caller, headers, subscriptions: new Map() });
        return true;
      } catch (error) {
        // Refused: closed 4403 Forbidden. Not checkable now (the database is unreachable):
        // thrown, so closed 4500 — the client may try again.
        if (isRefusal(error)) return false;
        throw new Error("The credential cannot be checked now; try again shortly.");
      }
    },
    onClose: (ctx) => {
      for (const contextValue of connections.get(ctx)?.subscriptions.values() ?? []) {
        live.completed(contextValue);
      }
    },
    onSubscribe: async (ctx, id, payload) => {
      const connection = connections.get(ctx);
      if (!connection) return [requestError("Not connected", "UNAUTHENTICATED")];
      // Checked again for every subscription: the credential may have been revoked since.
      try {
        connection.caller = await options.authenticate(connection.headers);
      } catch (error) {
        if (!isRefusal(error)) {
          return [
            requestError(
              "The credential cannot be checked now; try again shortly.",
              "SERVICE_UNAVAILABLE",
            ),
          ];
        }
        endConnection(ctx.extra.socket);
        return [];
      }
      if (connection.subscriptions.size >= options.limits.maxPerConnection) {
        return [
          requestError(
            `At most ${options.limits.maxPerConnection} subscriptions per connection: complete one first.`,
            "TOO_MANY_SUBSCRIPTIONS",
          ),
        ];
      }
      const refused = live.overLimit(connection.caller);
      if (refused) return [refused];
      const prepared = live.prepare(payload, connection.caller, connection.headers, "WS", () =>
        endConnection(ctx.extra.socket),
      );
      if (!Array.isArray(prepared)) {
        connection.subscriptions.set(id, (prepared as ExecutionArgs).contextValue as object);
      }
      return prepared;
    },
    subscribe: (args) => live.subscribe(args),
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined,
    onError: (_ctx, _id, _payload, errors) => formatErrors(errors),
    onComplete: (ctx, id) => {
      const connection = connections.get(ctx);
      const contextValue = connection?.subscriptions.get(id);
      if (!connection || !contextValue) return;
      connection.subscriptions.delete(id);
      live.completed(contextValue);
    },
  });
}

/**
 * Why a request for an event stream cannot be one, or undefined: a POST of a JSON object with a
 * `query` (and optional `variables` and `operationName`), as for any GraphQL request. Checked
 * before graphql-sse sees it, so that every refusal has the service's error shape.
 */
function eventStreamRequestProblem(request: FastifyRequest): string | undefined {
  if (request.method !== "POST") return "An event stream is requested with a POST.";
  const body = request.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return "Send a JSON object with the subscription in `query`.";
  }
  if (typeof body.query !== "string" || body.query.trim() === "") {
    return "`query` must hold the subscription.";
  }
  const { variables, operationName, extensions } = body;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) {
    return "`variables` must be an object.";
  }
  if (extensions != null && (typeof extensions !== "object" || Array.isArray(extensions))) {
    return "`extensions` must be an object.";
  }
  if (operationName != null && typeof operationName !== "string") {
    return "`operationName` must be a string.";
  }
  return undefined;
}

/**
 * A JSON error answer (status and body) in the shape of every HTTP error, with the request's id
 * (the event stream's answers are written past Fastify's reply, so its hook does not add it).
 */
function errorResponse(
  request: FastifyRequest,
  status: number,
  statusText: string,
  errors: readonly GraphQLError[],
  headers: Record<string, string> = {},
) {
  const body = {
    errors: formatErrors(errors).map((error) => ({
      ...error,
      extensions: { ...error.extensions, requestId: request.id },
    })),
  };
  return [
    JSON.stringify(body),
    {
      status,
      statusText,
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
    },
  ] as [string, { status: number; statusText: string; headers: Record<string, string> }];
}

function sseHandler<TCaller, TContext extends RequestContext>(
  options: SubscriptionOptions<TCaller, TContext>,
  live: LiveOperations<TCaller, TContext>,
) {
  return createSseHandler<Record<PropertyKey, unknown>>({
    schema: options.schema,
    // "Distinct connections" only: each stream is one request with its own credentials.
    authenticate: () => null,
    onSubscribe: async (req, params) => {
      const request = req.raw as FastifyRequest;
      const headers = request.headers;
      let caller: TCaller;
      try {
        caller = await options.authenticate(headers);
      } catch (error) {
        if (!isRefusal(error)) {
          return errorResponse(
            request,
            503,
            "Service Unavailable",
            [
              requestError(
                "The credential cannot be checked now; try again shortly.",
                "SERVICE_UNAVAILABLE",
              ),
            ],
            { "retry-after": "5" },
          );
        }
        const message = domainErrorOf(error)?.message ?? "Authentication required.";
        return errorResponse(
          request,
          401,
          "Unauthorized",
          [requestError(message, "UNAUTHENTICATED")],
          { "www-authenticate": 'Bearer realm="graphql"' },
        );
      }
      const refused = live.overLimit(caller);
      if (refused) return errorResponse(request, 429, "Too Many Requests", [refused]);
      const prepared = live.prepare(
        {
          query: params.query as string,
          variables: params.variables,
          operationName: params.operationName,
        },
        caller,
        headers,
        "SSE",
        () => undefined,
      );
      if (Array.isArray(prepared))
        return errorResponse(request, 400, "Bad Request", prepared as GraphQLError[]);
      return prepared as ExecutionArgs as never;
    },
    subscribe: (args) => live.subscribe(args as ExecutionArgs),
    onNext: (_ctx, _req, result) =>
      "errors" in result && result.errors
        ? ({ ...result, errors: formatErrors(result.errors) } as unknown as ExecutionResult)
        : undefined,
    onComplete: (ctx) => live.completed(ctx),
  });
}
