/**
 * The composition root: the one place that lists the features' entities, migrations, resolvers
 * and services and wires them to the infrastructure (database, HTTP, GraphQL). It builds the
 * whole service without listening; `main.ts` listens, tests start it on a port of their own.
 */
import "reflect-metadata";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import type { GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { CreateStatusTables1764100000000 } from "../migrations/1764100000000-CreateStatusTables";
import { SeedSystemStatuses1764100000001 } from "../migrations/1764100000001-SeedSystemStatuses";
import { CreateApiKeys1764100000002 } from "../migrations/1764100000002-CreateApiKeys";
import { CreateLeadsAndCalls1764100000003 } from "../migrations/1764100000003-CreateLeadsAndCalls";
import { CreateAuditLog1764100000004 } from "../migrations/1764100000004-CreateAuditLog";
import { CreateStatusRevision1764100000005 } from "../migrations/1764100000005-CreateStatusRevision";
import { ExactKeys1764100000006 } from "../migrations/1764100000006-ExactKeys";
import { Accounts1764100000007 } from "../migrations/1764100000007-Accounts";
import { LeadsAndCallsAtVolume1764100000008 } from "../migrations/1764100000008-LeadsAndCallsAtVolume";
import { Account } from "./accounts/account.entity";
import { AiResolver } from "./ai/ai.resolver";
import { AiService } from "./ai/ai.service";
import { AuditEntry } from "./audit/audit-entry.entity";
import {
  AuditResolver,
  CallStatusHistoryResolver,
  LeadStatusHistoryResolver,
} from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { ApiKey } from "./auth/api-key.entity";
import { ApiKeyResolver } from "./auth/api-key.resolver";
import { ApiKeyService } from "./auth/api-key.service";
import { Authenticator } from "./auth/authenticate";
import { JwtVerifier } from "./auth/jwt";
import { Call } from "./calls/call.entity";
import { CallResolver } from "./calls/call.resolver";
import { CallService } from "./calls/call.service";
import { describeDatabase, type AppConfig, type DatabaseConfig } from "./config";
import { createContext, type GraphQLContext, type Services } from "./context";
import {
  clusterInfo,
  createDataSource,
  withoutQueryTimeout,
  type DataSourceHooks,
  type DatabaseModel,
} from "./db/data-source";
import { readiness } from "./db/health";
import { onPrimary } from "./db/request-scope";
import { createApolloServer } from "./graphql/apollo";
import { authenticationFailure } from "./graphql/errors";
import { ResponseCache } from "./graphql/response-cache";
import { GRAPHQL_PATH, registerGraphQLRoute } from "./graphql/route";
import { buildGraphQLSchema } from "./graphql/schema";
import { createHttpServer } from "./http/server";
import { Lead } from "./leads/lead.entity";
import { LeadResolver } from "./leads/lead.resolver";
import { LeadService } from "./leads/lead.service";
import { AccountResolver, ViewerAccountResolver } from "./accounts/account.resolver";
import { AccountService } from "./accounts/account.service";
import { acrossAccounts, inAccount } from "./db/account-scope";
import { createLogger, type Logger } from "./logger";
import { CallStatus } from "./statuses/call-status.entity";
import { CallStatusResolver } from "./statuses/call-status.resolver";
import { CallStatusService } from "./statuses/call-status.service";
import { LeadStatus } from "./statuses/lead-status.entity";
import { LeadStatusResolver } from "./statuses/lead-status.resolver";
import { LeadStatusService } from "./statuses/lead-status.service";
import { StatusCatalogs } from "./statuses/status-catalog";
import { StatusRevision } from "./statuses/status-revision.entity";

/** The tables and their history. */
export const DATABASE_MODEL: DatabaseModel = {
  entities: [Account, LeadStatus, CallStatus, ApiKey, Lead, Call, AuditEntry, StatusRevision],
  migrations: [
    CreateStatusTables1764100000000,
    SeedSystemStatuses1764100000001,
    CreateApiKeys1764100000002,
    CreateLeadsAndCalls1764100000003,
    CreateAuditLog1764100000004,
    CreateStatusRevision1764100000005,
    ExactKeys1764100000006,
    Accounts1764100000007,
    LeadsAndCallsAtVolume1764100000008,
  ],
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
  schema ??= buildGraphQLSchema({
    resolvers: [
      CallStatusResolver,
      LeadStatusResolver,
      ApiKeyResolver,
      LeadResolver,
      CallResolver,
      AiResolver,
      AuditResolver,
      CallStatusHistoryResolver,
      LeadStatusHistoryResolver,
      AccountResolver,
      ViewerAccountResolver,
    ],
    queryDescription:
      "Reading call statuses, lead statuses, leads, calls, API keys and the audit trail of the caller's account; accounts (PLATFORM).",
    mutationDescription:
      "Managing call statuses, lead statuses and API keys, creating leads and recording call results, in the caller's account; managing accounts (PLATFORM). Statuses are never deleted: hide a call status by turning its visibility off.",
  });
  return schema;
}

/** The services, one of each per app. */
function createServices(
  config: AppConfig,
  dataSource: DataSource,
  catalog: StatusCatalogs,
  logger: Logger,
): Services {
  const leadStatuses = new LeadStatusService(dataSource, catalog);
  const callStatuses = new CallStatusService(dataSource, leadStatuses, catalog);
  const calls = new CallService(dataSource);
  const accounts = new AccountService(dataSource, { cacheSeconds: config.auth.apiKeyCacheSeconds });
  const apiKeys = new ApiKeyService(dataSource, accounts, {
    cacheSeconds: config.auth.apiKeyCacheSeconds,
    logger,
  });
  // An account turned off here refuses its keys here at once (elsewhere: within the cache time).
  accounts.onChange(() => apiKeys.forgetVerified());
  return {
    accounts,
    leadStatuses,
    callStatuses,
    leads: new LeadService(dataSource, leadStatuses, config.leads),
    calls,
    ai: new AiService(callStatuses, calls),
    audit: new AuditService(dataSource),
    apiKeys,
  };
}

export interface AppOptions {
  logger?: Logger;
  /** Called with every SQL statement (tests count statements with it). */
  onQuery?: (sql: string, parameters?: readonly unknown[]) => void;
}

export interface App {
  /** Outside production, the ADMIN key created at start on a database without keys; else null. */
  bootstrapKey: string | null;
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  services: Services;
  /** The HTTP framework instance, routes registered, not yet listening. */
  http: FastifyInstance;
  /** Its node:http server. */
  httpServer: Server;
  /** Starts listening; resolves to the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish (within the shutdown timeout), closes the database. */
  close(): Promise<void>;
}

/** A database problem at start-up, with a message fit for one log line. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
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

/** Builds the whole service — database, schema, GraphQL server, HTTP server — without listening. */
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
  const catalog = new StatusCatalogs(dataSource, config.statusCache);
  const services = createServices(config, dataSource, catalog, logger);
  let jwt: JwtVerifier | undefined;
  try {
    jwt = config.auth.jwt ? new JwtVerifier(config.auth.jwt) : undefined;
  } catch (error) {
    throw new StartupError(`JWT_PUBLIC_KEY cannot be used: ${(error as Error).message}`);
  }
  const authenticator = new Authenticator(services.apiKeys, services.accounts, jwt);
  const bootstrapKey =
    config.nodeEnv === "production"
      ? null
      : await onPrimary(() => createBootstrapKey(services, logger));

  const http = await createHttpServer({
    logger,
    bodyLimitBytes: config.graphql.bodyLimitBytes,
    timeouts: config.http,
    readiness: () => readiness(dataSource),
  });
  const apollo = await createApolloServer<GraphQLContext>({
    schema: await buildAppSchema(),
    limits: config.graphql,
    logger,
    http,
    drainTimeoutMs: config.shutdownTimeoutSeconds * 1000,
  });
  registerGraphQLRoute(http, {
    apollo,
    authenticate: async (request) => {
      const principal = await authenticator.authenticate(request.headers);
      return { ...principal, partition: principal.accountId?.toString() };
    },
    // Everything a request reads or writes is limited to the caller's account (see
    // db/account-scope.ts); the platform operator acts in none.
    runAs: (principal, work) =>
      principal?.accountId
        ? inAccount(principal.accountId, work)
        : acrossAccounts("the platform operator, or an unauthenticated request", work),
    context: async (base, caller) => {
      const principal = await caller.catch((error: unknown) => {
        throw authenticationFailure(error);
      });
      return createContext(base, { ...principal, requestId: base.requestId }, services);
    },
    // Responses of queries that read only the status lists, reused until the lists change.
    responses: new ResponseCache(catalog),
  });
  await http.ready();

  let closing: Promise<void> | undefined;
  return {
    bootstrapKey,
    config,
    logger,
    dataSource,
    services,
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
        // Apollo drains the HTTP server (see graphql/apollo.ts), then stops.
        await apollo.stop();
        if (dataSource.isInitialized) await dataSource.destroy();
      })();
      return closing;
    },
  };
}
