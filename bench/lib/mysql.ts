/** The MariaDB/MySQL server for the (c), (d), (e), (f) runs on MariaDB: one fresh database per run. */
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";

export interface MysqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** `mysql://user:pass@host:port` without a database. */
  base: string;
}

export function parseServer(url: string): MysqlServer {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username || "root");
  const password = decodeURIComponent(parsed.password);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port ? Number(parsed.port) : 3306;
  const auth = password
    ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}`
    : encodeURIComponent(user);
  return { host, port, user, password, base: `mysql://${auth}@${parsed.host}` };
}

async function connect(server: MysqlServer): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    connectTimeout: 3000,
  });
}

/** The server's version string, or null when it does not answer. */
export async function serverVersion(server: MysqlServer): Promise<string | null> {
  try {
    const connection = await connect(server);
    try {
      const [rows] = await connection.query("SELECT VERSION() AS v");
      return String((rows as Array<{ v: string }>)[0].v);
    } finally {
      await connection.end();
    }
  } catch {
    return null;
  }
}

/** Creates an empty utf8mb4 database and returns its name. */
export async function createDatabase(server: MysqlServer): Promise<string> {
  const name = `cls_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  const connection = await connect(server);
  try {
    await connection.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
  return name;
}

export async function dropDatabase(server: MysqlServer, name: string): Promise<void> {
  const connection = await connect(server);
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
