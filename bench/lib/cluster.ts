/**
 * The Galera cluster of `scripts/galera.sh` for the (g) runs: three MariaDB nodes behind HAProxy
 * on this machine. Started here when it is not up (and then stopped at the end); skipped when its
 * packages are missing.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./options";

export const HAPROXY_PORT = Number(process.env.GALERA_PORT ?? 3310);
const SCRIPT = path.join(REPO_ROOT, "scripts", "galera.sh");
const DIR = process.env.GALERA_DIR ?? "/tmp/cls-galera";

/** The packages the cluster needs, or the names of those missing. */
export function missingClusterTools(): string[] {
  return ["haproxy", "mariadb-backup", "socat", "mariadbd"].filter((tool) => {
    try {
      execFileSync("bash", ["-c", `command -v ${tool}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
}

function galera(args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("bash", [SCRIPT, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Makes sure the cluster is up; `stop` stops it only if it was started here. */
export async function ensureCluster(): Promise<{ started: boolean; stop: () => Promise<void> }> {
  if ((await galera(["status"], 30_000)).code === 0) {
    return { started: false, stop: async () => undefined };
  }
  const start = await galera(["start"], 240_000);
  if (start.code !== 0) throw new Error(`scripts/galera.sh start failed: ${start.output}`);
  return {
    started: true,
    stop: async () => {
      await galera(["stop"], 120_000);
    },
  };
}

/** The pids of the three nodes (for their CPU use), as recorded by the script. */
export function clusterNodePids(): number[] {
  return [1, 2, 3].flatMap((node) => {
    try {
      return [Number(fs.readFileSync(path.join(DIR, `n${node}`, "pid.run"), "utf8").trim())];
    } catch {
      return [];
    }
  });
}
