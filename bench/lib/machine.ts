/** The machine the run happened on, and per-process memory and CPU from /proc (Linux). */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./options";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  mariadb: string | null;
  autocannon: string;
  apolloServer: string;
  git: { commit: string; dirtyFiles: number } | null;
  loadAverageAtStart: number;
  loadAverageAtEnd: number | null;
}

function packageVersion(name: string): string {
  try {
    const file = path.join(REPO_ROOT, "node_modules", name, "package.json");
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function gitState(): MachineInfo["git"] {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 5000,
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 5000,
    })
      .split("\n")
      .filter(Boolean).length;
    return { commit, dirtyFiles: dirty };
  } catch {
    return null;
  }
}

export function machineInfo(mariadb: string | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "?",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    mariadb,
    autocannon: packageVersion("autocannon"),
    apolloServer: packageVersion("@apollo/server"),
    git: gitState(),
    loadAverageAtStart: Math.round(os.loadavg()[0] * 100) / 100,
    loadAverageAtEnd: null,
  };
}

/** Resident set size of a process in MiB (VmRSS), or NaN when it cannot be read. */
export function rssMiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : NaN;
  } catch {
    return NaN;
  }
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far, or NaN. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at state = field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** The pid of the local MariaDB/MySQL server process, to show its CPU use; null if not found. */
export function findDatabaseServerPid(): number | null {
  try {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const comm = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
        if (comm !== "mariadbd" && comm !== "mysqld") continue;
        // Not a node of the Galera cluster (scripts/galera.sh), which may be up meanwhile.
        const args = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
        if (!args.includes("--defaults-file=")) return Number(entry);
      } catch {
        // process went away
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/**
 * CPU seconds the whole machine has been busy (all cores, everything but idle and iowait), from
 * /proc/stat; NaN when it cannot be read. The difference to the processes of a scenario is what
 * other processes took meanwhile (noise).
 */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** CPU used by the runner itself (autocannon), in seconds. */
export function runnerCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
