import "reflect-metadata";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, type ValidationRule } from "graphql";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { DataSource } from "typeorm";
import { AiService } from "./ai/ai.service";
import { AuditService } from "./audit/audit.service";
import { ApiKeyService } from "./auth/api-key.service";
import { Authenticator } from "./auth/authenticate";
import { JwtVerifier } from "./auth/jwt";
import type { Principal } from "./auth/principal";
import { CallStatusService } from "./statuses/call-status.service";
import { CallService } from "./calls/call.service";
import { LeadService } from "./leads/lead.service";
import { describeDatabase, type AppConfig } from "./config";
import { createDataSource, withoutQueryTimeout } from "./db/data-source";
import { onPrimary, readFromPrimary } from "./db/request-scope";
import { StatusCatalog } from "./statuses/status-catalog";
import {
  readsOnlyStatusLists,
  ResponseCache,
  type ResponseCandidate,
} from "./graphql/response-cache";
import {
  AppError,
  clientErrorCode,
  formatGraphQLError,
  isDatabaseUnavailable,
  UNAVAILABLE_MESSAGE,
} from "./common/errors";
import { Loaders, type GraphQLContext, type Services } from "./graphql/context";
import { createHttpHandler, GRAPHQL_PATH } from "./graphql/http-handler";
import { buildAppSchema } from "./graphql/schema";
import { LeadStatusService } from "./statuses/lead-status.service";
import { createLogger, type Logger } from "./logger";

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement (tests count statements with it). */
  onQuery?: (sql: string) => void;
}

export interface App {
  /** Outside production, the ADMIN key created at start on a database without keys; else null. */
  bootstrapKey: string | null;
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  services: Services;
  /** The HTTP server, not yet listening. */
  httpServer: http.Server;
  /** Starts listening; resolves to the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, ends open connections, closes the database. */
  close(): Promise<void>;
}

/** A database problem at start-up, with a message fit for one log line. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

/** Logs unexpected errors, puts the request id on every error, and notes the operation for the request log. */
function requestPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
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
          const candidate = contextValue?.responseCandidate;
          if (
            candidate &&
            document &&
            operation &&
            response.body.kind === "single" &&
            !response.body.singleResult.errors &&
            readsOnlyStatusLists(document, operation)
          ) {
            candidate.reusable = true;
            candidate.operationName = contextValue.log.operation;
          }
          if (
            contextValue &&
            response.body.kind === "single" &&
            response.body.singleResult.errors
          ) {
            contextValue.log.errorCodes = response.body.singleResult.errors.map((e) =>
              String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"),
            );
          }
          // Every error carries the request id, so a client can quote it when reporting a problem.
          if (response.body.kind !== "single" || !response.body.singleResult.errors) return;
          // Nothing could be answered because the database is away: say so at the HTTP level too
          // (load balancers and retrying clients look at the status), as the auth phase does.
          const { data, errors } = response.body.singleResult;
          if (
            (data === null || data === undefined) &&
            errors.some((error) => error.extensions?.code === "SERVICE_UNAVAILABLE")
          ) {
            response.http.status = 503;
            response.http.headers.set("retry-after", "5");
          }
          const requestId = contextValue?.requestId;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({
            ...error,
            extensions: { ...error.extensions, requestId },
          }));
        },
      };
    },
  };
}

/** The schema has no subscriptions: say so during validation, not as a failure to execute. */
const NoSubscriptions: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === "subscription") {
      context.reportError(
        new GraphQLError("Subscriptions are not supported: use a query or a mutation.", {
          nodes: [node],
        }),
      );
    }
  },
});

/**
 * The principal of a request, or an UNAUTHENTICATED error that makes the whole response
 * HTTP 401 with a `WWW-Authenticate` challenge.
 */
async function authenticateRequest(
  authenticator: Authenticator,
  headers: IncomingHttpHeaders,
): Promise<Principal> {
  try {
    return await authenticator.authenticate(headers);
  } catch (error) {
    if (error instanceof AppError && error.code === "UNAUTHENTICATED") {
      throw new GraphQLError(error.message, {
        extensions: {
          code: "UNAUTHENTICATED",
          http: {
            status: 401,
            headers: new HeaderMap([["www-authenticate", 'Bearer realm="graphql"']]),
          },
        },
      });
    }
    // The key could not be checked: the whole request is unavailable, not failed (never a 500).
    if (isDatabaseUnavailable(error)) {
      throw new GraphQLError(UNAVAILABLE_MESSAGE, {
        extensions: {
          code: "SERVICE_UNAVAILABLE",
          http: { status: 503, headers: new HeaderMap([["retry-after", "5"]]) },
        },
      });
    }
    throw error;
  }
}

/** Ready when the database answers and no migration is pending. */
async function readiness(dataSource: DataSource): Promise<{ ready: boolean; reason?: string }> {
  try {
    await withTimeout(dataSource.query("SELECT 1"), 2000);
    if (await withTimeout(dataSource.showMigrations(), 2000)) {
      return { ready: false, reason: "migrations pending" };
    }
    return { ready: true };
  } catch {
    return { ready: false, reason: "database unreachable" };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Quick start outside production: one ADMIN key when none exists, printed once in the log. */
async function createBootstrapKey(services: Services, logger: Logger): Promise<string | null> {
  const key = await services.apiKeys.createBootstrapKeyIfNone();
  if (key) {
    const line =
      `No API key existed, so a development ADMIN key was created (shown only now): ${key} — ` +
      `in Apollo Sandbox open "Headers" and add X-Api-Key: ${key}`;
    // Shown even when LOG_LEVEL hides warnings (but not when it is "silent"): otherwise nobody
    // could ever use this key.
    if (logger.isLevelEnabled("warn")) logger.warn(line);
    else if (logger.level !== "silent") process.stderr.write(`${line}\n`);
  }

  return key;
}

async function connect(config: AppConfig, options: AppOptions, logger: Logger) {
  const where = describeDatabase(config.database);
  let dataSource: DataSource;
  try {
    dataSource = await createDataSource(config.database, { logger, onQuery: options.onQuery });
    await dataSource.initialize();
  } catch (error) {
    const detail = (error as { code?: string }).code ?? (error as Error).message;
    throw new StartupError(`cannot open the database (${where}): ${detail}`, { cause: error });
  }
  if (config.migrationsRun) {
    try {
      const applied = await withoutQueryTimeout(dataSource, () =>
        dataSource.runMigrations({ transaction: "each" }),
      );
      for (const migration of applied)
        logger.info({ migration: migration.name }, "migration applied");
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      throw new StartupError(`migrations failed on ${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return dataSource;
}

/** Builds the whole service — database, schema, GraphQL server, HTTP listener — without listening. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const dataSource = await connect(config, options, logger);

  try {
    return await assemble(config, logger, dataSource);
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

async function assemble(config: AppConfig, logger: Logger, dataSource: DataSource): Promise<App> {
  const catalog = new StatusCatalog(dataSource, config.statusCache);
  const leadStatuses = new LeadStatusService(dataSource, catalog);
  const callStatuses = new CallStatusService(dataSource, leadStatuses, catalog);
  const calls = new CallService(dataSource);
  const services: Services = {
    leadStatuses,
    callStatuses,
    leads: new LeadService(dataSource),
    calls,
    ai: new AiService(callStatuses, calls),
    audit: new AuditService(dataSource),
    apiKeys: new ApiKeyService(dataSource, {
      cacheSeconds: config.auth.apiKeyCacheSeconds,
      logger,
    }),
  };
  let jwt: JwtVerifier | undefined;
  try {
    jwt = config.auth.jwt ? new JwtVerifier(config.auth.jwt) : undefined;
  } catch (error) {
    throw new StartupError(`JWT_PUBLIC_KEY cannot be used: ${(error as Error).message}`);
  }
  const authenticator = new Authenticator(services.apiKeys, jwt);
  const bootstrapKey =
    config.nodeEnv === "production"
      ? null
      : await onPrimary(() => createBootstrapKey(services, logger));

  const limits = config.graphql;
  const armor = new ApolloArmor({
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
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildAppSchema(),
    formatError: formatGraphQLError,
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
      ...armor.plugins,
      requestPlugin(logger),
      // No cache hints are used; Apollo's cache-control plugin would still wrap every field
      // resolver to compute them. Responses say `Cache-Control: no-store` (requestPlugin).
      ApolloServerPluginCacheControlDisabled(),
      limits.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  // Responses of queries that read only the status lists, reused until the lists change.
  const responseCache = new ResponseCache(catalog);
  // What the stored-response lookup learnt about a request, for the GraphQL path to reuse.
  const pending = new WeakMap<
    IncomingMessage,
    { principal: Omit<Principal, "requestId">; candidate?: ResponseCandidate }
  >();

  const httpServer = http.createServer(
    createHttpHandler({
      apollo,
      bodyLimitBytes: limits.bodyLimitBytes,
      readiness: () => readiness(dataSource),
      responses: {
        lookup: async (req, body, log) => {
          // A failure here is reported by the GraphQL path, which authenticates again.
          const principal = await authenticateRequest(authenticator, req.headers).catch(
            () => undefined,
          );
          if (!principal) return undefined;
          const key = responseCache.keyOf(principal.role, req.headers.accept, body);
          pending.set(req, {
            principal,
            candidate: key ? responseCache.candidate(key) : undefined,
          });
          const stored = key ? responseCache.lookup(key) : undefined;
          if (!stored) return undefined;
          Object.assign(log, {
            role: principal.role,
            keyPrefix: principal.keyPrefix,
            operation: stored.operationName,
            cache: "hit",
          });
          return stored.answer;
        },
        offer: (req, status, answer) => {
          const candidate = pending.get(req)?.candidate;
          if (candidate) responseCache.store(candidate, status, answer);
        },
      },
      context: async (req, log) => {
        const known = pending.get(req);
        const principal = {
          ...(known?.principal ?? (await authenticateRequest(authenticator, req.headers))),
          requestId: log.requestId,
        };
        log.role = principal.role;
        log.keyPrefix = principal.keyPrefix;
        return {
          requestId: log.requestId,
          log,
          principal,
          services,
          loaders: new Loaders(services),
          responseCandidate: known?.candidate,
        };
      },
      onResponse: (log, status, durationMs) =>
        logger.info({ ...log, status, durationMs: Math.round(durationMs * 10) / 10 }, "request"),
      onUnexpectedError: (error, requestId) =>
        logger.error({ err: error, requestId }, "unexpected error"),
    }),
  );

  let closing: Promise<void> | undefined;
  return {
    bootstrapKey,
    config,
    logger,
    dataSource,
    services,
    httpServer,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          const address = httpServer.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}${GRAPHQL_PATH}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        // Stop accepting; let in-flight requests finish, for at most the shutdown timeout.
        await new Promise<void>((resolve) => {
          if (!httpServer.listening) return resolve();
          const force = setTimeout(() => {
            logger.warn("shutdown timeout reached: closing the remaining connections");
            httpServer.closeAllConnections();
          }, config.shutdownTimeoutSeconds * 1000);
          httpServer.close(() => {
            clearTimeout(force);
            resolve();
          });
          httpServer.closeIdleConnections();
        });
        await apollo.stop();
        if (dataSource.isInitialized) await dataSource.destroy();
      })();
      return closing;
    },
  };
}
