/**
 * The platform operator's account tool, on the configured database:
 *   npm run --silent account -- create --code acme --name "Acme"   (the code is the last line)
 *   npm run --silent account -- list
 * A new account gets the system statuses; give it a first key with
 * `npm run --silent apikey -- create --role ADMIN --name ui --account acme`.
 */
import { parseArgs } from "node:util";
import { cliOperator } from "../access/principal";
import { CODE_RULE_TEXT, isCode } from "../common/codes";
import { AccountService } from "../accounts/account.service";
import { dateText, runTool, UsageError } from "./tool";

const USAGE = `usage:
  account create --name NAME [--code CODE]
  account list`;

const { positionals, values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { name: { type: "string" }, code: { type: "string" } },
    });
  } catch (error) {
    process.stderr.write(`account: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

const [command] = positionals;

function check(): void {
  if (command === "create") {
    if (!values.name?.trim()) throw new UsageError("--name is required");
    if (values.code !== undefined && !isCode(values.code)) {
      throw new UsageError(`--code ${CODE_RULE_TEXT}`);
    }
  } else if (command !== "list") {
    throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }
}

runTool("account", USAGE, check, async ({ container }) => {
  const accounts = container.get(AccountService);
  const platform = cliOperator(null);
  if (command === "create") {
    const account = await accounts.create({ name: values.name!, code: values.code }, platform);
    process.stdout.write(
      `Created account ${account.id} ("${account.name}"). Its code:\n${account.code}\n`,
    );
  } else {
    const rows = await accounts.list(platform);
    process.stdout.write("id\tcode\tstatus\tcreated\tname\n");
    for (const a of rows) {
      process.stdout.write(
        [a.id, a.code, a.active ? "active" : "inactive", dateText(a.createdAt), a.name].join("\t") +
          "\n",
      );
    }
  }
});
