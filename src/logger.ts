import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { InjectionToken } from "./common/container";
import type { AppConfig } from "./config";

export type { Logger };

/** The shape of the log lines: JSON for machines, or pino-pretty's lines for a person. */
export type LogFormat = "json" | "pretty";

/**
 * Pretty only when a person is watching a development run: `NODE_ENV=development` (the default
 * when NODE_ENV is unset, so `npm start` on a fresh checkout) and stdout is a terminal. Piped or
 * redirected output, tests, production and the CLIs (which pass no NODE_ENV) get JSON.
 */
export function logFormat(
  nodeEnv: AppConfig["nodeEnv"] | undefined,
  stdout: { isTTY?: boolean } = process.stdout,
): LogFormat {
  return nodeEnv === "development" && stdout.isTTY === true ? "pretty" : "json";
}

/** Structured JSON logs on stdout (pino); level from LOG_LEVEL; pretty in development on a TTY. */
export function createLogger(
  config: Pick<AppConfig, "logLevel"> & Partial<Pick<AppConfig, "nodeEnv">>,
  destination?: NodeJS.WritableStream,
): Logger {
  const stream =
    destination ??
    (logFormat(config.nodeEnv) === "pretty"
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
