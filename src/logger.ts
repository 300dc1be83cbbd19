import pino, { type Logger } from "pino";
import type { AppConfig } from "./config";

export type { Logger };

/** Structured JSON logs on stdout (pino); level from LOG_LEVEL. */
export function createLogger(
  config: Pick<AppConfig, "logLevel">,
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["password", "*.password", "database.password"], censor: "[redacted]" },
    },
    destination,
  );
}
