/**
 * The one error module: the domain errors services throw, the classification of database driver
 * errors, and their mapping to the GraphQL error codes clients rely on (DESIGN.md §2).
 * Services import only `AppError` and its helpers; nothing here needs a GraphQL request.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { ValidationError } from "class-validator";

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

export function notFound(message: string): AppError {
  return new AppError("NOT_FOUND", message);
}

export function conflict(message: string, field?: string): AppError {
  return new AppError("CONFLICT", message, field ? [{ field, message }] : []);
}

// ---------------------------------------------------------------------------------------------
// Database driver errors (mysql2 and better-sqlite3, as wrapped by TypeORM)

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  driverError?: DriverErrorShape;
}

function driverErrorOf(error: unknown): DriverErrorShape | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as DriverErrorShape;
  return shape.driverError ?? shape;
}

/**
 * For a unique-key violation, the column it concerns (`code`, …), or `"unknown"` when the driver
 * does not say; `undefined` for any other error. Relies on the index naming `UQ_<table>_<column>`.
 */
export function uniqueViolationColumn(error: unknown): string | undefined {
  const driver = driverErrorOf(error);
  if (!driver) return undefined;
  const message = typeof driver.message === "string" ? driver.message : "";
  if (driver.code === "ER_DUP_ENTRY" || driver.errno === 1062) {
    // MariaDB: for key 'UQ_call_statuses_code'; MySQL 8: for key 'call_statuses.UQ_call_statuses_code'
    const key = /for key '(?:[^.']+\.)?([^']+)'/.exec(message)?.[1];
    return key?.match(/^UQ_[a-z]+_statuses_(.+)$/)?.[1] ?? key?.replace(/^UQ_/, "") ?? "unknown";
  }
  if (
    driver.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    driver.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  ) {
    // UNIQUE constraint failed: call_statuses.code
    return /constraint failed: [^.]+\.(\w+)/.exec(message)?.[1] ?? "unknown";
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

/**
 * MySQL/MariaDB lock conflicts: a deadlock (1213, also what a multi-primary Galera cluster reports
 * for a certification conflict at COMMIT) and a lock wait timeout (1205).
 */
const LOCK_CONFLICT_CODES = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT"]);
const LOCK_CONFLICT_ERRNOS = new Set([1213, 1205]);

/**
 * True for a deadlock or a lock wait timeout: the transaction lost a race for row locks and may
 * succeed when run again from the start (`runTransaction` does so). When it keeps losing, it is
 * answered like an outage (`isDatabaseUnavailable`): SERVICE_UNAVAILABLE, retry later.
 */
export function isLockConflict(error: unknown): boolean {
  const driver = driverErrorOf(error);
  if (!driver) return false;
  return (
    (typeof driver.code === "string" && LOCK_CONFLICT_CODES.has(driver.code)) ||
    (typeof driver.errno === "number" && LOCK_CONFLICT_ERRNOS.has(driver.errno))
  );
}

/**
 * True when the database could not be reached or is temporarily refusing work (lock conflicts
 * that outlasted their retries included).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driver = driverErrorOf(error);
  if (!driver) return false;
  if (typeof driver.code === "string" && UNAVAILABLE_CODES.has(driver.code)) return true;
  if (isLockConflict(driver)) return true;
  const message = typeof driver.message === "string" ? driver.message : "";
  return /Pool is closed|Connection lost|Connection is not established|Can't add new command when connection is in closed state|connection is not open|Driver not Connected/i.test(
    message,
  );
}

// ---------------------------------------------------------------------------------------------
// Mapping to GraphQL errors

/** Apollo's own codes for problems with the request itself; they pass through unchanged. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export const INTERNAL_ERROR_MESSAGE =
  "Internal server error. Quote the requestId when reporting this problem.";
export const UNAVAILABLE_MESSAGE = "The database is unavailable right now. Try again shortly.";

/** Flattens class-validator's nested errors into one entry per failed field (first message). */
export function fieldErrorsFromValidation(errors: ValidationError[], prefix = ""): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    // "cannot be null" explains the other failures of the same field, so it wins
    const message = constraints.isDefined ?? Object.values(constraints)[0];
    if (message) result.push({ field, message });
    if (error.children?.length) result.push(...fieldErrorsFromValidation(error.children, field));
  }
  return result;
}

/**
 * The input field a graphql-js variable coercion message is about, relative to the variable:
 * `Variable "$input" got invalid value 1.5 at "input.sort"; …` → `sort`;
 * `…; Field "type" is not defined by type "CreateCallStatusInput".` → `type`;
 * `…; Field "title" of required type "String!" was not provided.` → `title`.
 */
function fieldFromCoercionMessage(message: string): string | undefined {
  const variable = /^Variable "\$([^"]+)"/.exec(message)?.[1];
  if (!variable) return undefined;
  const segments = (/ at "([^"]+)"/.exec(message)?.[1] ?? variable).split(".").slice(1);
  const named = /Field "([^"]+)" (?:is not defined by type|of required type)/.exec(message)?.[1];
  if (named) segments.push(named);
  return segments.length > 0 ? segments.join(".") : variable;
}

function withFields(fields: FieldError[]): { fields: FieldError[] } | Record<string, never> {
  return fields.length > 0 ? { fields } : {};
}

/**
 * Apollo's `formatError`: every error leaves with a stable `extensions.code`, field details for
 * bad input, and never a stack trace, SQL text or driver message.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof AppError) {
    return {
      ...base,
      message: original.message,
      extensions: { ...original.details, code: original.code, ...withFields(original.fields) },
    };
  }

  const uniqueColumn = uniqueViolationColumn(original);
  if (uniqueColumn !== undefined) {
    const message = `Another record already uses this ${uniqueColumn}.`;
    return {
      ...base,
      message,
      extensions: { code: "CONFLICT", fields: [{ field: uniqueColumn, message }] },
    };
  }

  if (isDatabaseUnavailable(original)) {
    return { ...base, message: UNAVAILABLE_MESSAGE, extensions: { code: "SERVICE_UNAVAILABLE" } };
  }

  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    const validationErrors = original.extensions?.validationErrors;
    if (code === "BAD_USER_INPUT" && Array.isArray(validationErrors)) {
      const fields = fieldErrorsFromValidation(validationErrors as ValidationError[]);
      const message =
        fields.length === 1
          ? `Invalid input: ${fields[0].message}`
          : `Invalid input: ${fields.map((f) => f.message).join("; ")}`;
      return { ...base, message, extensions: { code: "BAD_USER_INPUT", fields } };
    }
    if (typeof code === "string" && REQUEST_ERROR_CODES.has(code)) {
      // graphql-armor words its limits as syntax errors; they are not.
      const message = formatted.message.replace(
        /^Syntax Error: (?=.*(?:limit|Cost))/,
        "Query rejected: ",
      );
      const field =
        code === "BAD_USER_INPUT" ? fieldFromCoercionMessage(formatted.message) : undefined;
      return {
        ...base,
        message,
        extensions: {
          code,
          ...(field ? { fields: [{ field, message: formatted.message }] } : {}),
        },
      };
    }
    if (code === "UNAUTHENTICATED" || code === "FORBIDDEN" || code === "SERVICE_UNAVAILABLE") {
      return { ...base, message: formatted.message, extensions: { code } };
    }
  }

  return {
    ...base,
    message: INTERNAL_ERROR_MESSAGE,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** The `extensions.code` an error reaches the client with. */
export function clientErrorCode(error: unknown): string {
  const code = formatGraphQLError({ message: "" }, error).extensions?.code;
  return typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
}
