/**
 * The composition root: the one place that lists the feature modules and wires them to the
 * infrastructure (database, HTTP, GraphQL). Each feature declares what it brings in its own
 * `<feature>.module.ts`; adding a feature is its folder plus one line in `FEATURES`. It builds
 * the whole service without listening; `main.ts` listens, tests start it on a port of their own.
 */
import "reflect-metadata";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import type { GraphQLSchema } from "graphql";
import { DataSource } from "typeorm";
import { MIGRATIONS } from "../migrations";
import { accessModule } from "./access/access.module";
import type { CallerContext } from "./access/caller";
import type { Principal } from "./access/principal";
import { accountsModule } from "./accounts/accounts.module";
import { aiModule } from "./ai/ai.module";
import { auditModule } from "./audit/audit.module";
import { ApiKeyService } from "./auth/api-key.service";
import { authModule } from "./auth/auth.module";
import { Authenticator } from "./auth/authenticate";
import { callsModule } from "./calls/calls.module";
import { ChangeLog } from "./changes/change-log";
import { ChangeSequencer } from "./changes/change-sequencer";
import { changesModule } from "./changes/changes.module";
import { Container } from "./common/container";
import { StartupError } from "./common/errors";
import type { FeatureModule } from "./common/feature-module";
import { APP_CONFIG, describeDatabase, type AppConfig, type DatabaseConfig } from "./config";
import {
  clusterInfo,
  createDataSource,
  runPendingMigrations,
  type DataSourceHooks,
  type DatabaseModel,
} from "./db/data-source";
import { asBackgroundJob } from "./db/background";
import { readiness } from "./db/health";
import { onPrimary } from "./db/request-scope";
import { acrossAccounts, inAccount } from "./db/account-scope";
import { createApolloServer, documentLimits } from "./graphql/apollo";
import { subscriptionTransports } from "./graphql/subscriptions";
import { authenticationFailure } from "./graphql/errors";
import { ResponseCache } from "./graphql/response-cache";
import { GRAPHQL_PATH, registerGraphQLRoute } from "./graphql/route";
import { buildGraphQLSchema } from "./graphql/schema";
import { EVENT_BUS, InProcessBus, type EventBus } from "./events/event-bus";
import { RedisBus } from "./events/redis-bus";
import { createHttpServer } from "./http/server";
import { leadsModule } from "./leads/leads.module";
import { createLogger, LOGGER, type Logger } from "./logger";
import { StatusCatalogs } from "./statuses/status-catalog";
import { statusesModule } from "./statuses/statuses.module";
import { WebhookDispatcher } from "./webhooks/webhook-dispatcher";
import { WebhookRepository } from "./webhooks/webhook.repository";
import { webhooksModule } from "./webhooks/webhooks.module";

/**
 * The features, in the order of their chain: each may import only those before it (checked by
 * the lint, see eslint.config.mjs). The order here is also the order they are wired in.
 */
export const FEATURES: readonly FeatureModule[] = [
  accessModule,
  auditModule,
  changesModule,
  statusesModule,
  leadsModule,
  callsModule,
  aiModule,
  webhooksModule,
  accountsModule,
  authModule,
];

/** The tables and their history. */
export const DATABASE_MODEL: DatabaseModel = {
  entities: FEATURES.flatMap((feature) => feature.entities ?? []) as DatabaseModel["entities"],
  migrations: MIGRATIONS,
};

/** The service's database (not yet connected): for the command-line tools and tests. */
export function createAppDataSource(
  db: DatabaseConfig,
  hooks: DataSourceHooks = {},
): Promise<DataSource> {
  return createDataSource(db, DATABASE_MODEL, hooks);
}

let schema: Promise<GraphQLSchema> | undefined;

/** The executable schema, built once per process from the resolvers' decorators. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  const resolvers = FEATURES.flatMap((feature) => feature.resolvers ?? []);
  schema ??= buildGraphQLSchema({
    resolvers: resolvers as [(typeof resolvers)[number], ...typeof resolvers],
    queryDescription:
      "Reading call statuses, lead statuses, leads, calls, API keys and the audit trail of the caller's account; accounts (PLATFORM).",
    subscriptionDescription:
      "Live changes of the caller's account, over WebSocket (graphql-transport-ws) or server-sent events on the GraphQL path: the status lists whole after each change that alters what the caller sees, and leads with the calls recorded for them.",
    mutationDescription:
      "Managing call statuses, lead statuses and API keys, creating leads and recording call results, in the caller's account; managing accounts (PLATFORM). Statuses are never deleted: hide a call status by turning its visibility off.",
  });
  return schema;
}

/**
 * The app's services: a container holding the infrastructure (configuration, logger, database)
 * and every feature's providers, each made on first use. The command-line tools use it too.
 */
export function createContainer(
  config: AppConfig,
  logger: Logger,
  dataSource: DataSource,
  bus: EventBus = new InProcessBus(),
): Container {
  const container = new Container()
    .value(APP_CONFIG, config)
    .value(LOGGER, logger)
    .value(DataSource, dataSource)
    .value(EVENT_BUS, bus);
  for (const feature of FEATURES) {
    for (const provider of feature.providers ?? []) container.register(provider);
  }
  return container;
}

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement of requests (tests count statements with it). */
  onQuery?: (sql: string, parameters?: readonly unknown[]) => void;
}

export interface App {
  /** Outside production, the ADMIN key created at start on a database without keys; else null. */
  bootstrapKey: string | null;
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  /** The app's services (`container.get(ApiKeyService)`), as the feature modules made them. */
  container: Container;
  /** The HTTP framework instance, routes registered, not yet listening. */
  http: FastifyInstance;
  /** Its node:http server. */
  httpServer: Server;
  /** Starts listening; resolves to the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish (within the shutdown timeout), closes the event bus and the database. */
  close(): Promise<void>;
}

/** Quick start outside production: one ADMIN key when none exists, printed once in the log. */
async function createBootstrapKey(apiKeys: ApiKeyService, logger: Logger): Promise<string | null> {
  const key = await apiKeys.createBootstrapKeyIfNone();
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
    dataSource = await createAppDataSource(config.database, { logger, onQuery: options.onQuery });
    await dataSource.initialize();
  } catch (error) {
    const detail = (error as { code?: string }).code ?? (error as Error).message;
    throw new StartupError(`cannot open the database (${where}): ${detail}`, { cause: error });
  }
  const cluster = clusterInfo(dataSource);
  if (cluster?.galera) {
    logger.info(
      { causalReads: cluster.causalReads },
      "the database is a node of a Galera cluster (multi-primary)",
    );
  }
  if (config.migrationsRun) {
    try {
      const applied = await runPendingMigrations(dataSource);
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

/** How often each instance deletes the change log entries past `CHANGE_LOG_RETENTION_DAYS`. */
export const CHANGE_LOG_PRUNE_INTERVAL_MS = 3600_000;

/**
 * The change log is bounded by age: about once an hour (the first time a minute after start),
 * every instance deletes the entries older than the retention — and the webhook deliveries done
 * before then — in short batches. Several
 * instances doing it at once only find less to delete.
 */
function pruneChangeLogRegularly(
  changes: ChangeLog,
  deliveries: WebhookRepository,
  config: AppConfig,
  logger: Logger,
): () => void {
  const prune = () => {
    const cutoff = new Date(Date.now() - config.changes.retentionDays * 86_400_000);
    asBackgroundJob("change-log-prune", () => changes.pruneBefore(cutoff)).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted, cutoff }, "change log: old entries deleted");
      },
      (error: unknown) =>
        logger.warn({ err: error }, "change log: pruning failed, tried again later"),
    );
    // Webhook deliveries done are kept as long as their events.
    asBackgroundJob("webhook-deliveries-prune", () =>
      deliveries.pruneCompletedBefore(cutoff.getTime()),
    ).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted, cutoff }, "webhooks: old deliveries deleted");
      },
      (error: unknown) =>
        logger.warn({ err: error }, "webhooks: pruning deliveries failed, tried again later"),
    );
  };
  const first = setTimeout(prune, 60_000);
  first.unref();
  const timer = setInterval(prune, CHANGE_LOG_PRUNE_INTERVAL_MS);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

/**
 * The bus between the instances: Redis pub/sub with `REDIS_URL`, else this process only. An
 * unreachable Redis does not stop the start: this waits for the first attempt to connect
 * only, and the bus goes on trying (`/readyz` says so meanwhile).
 */
async function openEventBus(config: AppConfig, logger: Logger): Promise<EventBus> {
  const { redisUrl, channelPrefix } = config.events;
  if (!redisUrl) return new InProcessBus();
  const bus = new RedisBus(redisUrl, logger, { channelPrefix });
  await bus.started;
  return bus;
}

/** Ready when the database is (see db/health.ts) and the event bus delivers. */
async function serviceReadiness(
  dataSource: DataSource,
  bus: EventBus,
): Promise<{ ready: boolean; reason?: string }> {
  const database = await readiness(dataSource);
  if (!database.ready || bus.healthy) return database;
  return { ready: false, reason: bus.problem ?? "event bus unavailable" };
}

/** Builds the whole service — database, schema, GraphQL server, HTTP server — without listening. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const dataSource = await connect(config, options, logger);
  let bus: EventBus | undefined;
  try {
    bus = await openEventBus(config, logger);
    return await assemble(config, logger, dataSource, bus);
  } catch (error) {
    await bus?.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  config: AppConfig,
  logger: Logger,
  dataSource: DataSource,
  bus: EventBus,
): Promise<App> {
  const container = createContainer(config, logger, dataSource, bus);
  const authenticator = container.get(Authenticator);
  const bootstrapKey =
    config.nodeEnv === "production"
      ? null
      : await onPrimary(() => createBootstrapKey(container.get(ApiKeyService), logger));

  const http = await createHttpServer({
    logger,
    bodyLimitBytes: config.graphql.bodyLimitBytes,
    timeouts: config.http,
    corsOrigins: config.cors.origins,
    readiness: () => serviceReadiness(dataSource, bus),
  });
  const schema = await buildAppSchema();
  const runAs = <T>(principal: Principal | undefined, work: () => Promise<T>): Promise<T> =>
    principal?.accountId
      ? inAccount(principal.accountId, work)
      : acrossAccounts("the platform operator, or an unauthenticated request", work);
  const apollo = await createApolloServer<CallerContext>({
    schema,
    limits: config.graphql,
    logger,
    http,
    drainTimeoutMs: config.shutdownTimeoutSeconds * 1000,
  });
  const live = subscriptionTransports<Principal, CallerContext>({
    schema,
    limits: {
      maxPerConnection: config.subscriptions.maxPerConnection,
      maxPerCaller: config.subscriptions.maxPerCredential,
      connectionInitTimeoutMs: config.subscriptions.connectionInitTimeoutMs,
      // As often as a revocation through another instance can reach this one.
      recheckMs: Math.max(1, config.auth.apiKeyCacheSeconds) * 1000,
    },
    validationRules: documentLimits(config.graphql).validationRules,
    maxTokens: config.graphql.maxTokens,
    authenticate: (headers) => authenticator.authenticate(headers),
    callerKey: (principal) => principal.actorId,
    // As the response cache: `@Reusable()` fields answer alike within an account and a role.
    shareScope: (principal) =>
      principal.accountId === null ? undefined : `${principal.accountId}:${principal.role}`,
    expiresAt: (principal) => principal.expiresAt,
    context: (base, principal) => ({
      ...base,
      principal: { ...principal, requestId: base.requestId },
      container,
    }),
    runAs,
    logger,
  });
  registerGraphQLRoute(http, {
    apollo,
    authenticate: async (request) => {
      const principal = await authenticator.authenticate(request.headers);
      return { ...principal, partition: principal.accountId?.toString() };
    },
    // Everything a request reads or writes is limited to the caller's account (see
    // db/account-scope.ts); the platform operator acts in none.
    runAs,
    context: async (base, caller) => {
      const principal = await caller.catch((error: unknown) => {
        throw authenticationFailure(error);
      });
      return { ...base, principal: { ...principal, requestId: base.requestId }, container };
    },
    // Responses of queries that read only the status lists, reused until the lists change.
    responses: new ResponseCache(container.get(StatusCatalogs)),
    subscriptions: live,
  });
  await http.ready();
  const stopPruning = pruneChangeLogRegularly(
    container.get(ChangeLog),
    container.get(WebhookRepository),
    config,
    logger,
  );
  // The change feed is numbered soon after each local commit, and regularly for the others'.
  const sequencer = container.get(ChangeSequencer);
  const stopNumbering = container.get(ChangeLog).onCommitted(() => sequencer.soon());
  sequencer.start();
  // Webhooks go out as soon as their changes are numbered here, and are looked for regularly.
  const dispatcher = container.get(WebhookDispatcher);
  const stopDispatching = sequencer.onNumbered(() => dispatcher.afterNumbered());
  dispatcher.start();

  let closing: Promise<void> | undefined;
  return {
    bootstrapKey,
    config,
    logger,
    dataSource,
    container,
    http,
    httpServer: http.server,
    async listen(port = config.port, host = config.host) {
      await http.listen({ port, host });
      const address = http.server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}${GRAPHQL_PATH}`;
    },
    close() {
      closing ??= (async () => {
        stopPruning();
        // Long-lived streams end first, so that draining the HTTP server need not wait for them.
        live.endAll();
        // Apollo drains the HTTP server (see graphql/apollo.ts), then stops.
        await apollo.stop();
        stopNumbering();
        stopDispatching();
        await Promise.all([sequencer.stop(), dispatcher.stop()]);
        // Nothing publishes once the requests are done.
        await bus.close();
        if (dataSource.isInitialized) await dataSource.destroy();
      })();
      return closing;
    },
  };
}
