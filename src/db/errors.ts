/**
 * What database driver errors (mysql2 and better-sqlite3, as wrapped by TypeORM) mean for a
 * client: a duplicate key is a CONFLICT on a field, an unreachable or refusing database is
 * SERVICE_UNAVAILABLE. Driver text never leaves this module.
 */
import { AppError, conflict, serviceUnavailable } from "../common/errors";

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
    // Unique indexes are named UQ_<table>_<column>, every table name plural: the column is what
    // follows the first word ending in "s" (call_statuses_code → code, api_keys_prefix → prefix).
    return (
      key?.match(/^UQ_(?:[a-z]+_)*?[a-z]*s_(.+)$/)?.[1] ?? key?.replace(/^UQ_/, "") ?? "unknown"
    );
  }
  if (
    driver.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    driver.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  ) {
    // UNIQUE constraint failed: call_statuses.account_id, call_statuses.code — unique keys are
    // per account, so the column that tells is the last one.
    const columns = /constraint failed: (.+)$/.exec(message)?.[1]?.split(",") ?? [];
    return columns.at(-1)?.trim().split(".").at(-1) ?? "unknown";
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
 * Errors a MySQL/MariaDB server (or a node of a Galera cluster) reports while it cannot take work
 * for a moment, by number (mysql2 names some of MariaDB's numbers after MySQL's meanings):
 * - 1047: a Galera node that is not part of the primary component, still joining or resyncing,
 *   or told to refuse queries (`wsrep_reject_queries`): "WSREP has not yet prepared node for
 *   application use";
 * - 1053: the server is shutting down; 1927 (MariaDB): the connection was killed, as a node does
 *   to its clients when it leaves the cluster or is told `wsrep_reject_queries = ALL_KILL`;
 * - 1180: an error during COMMIT, as a Galera node says when it lost the primary component while
 *   committing ("Got error 6 … during COMMIT");
 * - 1158–1161: the server's side of a network read or write failed;
 * - 2006, 2013: the C client's "server has gone away" and "lost connection" numbers.
 * A transaction that meets one of these before its COMMIT is run again once on another
 * connection (`runTransaction`); at COMMIT it is not retried (a failed COMMIT may have been
 * applied elsewhere): the request is answered SERVICE_UNAVAILABLE, which a client may retry
 * with the same idempotency key.
 */
const UNAVAILABLE_ERRNOS = new Set([1047, 1053, 1927, 1180, 1158, 1159, 1160, 1161, 2006, 2013]);

/**
 * MySQL/MariaDB lock conflicts: a deadlock (1213, also what a multi-primary Galera cluster reports
 * for a certification conflict at COMMIT, and for a transaction aborted by a conflicting one
 * replicated from another node: "WSREP detected deadlock/conflict") and a lock wait timeout (1205).
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
  if (typeof driver.errno === "number" && UNAVAILABLE_ERRNOS.has(driver.errno)) return true;
  if (isLockConflict(driver)) return true;
  const message = typeof driver.message === "string" ? driver.message : "";
  return /Pool is closed|Connection lost|Connection is not established|Can't add new command when connection is in closed state|connection is not open|Driver not Connected/i.test(
    message,
  );
}

/** The domain error a driver error stands for, or undefined when it is unexpected. */
export function domainErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const uniqueColumn = uniqueViolationColumn(error);
  if (uniqueColumn !== undefined) {
    return conflict(`Another record already uses this ${uniqueColumn}.`, uniqueColumn);
  }
  if (isDatabaseUnavailable(error)) return serviceUnavailable();
  return undefined;
}
