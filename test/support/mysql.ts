import mysql from "mysql2/promise";
import type { DatabaseConfig } from "../../src/config";

/** Server used for the MariaDB/MySQL half of the suite (any database name in it is ignored). */
export const MYSQL_TEST_URL = process.env.TEST_MYSQL_URL ?? "mariadb://root@127.0.0.1:3306/test";
/** Set by the global setup when that server answered. */
export const MYSQL_AVAILABLE_FLAG = "TEST_MYSQL_AVAILABLE";
export const TEST_DB_PREFIX = "cls_test_";

export function mysqlServer(): Extract<DatabaseConfig, { kind: "mysql" }> {
  const url = new URL(MYSQL_TEST_URL);
  return {
    kind: "mysql",
    flavour: url.protocol === "mysql:" ? "mysql" : "mariadb",
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username || "root"),
    password: decodeURIComponent(url.password),
    database: "",
  };
}

export async function adminConnection(): Promise<mysql.Connection> {
  const server = mysqlServer();
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.username,
    password: server.password,
    connectTimeout: 3000,
  });
}
