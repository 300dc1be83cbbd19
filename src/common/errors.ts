/**
 * The domain errors services throw, each with the stable code a client sees as
 * `extensions.code`. This kernel module knows neither GraphQL nor a database driver: driver errors
 * are classified in `db/errors.ts`, and both are turned into GraphQL errors in
 * `graphql/errors.ts`.
 */

export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "FORBIDDEN"
  | "UNAUTHENTICATED"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

/** A problem with one input field, for the client to show next to that form field. */
export interface FieldError {
  /** Path of the field inside the input, e.g. `title` or `leadStatusCode`. */
  field: string;
  message: string;
}

/** An expected, client-facing failure with a stable code. */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly fields: FieldError[] = [],
    /** More machine-readable details, added to `extensions` (e.g. `allowedCodes`). */
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** Bad input concerning one field (or several, when it is about their combination). */
export function badUserInput(field: string | string[], message: string): AppError {
  const fields = (Array.isArray(field) ? field : [field]).map((name) => ({ field: name, message }));
  return new AppError("BAD_USER_INPUT", message, fields);
}

/** Bad input concerning several fields, each with its own message (at least one). */
export function invalidInput(problems: FieldError[]): AppError {
  const message =
    problems.length === 1
      ? problems[0].message
      : `Invalid input: ${problems.map((p) => p.message).join("; ")}`;
  return new AppError("BAD_USER_INPUT", message, problems);
}

export function notFound(message: string): AppError {
  return new AppError("NOT_FOUND", message);
}

export function conflict(message: string, field?: string): AppError {
  return new AppError("CONFLICT", message, field ? [{ field, message }] : []);
}

export const INTERNAL_ERROR_MESSAGE =
  "Internal server error. Quote the requestId when reporting this problem.";
export const UNAVAILABLE_MESSAGE = "The database is unavailable right now. Try again shortly.";

/** The database could not be reached or refused the work for now; the client may retry. */
export function serviceUnavailable(): AppError {
  return new AppError("SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE);
}

/** A problem that stops the service from starting (database, configuration), fit for one log line. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}
