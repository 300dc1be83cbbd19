/**
 * GraphQL subscriptions over WebSocket (`graphql-ws`, protocol `graphql-transport-ws`) on the
 * GraphQL path. A connection authenticates once, in `connection_init` — credentials in its
 * payload (`X-Api-Key` or `Authorization`, as browsers cannot set WebSocket headers) or in the
 * upgrade request's headers — and again for each subscription it starts and every
 * `recheckMs` while it is open: a revoked key or an inactive account closes it within that time,
 * an expired token at its expiry. Each subscription runs in the caller's scope (its account) like
 * a request, with the same document limits and error masking as HTTP. Queries and mutations are
 * served over HTTP only.
 */
import type { IncomingHttpHeaders } from "node:http";
import { randomUUID } from "node:crypto";
import type { WebsocketHandler } from "@fastify/websocket";
import {
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from "graphql";
import { CloseCode, type ConnectionInitMessage } from "graphql-ws";
import { makeHandler } from "graphql-ws/use/@fastify/websocket";
import type { Logger } from "../logger";
import { withReadScope } from "../db/request-scope";
import type { RequestLog } from "../http/server";
import type { RequestContext } from "./context";
import { formatGraphQLError } from "./errors";

/** Limits of live subscriptions. */
export interface SubscriptionLimits {
  /** Subscriptions one connection may hold at once. */
  maxPerConnection: number;
  /** Subscriptions one credential (key or token subject) may hold at once on one instance. */
  maxPerCaller: number;
  /** How long a new connection may take to send `connection_init`. */
  connectionInitTimeoutMs: number;
  /** How often an open connection's credential is checked again. */
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
  /** When the caller's credential expires (ms since the epoch), if it does. */
  expiresAt: (caller: TCaller) => number | undefined;
  /** The GraphQL context of one subscription. */
  context: (base: RequestContext, caller: TCaller) => TContext;
  /** Runs work as the caller (inside its account's scope). */
  runAs: <T>(caller: TCaller, work: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

/** Closed when the connection's credential no longer holds (revoked, expired, account off). */
export const CREDENTIAL_ENDED = { code: CloseCode.Forbidden, reason: "Credential no longer valid" };

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
  subscriptions: Set<string>;
  timers: NodeJS.Timeout[];
}

/** The WebSocket handler of the GraphQL route. */
export function subscriptionHandler<TCaller, TContext extends RequestContext>(
  options: SubscriptionOptions<TCaller, TContext>,
): WebsocketHandler {
  const { limits, logger } = options;
  const connections = new WeakMap<object, Connection<TCaller>>();
  const perCaller = new Map<string, number>();
  /** How each subscription's work runs as its caller, by its context. */
  const runners = new WeakMap<object, Runner>();

  const release = (connection: Connection<TCaller>, id: string) => {
    if (!connection.subscriptions.delete(id)) return;
    const key = options.callerKey(connection.caller);
    const count = (perCaller.get(key) ?? 1) - 1;
    if (count > 0) perCaller.set(key, count);
    else perCaller.delete(key);
  };

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => formatGraphQLError(error.toJSON(), error));

  return makeHandler<ConnectionInitMessage["payload"], { connection?: Connection<TCaller> }>({
    schema: options.schema,
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
    onConnect: async (ctx) => {
      const headers = credentialHeaders(ctx.connectionParams, ctx.extra.request.headers);
      let caller: TCaller;
      try {
        caller = await options.authenticate(headers);
      } catch {
        return false;
      }
      const connection: Connection<TCaller> = {
        caller,
        headers,
        subscriptions: new Set(),
        timers: [],
      };
      connections.set(ctx, connection);
      const socket = ctx.extra.socket;
      const end = () => {
        logger.info(
          { requestId: ctx.extra.request.id },
          "live connection closed: its credential no longer holds",
        );
        socket.close(CREDENTIAL_ENDED.code, CREDENTIAL_ENDED.reason);
      };
      const recheck = setInterval(() => {
        options.authenticate(headers).then(
          (current) => (connection.caller = current),
          () => end(),
        );
      }, limits.recheckMs);
      connection.timers.push(recheck);
      const expiry = options.expiresAt(caller);
      if (expiry !== undefined) {
        // Node's timers hold at most 2^31 - 1 ms; tokens live far shorter (JWT_MAX_AGE_SECONDS).
        connection.timers.push(
          setTimeout(end, Math.min(Math.max(expiry - Date.now(), 0), 2 ** 31 - 1)),
        );
      }
      return true;
    },
    onClose: (ctx) => {
      const connection = connections.get(ctx);
      if (!connection) return;
      for (const timer of connection.timers) clearTimeout(timer);
      for (const id of [...connection.subscriptions]) release(connection, id);
    },
    onSubscribe: async (ctx, id, payload) => {
      const connection = connections.get(ctx);
      if (!connection)
        return [new GraphQLError("Not connected", { extensions: { code: "UNAUTHENTICATED" } })];
      // Checked again for every subscription: the credential may have been revoked since.
      try {
        connection.caller = await options.authenticate(connection.headers);
      } catch {
        ctx.extra.socket.close(CREDENTIAL_ENDED.code, CREDENTIAL_ENDED.reason);
        return [];
      }
      const refuse = (message: string, code = "BAD_REQUEST") => [
        new GraphQLError(message, { extensions: { code } }),
      ];
      if (connection.subscriptions.size >= limits.maxPerConnection) {
        return refuse(
          `At most ${limits.maxPerConnection} subscriptions per connection: complete one first.`,
          "TOO_MANY_SUBSCRIPTIONS",
        );
      }
      const key = options.callerKey(connection.caller);
      if ((perCaller.get(key) ?? 0) >= limits.maxPerCaller) {
        return refuse(
          `At most ${limits.maxPerCaller} subscriptions per credential: complete one first.`,
          "TOO_MANY_SUBSCRIPTIONS",
        );
      }
      return prepare(payload, connection, id, key);
    },
    subscribe: async (args) => {
      const run = runners.get(args.contextValue as object);
      if (!run) throw new Error("a subscription without its caller");
      const result = await run(async () => subscribe(args));
      return Symbol.asyncIterator in result ? runEachPull(result, run) : result;
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: format(result.errors) } : undefined,
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onComplete: (ctx, id) => {
      const connection = connections.get(ctx);
      if (connection) release(connection, id);
    },
  });

  function prepare(
    payload: {
      query: string;
      variables?: Record<string, unknown> | null;
      operationName?: string | null;
    },
    connection: Connection<TCaller>,
    id: string,
    key: string,
  ): ExecutionArgs | readonly GraphQLError[] {
    let document;
    try {
      document = parse(payload.query, { maxTokens: options.maxTokens });
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError("Syntax error")];
    }
    const problems = validate(options.schema, document, [
      ...specifiedRules,
      ...options.validationRules,
    ]);
    if (problems.length > 0) return problems;
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (operation?.operation !== "subscription") {
      return [
        new GraphQLError(
          "Only subscriptions are served over WebSocket: send queries and mutations over HTTP.",
          { extensions: { code: "BAD_REQUEST" } },
        ),
      ];
    }
    connection.subscriptions.add(id);
    perCaller.set(key, (perCaller.get(key) ?? 0) + 1);
    const log: RequestLog = {
      method: "WS",
      path: "subscription",
      operation: operation.name?.value,
    };
    const contextValue = options.context({ requestId: randomUUID(), log }, connection.caller);
    runners.set(contextValue, (work) =>
      options.runAs(connection.caller, () => withReadScope(work)),
    );
    return {
      schema: options.schema,
      document,
      variableValues: payload.variables ?? undefined,
      operationName: payload.operationName ?? undefined,
      contextValue,
    };
  }
}

type Runner = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * The event stream of a subscription, each pull run by `run` (as the caller, in a read scope of
 * its own): the events of a long subscription are executed like requests, one after another.
 */
function runEachPull<T>(stream: AsyncIterableIterator<T> | AsyncGenerator<T>, run: Runner) {
  const iterator: AsyncIterableIterator<T> = {
    next: () => run(() => stream.next()),
    return: async () =>
      stream.return ? stream.return(undefined) : { done: true as const, value: undefined },
    throw: async (error: unknown) => (stream.throw ? stream.throw(error) : Promise.reject(error)),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
