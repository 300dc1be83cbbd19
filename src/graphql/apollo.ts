import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { FastifyInstance } from "fastify";
import { GraphQLError, type GraphQLSchema, type ValidationRule } from "graphql";
import type { GraphqlConfig } from "../config";
import { readFromPrimary } from "../db/request-scope";
import type { Logger } from "../logger";
import type { RequestContext } from "./context";
import { clientErrorCode, errorFormatter } from "./errors";
import { isReusableOperation } from "./response-cache";
import { wellFormedUnicodePlugin } from "./well-formed-unicode";

export interface ApolloOptions {
  schema: GraphQLSchema;
  limits: GraphqlConfig;
  logger: Logger;
  /** The HTTP server Apollo drains when it stops. */
  http: FastifyInstance;
  /** How long requests in flight may take to finish when stopping, in ms; then they are cut. */
  drainTimeoutMs: number;
}

/**
 * Logs unexpected errors, puts the request id on every error, notes the operation and the error
 * codes for the request log, sends a mutation's reads to the primary, marks a response that may
 * be stored, and says `Cache-Control: no-store`.
 */
function requestPlugin(schema: GraphQLSchema, logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = clientErrorCode(error);
            const requestId = contextValue?.requestId;
            if (code === "INTERNAL_SERVER_ERROR") {
              logger.error({ err: error.originalError ?? error, requestId }, "unexpected error");
            } else if (code === "SERVICE_UNAVAILABLE") {
              logger.warn({ err: error.originalError?.message, requestId }, "database unavailable");
            }
          }
        },
        async didResolveOperation({ operationName, operation, contextValue }) {
          // A mutation reads what it writes: all its reads go to the primary, not a replica.
          if (operation?.operation === "mutation") readFromPrimary();
          if (contextValue) contextValue.log.operation = operationName ?? operation?.name?.value;
        },
        async willSendResponse({ response, contextValue, document, operation }) {
          // Answers depend on the caller's credential: never to be stored by a shared cache.
          response.http.headers.set("cache-control", "no-store");
          if (response.body.kind !== "single") return;
          const { data, errors } = response.body.singleResult;
          const candidate = contextValue?.responseCandidate;
          if (candidate && document && operation && !errors) {
            candidate.reusable = isReusableOperation(schema, document, operation);
            candidate.operationName = contextValue.log.operation;
          }
          if (!errors) return;
          if (contextValue) {
            contextValue.log.errorCodes = errors.map((e) =>
              String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"),
            );
          }
          // Nothing could be answered because the database is away: say so at the HTTP level too
          // (load balancers and retrying clients look at the status), as authentication does.
          if (
            (data === null || data === undefined) &&
            errors.some((error) => error.extensions?.code === "SERVICE_UNAVAILABLE")
          ) {
            response.http.status = 503;
            response.http.headers.set("retry-after", "5");
          }
          // Every error carries the request id, so a client can quote it when reporting a problem.
          const requestId = contextValue?.requestId;
          response.body.singleResult.errors = errors.map((error) => ({
            ...error,
            extensions: { ...error.extensions, requestId },
          }));
        },
      };
    },
  };
}

/**
 * Apollo's drain: when Apollo stops, the HTTP server stops accepting and requests in flight
 * finish (Apollo keeps executing them meanwhile), for at most `timeoutMs`; then the remaining
 * connections are cut.
 */
function drainPlugin(http: FastifyInstance, timeoutMs: number, logger: Logger): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          const force = setTimeout(() => {
            logger.warn("shutdown timeout reached: closing the remaining connections");
            http.server.closeAllConnections();
          }, timeoutMs);
          try {
            await http.close();
          } finally {
            clearTimeout(force);
          }
        },
      };
    },
  };
}

/** Over HTTP, a subscription is refused during validation, not as a failure to execute. */
const NoSubscriptions: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === "subscription") {
      context.reportError(
        new GraphQLError(
          "Subscriptions are served over WebSocket (protocol graphql-transport-ws), or as server-sent events to a request with Accept: text/event-stream, on this path.",
          {
            nodes: [node],
          },
        ),
      );
    }
  },
});

/**
 * The document limits (depth, aliases, directives, cost; field suggestions blocked when
 * introspection is off), for HTTP requests and subscriptions alike. Tokens are limited by
 * graphql-js's own parser (`maxTokens`).
 */
export function documentLimits(limits: GraphqlConfig) {
  return new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    // Tokens are limited by graphql-js's own parser (parseOptions below): armor's token plugin
    // turns a plain syntax error into an HTTP 500 on Apollo 5.
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost },
    // Suggestions would reveal the schema that turning introspection off hides.
    blockFieldSuggestion: { enabled: !limits.introspection },
  }).protect();
}

/**
 * The Apollo server: limits (depth, aliases, directives, cost, tokens), introspection and Sandbox
 * as configured, no batching, CSRF prevention, masked errors with stable codes.
 */
export async function createApolloServer<TContext extends RequestContext>(
  options: ApolloOptions,
): Promise<ApolloServer<TContext>> {
  const { limits, schema, logger } = options;
  const armor = documentLimits(limits);
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError: errorFormatter({ suggestions: limits.introspection }),
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: limits.introspection,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armor.validationRules, NoSubscriptions],
    // Automatic persisted queries are not offered (stored responses make repeats cheap): such a
    // request gets PERSISTED_QUERY_NOT_SUPPORTED instead of Apollo's code-less errors.
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT (stop accepting, drain, close the database, exit). Apollo's own
    // handler, installed in production, would stop Apollo first, and the service's later stop()
    // then never returns: on MySQL the open pool kept the process alive.
    stopOnTerminationSignals: false,
    plugins: [
      ...(armor.plugins as ApolloServerPlugin<TContext>[]),
      requestPlugin(schema, logger) as ApolloServerPlugin<TContext>,
      wellFormedUnicodePlugin(),
      drainPlugin(options.http, options.drainTimeoutMs, logger),
      // No cache hints are used; Apollo's cache-control plugin would still wrap every field
      // resolver to compute them. Responses say `Cache-Control: no-store` (requestPlugin).
      ApolloServerPluginCacheControlDisabled(),
      limits.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  return apollo;
}
