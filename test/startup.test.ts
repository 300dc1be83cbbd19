/**
 * End-to-end start-up like `npm start`: the compiled service (`dist/src/main.js`, built with
 * `npx tsc -p tsconfig.json` before the tests run) in a fresh working directory, on SQLite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const MAIN = path.resolve(__dirname, "..", "dist", "src", "main.js");
const START_TIMEOUT_MS = 30_000;

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let children: ChildProcess[] = [];
let tempDirs: string[] = [];

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  }
  children = [];
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs = [];
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cls-startup-"));
  tempDirs.push(dir);
  return dir;
}

/** A port that was free a moment ago (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The environment of the test process without any of the service's own variables. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["PORT", "HOST", "NODE_ENV", "LOG_LEVEL", "DATABASE_URL", "MIGRATIONS_RUN"]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

function startService(cwd: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the parsed log line whose message contains `text`; fails on exit or timeout. */
function waitForLog(running: Running, text: string): Promise<{ msg: string; url?: string }> {
  return new Promise((resolve, reject) => {
    const find = () => {
      for (const line of running.stdout().split("\n")) {
        if (!line.includes(text)) continue;
        try {
          return JSON.parse(line) as { msg: string; url?: string };
        } catch {
          return { msg: line };
        }
      }
      return undefined;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `no "${text}" log within ${START_TIMEOUT_MS} ms:\n${running.stdout()}\n${running.stderr()}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const onData = () => {
      const found = find();
      if (found) {
        cleanup();
        resolve(found);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(
        new Error(
          `exited with ${code} before "${text}":\n${running.stdout()}\n${running.stderr()}`,
        ),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      running.child.stdout!.off("data", onData);
      running.child.off("exit", onExit);
    };
    running.child.stdout!.on("data", onData);
    running.child.once("exit", onExit);
    onData();
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("service start-up (npm start, SQLite)", () => {
  beforeAll(() => {
    if (!fs.existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing — run "npx tsc -p tsconfig.json" before the tests`);
    }
  });

  it("starts with no DATABASE_URL on an embedded SQLite file under ./data, serves, stops on SIGTERM", async () => {
    const cwd = tempDir();
    const port = await freePort();
    const running = startService(cwd, { PORT: String(port), LOG_LEVEL: "info" });

    const ready = await waitForLog(running, "GraphQL API ready");
    expect(ready.msg).toContain(`http://127.0.0.1:${port}/graphql`);
    expect(fs.existsSync(path.join(cwd, "data", "statuses.db"))).toBe(true);

    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ callStatuses { code } }" }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { callStatuses: Array<{ code: string }> } };
    expect(body.data?.callStatuses.map((s) => s.code)).toEqual([
      "qualified",
      "disqualified",
      "voicemail",
      "call_terminated",
      "not_accepted_by_operator",
      "post_processing_not_completed",
      "missed_by_system",
    ]);

    running.child.kill("SIGTERM");
    const exit = await withTimeout(running.exited, 15_000, "exit after SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(running.stderr()).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("refuses DATABASE_URL=postgres://… with exit code 1 and one clear stderr line, no stack", async () => {
    const cwd = tempDir();
    const port = await freePort();
    const running = startService(cwd, {
      PORT: String(port),
      LOG_LEVEL: "info",
      DATABASE_URL: "postgres://x/y",
    });

    const exit = await withTimeout(running.exited, 20_000, "exit on a bad DATABASE_URL");
    expect(exit).toEqual({ code: 1, signal: null });
    const stderr = running.stderr();
    const lines = stderr.split("\n").filter((line) => line.includes("DATABASE_URL"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DATABASE_URL: unsupported scheme "postgres"');
    expect(stderr).not.toContain("    at ");
    expect(running.stdout()).not.toContain("GraphQL API ready");
    expect(fs.existsSync(path.join(cwd, "data"))).toBe(false);
  }, 60_000);
});
