import { adminConnection, MYSQL_AVAILABLE_FLAG, MYSQL_TEST_URL, TEST_DB_PREFIX } from "./mysql";
import { pingRedis, REDIS_AVAILABLE_FLAG, REDIS_TEST_URL } from "./redis";

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether the tests of the Redis event bus run, as for MariaDB/MySQL: in CI (CI,
 * REQUIRE_MYSQL or REQUIRE_REDIS set) an unreachable Redis fails the run; elsewhere those tests
 * are skipped with a clear notice.
 */
async function checkRedis(): Promise<void> {
  const required =
    Boolean(process.env.CI) ||
    process.env.REQUIRE_MYSQL === "1" ||
    process.env.REQUIRE_REDIS === "1";
  try {
    await pingRedis();
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    if (required) {
      throw new Error(`Redis is required here but ${REDIS_TEST_URL} is unreachable: ${reason}`);
    }
    process.stdout.write(
      `\n*** Redis event bus tests SKIPPED: ${REDIS_TEST_URL} is unreachable (${reason}).\n` +
        `*** Start Redis on 127.0.0.1:6379 or set TEST_REDIS_URL=redis://host:6379 to run them.\n\n`,
    );
    return;
  }
  process.env[REDIS_AVAILABLE_FLAG] = "1";
}

/**
 * Decides whether the Redis tests (above) and the MariaDB/MySQL half run. In CI (CI or REQUIRE_MYSQL set) an unreachable
 * server fails the run; elsewhere that half is skipped with a clear notice.
 */
export default async function globalSetup(): Promise<void> {
  await checkRedis();
  const required = Boolean(process.env.CI) || process.env.REQUIRE_MYSQL === "1";
  if (process.env.SKIP_MYSQL === "1" && !required) {
    process.stdout.write("\nMySQL/MariaDB half skipped (SKIP_MYSQL=1).\n");
    return;
  }
  let connection;
  try {
    connection = await adminConnection();
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    if (required) {
      throw new Error(
        `MariaDB/MySQL is required here but ${MYSQL_TEST_URL} is unreachable: ${reason}`,
      );
    }
    process.stdout.write(
      `\n*** MySQL/MariaDB half SKIPPED: ${MYSQL_TEST_URL} is unreachable (${reason}).\n` +
        `*** Only the SQLite half runs. Start MariaDB on 127.0.0.1:3306 (root, no password) or set\n` +
        `*** TEST_MYSQL_URL=mariadb://user:pass@host:3306/any to run both halves.\n\n`,
    );
    return;
  }
  try {
    // Drop databases left behind by earlier runs that died (their process is gone).
    const [rows] = await connection.query("SHOW DATABASES LIKE 'cls\\_test\\_%'");
    for (const row of rows as Array<Record<string, string>>) {
      const name = Object.values(row)[0];
      const pid = Number(name.slice(TEST_DB_PREFIX.length).split("_")[0]);
      if (Number.isInteger(pid) && !pidAlive(pid))
        await connection.query(`DROP DATABASE \`${name}\``);
    }
  } finally {
    await connection.end();
  }
  process.env[MYSQL_AVAILABLE_FLAG] = "1";
}
