/**
 * Operators' API key tool, on the configured database (DATABASE_URL or the embedded SQLite file):
 *   npm run --silent apikey -- create --role ADMIN --name "settings ui"   (the key is the last line)
 *   npm run --silent apikey -- list
 *   npm run --silent apikey -- revoke <prefix-or-id>
 */
import "reflect-metadata";
import { parseArgs } from "node:util";
import { ConfigError, describeDatabase, loadConfig } from "../config";
import { createAppDataSource } from "../app";
import { withoutQueryTimeout } from "../db/data-source";
import { onPrimary } from "../db/request-scope";
import { AppError } from "../common/errors";
import { createLogger } from "../logger";
import { ApiKeyService } from "../auth/api-key.service";
import { CLI_OPERATOR, Role } from "../auth/principal";

const USAGE = `usage:
  apikey create --role ${Object.values(Role).join("|")} --name NAME
  apikey list
  apikey revoke PREFIX_OR_ID`;

class UsageError extends Error {}

function dateText(date: Date | null): string {
  return date ? date.toISOString().replace(".000Z", "Z") : "-";
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: "string" }, name: { type: "string" } },
  });
  const [command, ...rest] = positionals;
  if (command === "create") {
    const role = values.role?.toUpperCase();
    if (!role || !Object.values(Role).includes(role as Role)) {
      throw new UsageError(`--role must be one of ${Object.values(Role).join(", ")}`);
    }
    if (!values.name?.trim()) throw new UsageError("--name is required");
    if (values.name.trim().length > 255)
      throw new UsageError("--name must be at most 255 characters");
  } else if (command === "revoke") {
    if (rest.length !== 1) throw new UsageError("revoke takes one key prefix or id");
  } else if (command !== "list") {
    throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }

  const config = loadConfig();
  const logger = createLogger({ logLevel: "warn" }, process.stderr);
  const dataSource = await createAppDataSource(config.database, { logger });
  await dataSource.initialize();
  try {
    if (config.migrationsRun) {
      await withoutQueryTimeout(dataSource, () =>
        dataSource.runMigrations({ transaction: "each" }),
      );
    }
    process.stderr.write(`database: ${describeDatabase(config.database)}\n`);
    const keys = new ApiKeyService(dataSource, { cacheSeconds: 0, logger });

    if (command === "create") {
      const { apiKey, secret } = await keys.create(
        { name: values.name!.trim(), role: values.role!.toUpperCase() as Role },
        CLI_OPERATOR,
      );
      process.stdout.write(
        `Created API key ${apiKey.id} (${apiKey.prefix}, ${apiKey.role}, "${apiKey.name}"). ` +
          `Store it now, it is not shown again:\n${secret}\n`,
      );
    } else if (command === "list") {
      const rows = await keys.list(CLI_OPERATOR);
      process.stdout.write("id\tprefix\trole\tstatus\tcreated\tlast used\tname\n");
      for (const k of rows) {
        process.stdout.write(
          [
            k.id,
            k.prefix,
            k.role,
            k.revokedAt ? `revoked ${dateText(k.revokedAt)}` : "active",
            dateText(k.createdAt),
            dateText(k.lastUsedAt),
            k.name,
          ].join("\t") + "\n",
        );
      }
    } else {
      const found = await keys.findByIdOrPrefix(rest[0], CLI_OPERATOR);
      if (!found) throw new AppError("NOT_FOUND", `No API key with id or prefix "${rest[0]}".`);
      const revoked = await keys.revoke(found.id, CLI_OPERATOR);
      process.stdout.write(
        `Revoked API key ${revoked.id} (${revoked.prefix}, "${revoked.name}") at ${dateText(revoked.revokedAt)}.\n`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

// An operator's tool reads what it has just written: everything on the primary.
onPrimary(() => run(process.argv.slice(2)))
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`apikey: ${(error as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n  ${error.lines.join("\n  ")}\n`);
    } else if (error instanceof AppError) {
      process.stderr.write(`apikey: ${error.message}\n`);
    } else {
      process.stderr.write(
        `apikey failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exit(1);
  });
