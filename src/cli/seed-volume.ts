/**
 * Fills the configured database with leads and calls at production volume (benchmarks, query
 * plans): `npm run seed:volume -- --leads 2000000 --calls 10000000 [--accounts 4]
 * [--name-prefix car]`. The rows go to the accounts `volume_1` … (created when missing); running
 * it again adds more. With `--name-prefix`, every lead's first name begins with it (so that one
 * prefix matches all of them).
 */
import { parseArgs } from "node:util";
import { AccountService } from "../accounts/account.service";
import { runTool, UsageError } from "./tool";
import { seedVolume, VOLUME_NAME_PREFIX } from "./volume-seed";

const USAGE = "usage: seed:volume --leads N --calls M [--accounts K] [--name-prefix PREFIX]";

const { values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: {
        leads: { type: "string" },
        calls: { type: "string" },
        accounts: { type: "string", default: "1" },
        "name-prefix": { type: "string" },
      },
    });
  } catch (error) {
    process.stderr.write(`seed:volume: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

function count(name: string, value: string | undefined, min: number): number {
  const number = /^[0-9]{1,9}$/.test(value ?? "") ? Number(value) : NaN;
  if (!(number >= min)) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
  return number;
}

let options: { leads: number; calls: number; accounts: number; namePrefix?: string };

runTool(
  "seed:volume",
  USAGE,
  () => {
    options = {
      leads: count("leads", values.leads, 1),
      calls: count("calls", values.calls, 0),
      accounts: count("accounts", values.accounts, 1),
    };
    if (options.accounts > options.leads) {
      throw new UsageError("--accounts must not exceed --leads (every account gets leads)");
    }
    const prefix = values["name-prefix"];
    if (prefix !== undefined) {
      if (!VOLUME_NAME_PREFIX.test(prefix)) {
        throw new UsageError("--name-prefix must be 1 to 32 lower-case letters a-z or digits");
      }
      options.namePrefix = prefix;
    }
  },
  async ({ dataSource, container }) => {
    const started = Date.now();
    const seeded = await seedVolume(dataSource, container.get(AccountService), {
      ...options,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(
      `Seeded ${options.leads} leads and ${options.calls} calls in ${seeded.length} account(s) ` +
        `(${seeded.map((a) => a.code).join(", ")}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  },
  // Its statements are slow by design: no "slow sql" warning for each.
  { logLevel: "error" },
);
