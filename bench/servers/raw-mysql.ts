/**
 * (f) `recordCallResult` without the service: a bare `node:http` server taking the same JSON body
 * as the GraphQL mutation and running, with raw mysql2 on a pool of the same size, the same SQL
 * statements the service runs (as its trace log shows), in the same order:
 *
 *   idempotency look-up · call status by code ·
 *   START TRANSACTION · lead FOR UPDATE · lead status update (when it changes) · call insert · COMMIT,
 *
 * each limited to the account, as the service's are (`account_id = ?`; the insert sets it), and
 * answering from the values it wrote (an idempotent replay reads the call and lead back). The
 * account is the database's `default` one, where the bench's CLI-made keys act.
 *
 * The call and lead statuses in the response come from lists read once at start, as the service
 * serves them from its in-memory snapshot.
 *
 * It answers with the same JSON shape. What it leaves out is everything the service adds on
 * top: authentication (a cached API key there), GraphQL parsing/validation/limits, input
 * validation, TypeORM, the request log and ids.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import mysql from "mysql2/promise";
import { answer, exitWithRunner, reportReady } from "./ipc";

const ACTOR_ID = "raw:bench";
const ACTOR_ROLE = "SYSTEM";

const CALL_COLUMNS =
  "id, lead_id, call_status_id, comment, after_call_transfer, next_call_at, lead_status_changed, " +
  "recorded_by_role, recorded_by, idempotency_hash, request_hash, created_at";
const CALL_STATUS_COLUMNS =
  "id, code, title, sort, type, created_at, updated_at, version, description, comment_required, " +
  "planning_time_required, lead_status_id, agent_visibility, show_to_ai_agents";
const LEAD_COLUMNS = "id, external_id, phone, name, status_id, created_at, updated_at, version";
const LEAD_STATUS_COLUMNS =
  "id, code, title, sort, type, created_at, updated_at, version, category, color";

type Row = Record<string, unknown>;

const url = new URL(process.env.BENCH_MYSQL_DATABASE_URL ?? "");
const pool = mysql.createPool({
  host: url.hostname,
  port: url.port ? Number(url.port) : 3306,
  user: decodeURIComponent(url.username || "root"),
  password: decodeURIComponent(url.password),
  database: decodeURIComponent(url.pathname.slice(1)),
  charset: "utf8mb4_unicode_ci",
  timezone: "Z",
  connectionLimit: 10,
});
let returning = true;
let recorded = 0;
/** The account every statement is limited to (read at start). */
let accountId = 0;

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

async function rows(sql: string, params: unknown[]): Promise<Row[]> {
  const [result] = await pool.query(sql, params);
  return result as Row[];
}

class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Input {
  leadId?: unknown;
  callStatusCode?: unknown;
  comment?: unknown;
  idempotencyKey?: unknown;
}

async function result(callId: number): Promise<unknown> {
  const [call] = await rows(
    `SELECT ${CALL_COLUMNS} FROM calls WHERE id = ? AND account_id = ? LIMIT 1`,
    [callId, accountId],
  );
  const [lead] = await rows(
    `SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ? AND account_id = ? LIMIT 1`,
    [call.lead_id, accountId],
  );
  return resultOf(call, lead);
}

function resultOf(call: Row, lead: Row): unknown {
  const status = callStatuses.get(Number(call.call_status_id))!;
  const leadStatus = leadStatuses.get(Number(lead.status_id))!;
  return {
    leadStatusChanged: Boolean(call.lead_status_changed),
    call: {
      id: String(call.id),
      status: { code: status.code },
      comment: call.comment,
      createdAt: (call.created_at as Date).toISOString(),
    },
    lead: {
      id: String(lead.id),
      status: { code: leadStatus.code, title: leadStatus.title, category: leadStatus.category },
    },
  };
}

async function record(input: Input): Promise<unknown> {
  const leadId = Number(input.leadId);
  if (!Number.isSafeInteger(leadId) || leadId < 1)
    throw new ClientError("BAD_USER_INPUT", "leadId");
  const code = String(input.callStatusCode ?? "");
  const comment =
    typeof input.comment === "string" && input.comment.trim() ? input.comment.trim() : null;
  const key = typeof input.idempotencyKey === "string" ? input.idempotencyKey : null;
  const idempotencyHash = key === null ? null : sha256(`${ACTOR_ID}\u0000${key}`);
  const requestHash = sha256(JSON.stringify([leadId, code, comment, false, null]));

  if (idempotencyHash) {
    const [original] = await rows(
      `SELECT ${CALL_COLUMNS} FROM calls WHERE idempotency_hash = ? AND account_id = ? LIMIT 1`,
      [idempotencyHash, accountId],
    );
    if (original) {
      if (original.request_hash !== requestHash)
        throw new ClientError("CONFLICT", "idempotencyKey");
      return result(Number(original.id));
    }
  }
  const [status] = await rows(
    `SELECT ${CALL_STATUS_COLUMNS} FROM call_statuses WHERE code = ? AND account_id = ? LIMIT 1`,
    [code, accountId],
  );
  if (!status) throw new ClientError("BAD_USER_INPUT", `no call status "${code}"`);
  if (status.comment_required && comment === null)
    throw new ClientError("BAD_USER_INPUT", "comment");
  if (status.planning_time_required) throw new ClientError("BAD_USER_INPUT", "nextCallAt");

  const now = new Date();
  now.setUTCMilliseconds(0);
  const connection = await pool.getConnection();
  let callId: number;
  let call: Row;
  let lead: Row;
  try {
    await connection.query("START TRANSACTION");
    const [leadRows] = await connection.query(
      `SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ? AND account_id = ? LIMIT 1 FOR UPDATE`,
      [leadId, accountId],
    );
    lead = (leadRows as Row[])[0];
    if (!lead) throw new ClientError("NOT_FOUND", `no lead ${leadId}`);
    const target = status.lead_status_id as number | null;
    const changed = target !== null && target !== lead.status_id;
    if (changed) {
      await connection.query(
        "UPDATE leads SET status_id = ?, updated_at = ?, version = version + 1 " +
          "WHERE id = ? AND account_id = ?",
        [target, now, leadId, accountId],
      );
    }
    const values = [
      accountId,
      leadId,
      status.id,
      comment,
      false,
      null,
      changed,
      ACTOR_ROLE,
      ACTOR_ID,
      idempotencyHash,
      idempotencyHash ? requestHash : null,
      now,
    ];
    const insert =
      "INSERT INTO calls (account_id, lead_id, call_status_id, comment, after_call_transfer, " +
      "next_call_at, lead_status_changed, recorded_by_role, recorded_by, idempotency_hash, " +
      "request_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (returning) {
      const [inserted] = await connection.query(
        `${insert} RETURNING id, after_call_transfer, lead_status_changed, created_at`,
        values,
      );
      callId = Number((inserted as Row[])[0].id);
    } else {
      const [inserted] = await connection.query(insert, values);
      callId = (inserted as mysql.ResultSetHeader).insertId;
    }
    await connection.query("COMMIT");
    call = {
      id: callId,
      call_status_id: status.id,
      comment,
      lead_status_changed: changed,
      created_at: now,
    };
    if (changed) lead = { ...lead, status_id: target };
  } catch (error) {
    await connection.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
  recorded += 1;
  return resultOf(call, lead);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= 1024 * 1024) chunks.push(chunk);
  });
  req.on("end", () => {
    let input: Input;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        variables?: { input?: Input };
      };
      input = body.variables?.input ?? {};
    } catch {
      send(res, 400, { errors: [{ message: "Request body is not valid JSON." }] });
      return;
    }
    record(input)
      .then((data) => send(res, 200, { data: { recordCallResult: data } }))
      .catch((error: unknown) => {
        if (error instanceof ClientError) {
          send(res, 200, {
            data: null,
            errors: [{ message: error.message, extensions: { code: error.code } }],
          });
        } else {
          process.stderr.write(`raw-mysql: ${String(error)}\n`);
          send(res, 500, { data: null, errors: [{ message: "Unexpected error." }] });
        }
      });
  });
});

/** The status lists, read once (the service keeps them in memory too). */
const callStatuses = new Map<number, Row>();
const leadStatuses = new Map<number, Row>();

async function main(): Promise<void> {
  const [version] = await rows("SELECT VERSION() AS v", []);
  const [account] = await rows("SELECT id FROM accounts WHERE code = 'default'", []);
  if (!account) throw new Error("no account 'default'");
  accountId = Number(account.id);
  for (const row of await rows(
    `SELECT ${CALL_STATUS_COLUMNS} FROM call_statuses WHERE account_id = ?`,
    [accountId],
  ))
    callStatuses.set(Number(row.id), row);
  for (const row of await rows(
    `SELECT ${LEAD_STATUS_COLUMNS} FROM lead_statuses WHERE account_id = ?`,
    [accountId],
  ))
    leadStatuses.set(Number(row.id), row);
  // INSERT … RETURNING, as TypeORM uses on MariaDB; MySQL 8 has no RETURNING.
  returning = /mariadb/i.test(String(version.v));
  answer("stats", () => ({ recorded }));
  exitWithRunner(async () => {
    server.close();
    await pool.end();
  });
  server.listen(0, "127.0.0.1", () => {
    reportReady((server.address() as AddressInfo).port, "/graphql");
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`raw-mysql failed: ${String(error)}\n`);
  process.exit(1);
});
