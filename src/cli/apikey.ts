/**
 * Operators' API key tool, on the configured database (DATABASE_URL or the embedded SQLite file):
 *   npm run --silent apikey -- create --role ADMIN --name "settings ui"   (the key is the last line)
 *   npm run --silent apikey -- list
 *   npm run --silent apikey -- revoke <prefix-or-id>
 * Each acts in one account (`--account CODE`, the default account when left out); a PLATFORM key
 * belongs to none.
 */
import { parseArgs } from "node:util";
import { AccountService, DEFAULT_ACCOUNT_CODE } from "../accounts/account.service";
import { ApiKeyService } from "../auth/api-key.service";
import { cliOperator, Role } from "../access/principal";
import { AppError } from "../common/errors";
import { inAccount } from "../db/account-scope";
import { dateText, runTool, UsageError } from "./tool";

const USAGE = `usage:
  apikey create --role ${Object.values(Role).join("|")} --name NAME [--account CODE]
  apikey list [--account CODE]
  apikey revoke PREFIX_OR_ID
(--account: the account's code; "${DEFAULT_ACCOUNT_CODE}" when left out. A PLATFORM key takes none.
revoke finds the key in any account.)`;

const { positionals, values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        role: { type: "string" },
        name: { type: "string" },
        account: { type: "string" },
      },
    });
  } catch (error) {
    process.stderr.write(`apikey: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

const [command, ...rest] = positionals;
const role = values.role?.toUpperCase() as Role | undefined;

function check(): void {
  if (command === "create") {
    if (!role || !Object.values(Role).includes(role)) {
      throw new UsageError(`--role must be one of ${Object.values(Role).join(", ")}`);
    }
    if (!values.name?.trim()) throw new UsageError("--name is required");
    if (values.name.trim().length > 255)
      throw new UsageError("--name must be at most 255 characters");
    if (role === Role.PLATFORM && values.account !== undefined) {
      throw new UsageError("a PLATFORM key belongs to no account: leave --account out");
    }
  } else if (command === "revoke") {
    if (rest.length !== 1) throw new UsageError("revoke takes one key prefix or id");
  } else if (command !== "list") {
    throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }
}

runTool("apikey", USAGE, check, async ({ container }) => {
  const accounts = container.get(AccountService);
  const apiKeys = container.get(ApiKeyService);
  if (command === "revoke") {
    const revoked = await apiKeys.revokeAnywhere(rest[0], cliOperator(null));
    if (!revoked) throw new AppError("NOT_FOUND", `No API key with id or prefix "${rest[0]}".`);
    process.stdout.write(
      `Revoked API key ${revoked.id} (${revoked.prefix}, "${revoked.name}") at ${dateText(revoked.revokedAt)}.\n`,
    );
    return;
  }
  if (command === "create" && role === Role.PLATFORM) {
    const { apiKey, secret } = await apiKeys.create(
      { name: values.name!.trim(), role },
      cliOperator(null),
    );
    return announce(apiKey, secret);
  }
  const code = values.account ?? DEFAULT_ACCOUNT_CODE;
  const account = await accounts.byCode(code);
  if (!account) throw new AppError("NOT_FOUND", `No account with code "${code}".`);
  const operator = cliOperator(account);
  await inAccount(account.id, async () => {
    if (command === "create") {
      const { apiKey, secret } = await apiKeys.create(
        { name: values.name!.trim(), role: role! },
        operator,
      );
      announce(apiKey, secret);
    } else {
      const rows = await apiKeys.list(operator);
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
    }
  });
});

function announce(
  apiKey: { id: number; prefix: string; role: Role; name: string },
  secret: string,
) {
  process.stdout.write(
    `Created API key ${apiKey.id} (${apiKey.prefix}, ${apiKey.role}, "${apiKey.name}"). ` +
      `Store it now, it is not shown again:\n${secret}\n`,
  );
}
