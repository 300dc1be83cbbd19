/**
 * Child processes for end-to-end tests: the compiled service (`dist/src/main.js`) and the compiled
 * operator CLIs, each in its own working directory. Build first with `npx tsc -p tsconfig.json`.
 *
 * Every process and temp directory made here is tracked; call `cleanupProcesses()` in `afterEach`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const MAIN = path.join(REPO_ROOT, "dist", "src", "main.js");
export const APIKEY_CLI = path.join(REPO_ROOT, "dist", "src", "cli", "apikey.js");
export const START_TIMEOUT_MS = 30_000;

/** A whole API key anywhere in a text. */
export const API_KEY_PATTERN = /csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/;

/** The service's and the CLIs' own variables, removed from the inherited environment. */
const SERVICE_VARIABLES = [
  "PORT",
  "HOST",
  "NODE_ENV",
  "LOG_LEVEL",
  "DATABASE_URL",
  "MIGRATIONS_RUN",
  "API_KEY_CACHE_SECONDS",
  "JWT_SECRET",
  "JWT_PUBLIC_KEY",
  "JWT_ROLE_CLAIM",
  "JWT_ISSUER",
  "JWT_AUDIENCE",
];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

export interface Finished extends Exit {
  stdout: string;
  stderr: string;
}

let children: ChildProcess[] = [];
let tempDirs: string[] = [];

/** Kills every child still running (SIGKILL) and removes every temp directory. */
export async function cleanupProcesses(): Promise<void> {
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
}

/** Fails early, with the fix, when the compiled files are missing. */
export function requireBuild(...files: string[]): void {
  for (const file of files.length > 0 ? files : [MAIN]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing — run "npx tsc -p tsconfig.json" before the tests`);
    }
  }
}

/** A fresh temp directory, removed by `cleanupProcesses()`. */
export function tempDir(prefix = "cls-e2e-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
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
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVICE_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

/** Starts a child with piped, collected output; it is killed by `cleanupProcesses()`. */
export function startProcess(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Running {
  const child = spawn(command, args, {
    cwd,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts the compiled service (`node dist/src/main.js`) in `cwd`. */
export function startService(cwd: string, env: Record<string, string>): Running {
  return startProcess(process.execPath, [MAIN], cwd, env);
}

/** Runs a command to its end (bounded by `timeoutMs`), returning its exit and its output. */
export async function runProcess(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Finished> {
  const running = startProcess(command, args, cwd, env);
  const exit = await withTimeout(running.exited, timeoutMs, `${command} ${args.join(" ")} ending`);
  return { ...exit, stdout: running.stdout(), stderr: running.stderr() };
}

/** Runs the compiled API key CLI (`node dist/src/cli/apikey.js ARGS`) in `cwd`. */
export function runApiKeyCli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Finished> {
  return runProcess(process.execPath, [APIKEY_CLI, ...args], cwd, env);
}

/** Resolves with the parsed log line whose message contains `text`; fails on exit or timeout. */
export function waitForLog(running: Running, text: string): Promise<{ msg: string; url?: string }> {
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

/** Starts the service on a free port and waits until it is ready; resolves to its GraphQL URL. */
export async function startReadyService(
  cwd: string,
  env: Record<string, string>,
): Promise<{ running: Running; url: string; port: number }> {
  const port = await freePort();
  const running = startService(cwd, { PORT: String(port), LOG_LEVEL: "info", ...env });
  await waitForLog(running, "GraphQL API ready");
  return { running, url: `http://127.0.0.1:${port}/graphql`, port };
}

/** Stops a running service with SIGTERM and waits for its exit. */
export async function stopService(running: Running, ms = 15_000): Promise<Exit> {
  running.child.kill("SIGTERM");
  return withTimeout(running.exited, ms, "exit after SIGTERM");
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

/** POSTs one GraphQL query to `url`, with `X-Api-Key: key` when a key is given. */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  query: string,
  options: { key?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResult<T>> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(options.key ? { "x-api-key": options.key } : {}),
    ...options.headers,
  };
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query }) });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResult<T>["body"],
  };
}
