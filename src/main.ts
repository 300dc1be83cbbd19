/** Starts the service: reads the configuration, opens the database, listens, shuts down cleanly. */
import { createApp, type App } from "./app";
import { StartupError } from "./common/errors";
import { ConfigError, describeDatabase, loadConfig, type AppConfig } from "./config";
import { createLogger } from "./logger";

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`Invalid configuration:\n  ${error.lines.join("\n  ")}`);
    throw error;
  }
  const logger = createLogger(config);

  let app: App;
  try {
    app = await createApp(config, { logger });
  } catch (error) {
    if (error instanceof StartupError) fail(`Cannot start: ${error.message}`);
    throw error;
  }

  let url: string;
  try {
    url = await app.listen();
  } catch (error) {
    await app.close();
    const code = (error as { code?: string }).code;
    fail(
      code === "EADDRINUSE"
        ? `Cannot start: port ${config.port} on ${config.host} is already in use — set PORT to another port`
        : `Cannot start: cannot listen on ${config.host}:${config.port}: ${code ?? String(error)}`,
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  // Only now: whoever waits for this line (a process manager, a test) may send a signal at once,
  // and a signal that arrives before its handler is installed kills the process outright.
  logger.info(
    { url, database: describeDatabase(config.database), env: config.nodeEnv },
    `GraphQL API ready at ${url}` +
      (config.nodeEnv === "production" ? "" : " — open it in a browser for Apollo Sandbox"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
