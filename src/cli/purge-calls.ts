/**
 * Retention of recorded calls, run by the operator (e.g. nightly from cron):
 *   npm run --silent calls:purge -- --keep-days 730 --all-accounts
 *   npm run --silent calls:purge -- --before 2025-01-01 --account acme [--batch 5000]
 * Deletes the calls recorded before the cutoff in small batches (safe while the service runs,
 * also on a Galera cluster) and writes one audit entry per account (PURGE of CALLS).
 */
import { parseArgs } from "node:util";
import { cliOperator } from "../access/principal";
import { AccountService } from "../accounts/account.service";
import { CallService, DEFAULT_PURGE_BATCH, MAX_PURGE_BATCH } from "../calls/call.service";
import { inAccount } from "../db/account-scope";
import { runTool, UsageError } from "./tool";

const USAGE = `usage:
  calls:purge (--before DATE | --keep-days N) (--account CODE | --all-accounts) [--batch N]`;

const { values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: {
        before: { type: "string" },
        "keep-days": { type: "string" },
        account: { type: "string" },
        "all-accounts": { type: "boolean", default: false },
        batch: { type: "string", default: String(DEFAULT_PURGE_BATCH) },
      },
    });
  } catch (error) {
    process.stderr.write(`calls:purge: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

let cutoff: Date;
let batchSize: number;

function check(): void {
  if ((values.before === undefined) === (values["keep-days"] === undefined)) {
    throw new UsageError("give exactly one of --before and --keep-days");
  }
  if (values.before !== undefined) {
    cutoff = new Date(values.before);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.before) || Number.isNaN(cutoff.getTime())) {
      throw new UsageError("--before must be an ISO date or date-time, e.g. 2025-01-01");
    }
  } else {
    const days = /^[0-9]{1,6}$/.test(values["keep-days"]!) ? Number(values["keep-days"]) : NaN;
    if (!(days >= 1)) throw new UsageError("--keep-days must be a whole number of at least 1");
    cutoff = new Date(Date.now() - days * 24 * 3600 * 1000);
  }
  if ((values.account === undefined) === !values["all-accounts"]) {
    throw new UsageError("give exactly one of --account CODE and --all-accounts");
  }
  batchSize = /^[0-9]{1,6}$/.test(values.batch!) ? Number(values.batch) : NaN;
  if (!(batchSize >= 1 && batchSize <= MAX_PURGE_BATCH)) {
    throw new UsageError(`--batch must be a whole number from 1 to ${MAX_PURGE_BATCH}`);
  }
}

runTool("calls:purge", USAGE, check, async ({ container }) => {
  const accounts = container.get(AccountService);
  const calls = container.get(CallService);
  const all = await accounts.list(cliOperator(null));
  const chosen = values["all-accounts"] ? all : all.filter((a) => a.code === values.account);
  if (chosen.length === 0)
    throw new UsageError(`there is no account with code "${values.account}"`);
  let total = 0;
  for (const account of chosen) {
    const deleted = await inAccount(account.id, () =>
      calls.purgeRecordedBefore(cutoff, cliOperator(account), { batchSize }),
    );
    total += deleted;
    process.stdout.write(`${account.code}: deleted ${deleted} call(s)\n`);
  }
  process.stdout.write(
    `Deleted ${total} call(s) recorded before ${cutoff.toISOString()} in ${chosen.length} account(s)\n`,
  );
});
