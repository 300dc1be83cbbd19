import type { ApolloServer } from "@apollo/server";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import type { WebsocketHandler } from "@fastify/websocket";
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  RouteOptions,
} from "fastify";
import { withReadScope } from "../db/request-scope";
import type { RequestContext } from "./context";
import type { ResponseCache, ResponseCandidate } from "./response-cache";

export const GRAPHQL_PATH = "/graphql";

/** Who is calling, as far as this layer needs to know (for the log and the stored responses). */
export interface Caller {
  role: string;
  keyPrefix?: string;
  /**
   * The partition of data the caller reads (its account), whose stored answers it may share with
   * callers of the same role; none: nothing is stored for it.
   */
  partition?: string;
}

export interface GraphQLRouteOptions<TCaller extends Caller, TContext extends RequestContext> {
  apollo: ApolloServer<TContext>;
  /** Establishes the caller from the request headers; rejects when it cannot. */
  authenticate: (request: FastifyRequest) => Promise<TCaller>;
  /**
   * The GraphQL context of one request, from its authentication (a rejected promise when the
   * request could not be authenticated: the context must then throw the error to answer with).
   */
  context: (
    base: RequestContext,
    caller: Promise<TCaller>,
    request: FastifyRequest,
  ) => Promise<TContext>;
  /** Subscriptions on the same path, over WebSocket and server-sent events (`subscriptions.ts`). */
  subscriptions?: {
    webSocket: WebsocketHandler;
    serverSentEvents: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  };
  /** Stored answers of reusable queries, served before GraphQL runs. */
  responses?: ResponseCache;
  /**
   * Runs the execution of a request for its caller (undefined when authentication failed), e.g.
   * inside the caller's data scope.
   */
  runAs?: <T>(caller: TCaller | undefined, work: () => Promise<T>) => Promise<T>;
}

/** What the hooks of one request learnt, for the handler and the response hook. */
interface Pending<TCaller> {
  caller: Promise<TCaller>;
  candidate?: ResponseCandidate;
}

function isJsonPost(request: FastifyRequest): boolean {
  return (
    request.method === "POST" &&
    /^application\/json\s*(;|$)/i.test(request.headers["content-type"] ?? "")
  );
}

/** A request for server-sent events (GraphQL over SSE), by its Accept header. */
function wantsEventStream(request: FastifyRequest): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(request.headers.accept ?? "");
}

/**
 * Apollo puts no request id on the errors it answers before any plugin runs (batching, CSRF,
 * unsupported method, authentication); they get it here, like every other error.
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

/**
 * GraphQL at `/graphql` through Apollo (`@as-integrations/fastify`). Each request is authenticated
 * once, in a hook: a stored answer of the same query for the same role is sent from there,
 * without parsing or executing anything; otherwise Apollo runs it with a context built from that
 * same authentication, inside the request's own read scope (replica or primary, see
 * `db/request-scope.ts`) and whatever scope `runAs` gives the caller (its account). Complete
 * answers are offered to the stored responses on the way out.
 */
export function registerGraphQLRoute<TCaller extends Caller, TContext extends RequestContext>(
  app: FastifyInstance,
  options: GraphQLRouteOptions<TCaller, TContext>,
): void {
  const pending = new WeakMap<FastifyRequest, Pending<TCaller>>();
  const handler = fastifyApolloHandler(options.apollo, {
    context: (request) => {
      const known = pending.get(request);
      const caller = known?.caller ?? options.authenticate(request);
      const base: RequestContext = {
        requestId: request.id,
        log: request.requestLog,
        responseCandidate: known?.candidate,
      };
      return options.context(base, caller, request);
    },
  });
  const responses = options.responses;

  const route = {
    url: GRAPHQL_PATH,
    preHandler: async (request, reply) => {
      const caller = options.authenticate(request);
      // Failures are answered by the context (or not at all, for the Sandbox page).
      caller.catch(() => undefined);
      const entry: Pending<TCaller> = { caller };
      pending.set(request, entry);
      const who = await caller.catch(() => undefined);
      if (!who) return;
      Object.assign(request.requestLog, { role: who.role, keyPrefix: who.keyPrefix });

      const { partition } = who;
      if (!responses || partition === undefined || !isJsonPost(request)) return;
      const key = responses.keyOf(partition, who.role, request.headers.accept, request.body);
      if (!key) return;
      // A failure to confirm is answered by the GraphQL path, which needs the data anyway.
      const stored = await responses.lookup(partition, key).catch(() => undefined);
      if (!stored) {
        entry.candidate = responses.candidate(partition, key);
        return;
      }
      Object.assign(request.requestLog, { operation: stored.operationName, cache: "hit" });
      reply.header("content-type", stored.answer.contentType);
      if (stored.answer.cacheControl) reply.header("cache-control", stored.answer.cacheControl);
      return reply.code(200).send(stored.answer.body);
    },
    handler: async (request, reply) => {
      // A subscription as server-sent events: graphql-sse answers it (its own authentication,
      // the caller's scope, the stream), whatever Apollo would make of the request.
      if (options.subscriptions && wantsEventStream(request)) {
        await options.subscriptions.serverSentEvents(request, reply);
        return reply;
      }
      const caller = await pending.get(request)?.caller.catch(() => undefined);
      const execute = async () => handler.call(app, request as never, reply as never);
      return withReadScope(() => (options.runAs ? options.runAs(caller, execute) : execute()));
    },
    onSend: async (request, reply, payload) => {
      if (typeof payload !== "string") return payload;
      const candidate = pending.get(request)?.candidate;
      if (candidate && responses) {
        responses.store(candidate, reply.statusCode, {
          body: Buffer.from(payload),
          contentType: String(reply.getHeader("content-type") ?? "application/json"),
          cacheControl: reply.getHeader("cache-control") as string | undefined,
        });
      }
      return reply.statusCode >= 400 ? withRequestId(payload, request.id) : payload;
    },
  } satisfies Omit<RouteOptions, "method" | "handler"> & { handler: RouteHandlerMethod };
  // GET serves Sandbox, GET queries and, on an upgrade, subscriptions over WebSocket
  // (@fastify/websocket lets only a GET route have a WebSocket handler).
  app.route({
    ...route,
    method: "GET",
    ...(options.subscriptions ? { wsHandler: options.subscriptions.webSocket } : {}),
  });
  app.route({ ...route, method: ["POST", "PUT", "PATCH", "DELETE"] });
}
