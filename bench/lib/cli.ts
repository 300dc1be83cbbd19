/** The service's own command-line tools (compiled), run as the scenarios' setup steps. */
import { execFile } from "node:child_process";
import path from "node:path";
import { childEnv } from "./children";
import { REPO_ROOT } from "./options";

const CLI_DIR = path.join(REPO_ROOT, "dist", "src", "cli");

export const SEED_CLI = path.join(CLI_DIR, "seed-volume.js");
export const APIKEY_CLI = path.join(CLI_DIR, "apikey.js");
export const ACCOUNT_CLI = path.join(CLI_DIR, "account.js");

/** Runs a CLI with `env` (e.g. DATABASE_URL); answers its stdout, rejects on a failure. */
export function runCli(file: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: REPO_ROOT, env: childEnv(env), timeout: 3 * 3600_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${path.basename(file)} failed: ${error.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

/** The key an `apikey create` printed. */
export function printedKey(output: string): string {
  const key = /csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/.exec(output)?.[0];
  if (!key) throw new Error("apikey CLI printed no key");
  return key;
}
