import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { InjectionToken } from "./common/container";
import type { AppConfig } from "./config";

export type { Logger };

/** Structured JSON logs on stdout (pino); level from LOG_LEVEL; pretty in development on a TTY. */
export function createLogger(
  config: Pick<AppConfig, "logLevel"> & Partial<Pick<AppConfig, "nodeEnv">>,
  destination?: NodeJS.WritableStream,
): Logger {
  // Human-readable lines when developing on a terminal; JSON everywhere else.
  const stream =
    destination ??
    (config.nodeEnv === "development" && process.stdout.isTTY
      ? pretty({ colorize: true, translateTime: "HH:MM:ss", ignore: "time" })
      : process.stdout);
  return pino(
    {
      level: config.logLevel,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["password", "*.password", "database.password"], censor: "[redacted]" },
    },
    stream,
  );
}

/** The app's logger, for the services that log outside a request. */
export const LOGGER = new InjectionToken<Logger>("logger");
