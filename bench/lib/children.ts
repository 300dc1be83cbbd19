/**
 * Servers under test, each in its own child process. Every child is tracked and killed when the
 * runner ends — normally, on an error, on a signal, or by the global timeout — and every child
 * also exits by itself when the runner's IPC channel closes (even if the runner is SIGKILLed).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";

export const SERVERS_DIR = path.resolve(__dirname, "..", "servers");

const live = new Set<ChildProcess>();

function alive(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/** SIGKILLs every child still running; synchronous, so it also works in an `exit` handler. */
export function killAllChildrenNow(): void {
  for (const proc of live) {
    if (alive(proc)) {
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

process.on("exit", killAllChildrenNow);

/** Messages a child server sends over IPC. */
export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export class Child {
  private output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Map<string, Array<(message: ChildMessage) => void>>();
  private readonly lineListeners = new Set<(line: string) => void>();
  /** The end of stdout after its last line break. */
  private partialLine = "";

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    live.add(proc);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-16_384);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    const decoder = new StringDecoder("utf8");
    proc.stdout?.on("data", (chunk: Buffer) => this.splitLines(decoder.write(chunk)));
    proc.on("message", (message: ChildMessage) => {
      const queue = this.waiters.get(message?.type);
      const next = queue?.shift();
      if (next) next(message);
    });
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        live.delete(proc);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return alive(this.proc);
  }

  /**
   * Calls `listener` with every complete line the child writes to stdout from now on (e.g. the
   * service's log lines); the returned function stops it.
   */
  onStdoutLine(listener: (line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  private splitLines(text: string): void {
    const all = this.partialLine + text;
    const end = all.lastIndexOf("\n");
    if (end < 0) {
      this.partialLine = all;
      return;
    }
    this.partialLine = all.slice(end + 1);
    if (this.lineListeners.size === 0) return;
    for (const line of all.slice(0, end).split("\n")) {
      for (const listener of this.lineListeners) listener(line);
    }
  }

  /** The last 16 kB the child wrote to stdout and stderr. */
  tail(): string {
    return this.output.trim();
  }

  /** Waits for the next IPC message of `type` (rejects when the child exits or on timeout). */
  waitFor(type: string, timeoutMs: number): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const queue = this.waiters.get(type) ?? [];
      this.waiters.set(type, queue);
      let settled = false;
      const done = (message: ChildMessage) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(message);
      };
      queue.push(done);
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const index = queue.indexOf(done);
        if (index >= 0) queue.splice(index, 1);
        reject(
          new Error(`${this.name}: ${why}${this.tail() ? `\n--- output ---\n${this.tail()}` : ""}`),
        );
      };
      const timer = setTimeout(
        () => fail(`no "${type}" message within ${timeoutMs} ms`),
        timeoutMs,
      );
      void this.exited.then(({ code, signal }) =>
        fail(`exited (code ${code}, signal ${signal}) while waiting for "${type}"`),
      );
    });
  }

  /** Asks the child for something over IPC and waits for the reply of the same type. */
  async ask(type: string, timeoutMs = 5000): Promise<ChildMessage> {
    const reply = this.waitFor(type, timeoutMs);
    this.proc.send({ type });
    return reply;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (this.running) this.proc.kill("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Environment for a child: the runner's, minus every variable the service reads. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const serviceVariable =
    /^(PORT|HOST|NODE_ENV|LOG_LEVEL|DATABASE_.*|MIGRATIONS_RUN|API_KEY_CACHE_SECONDS|SHUTDOWN_TIMEOUT_SECONDS|STATUS_CACHE_.*|JWT_.*|GRAPHQL_.*|HTTP_.*|PHONE_DEFAULT_REGION|CORS_ORIGINS|CHANGE_LOG_.*|SUBSCRIPTIONS_.*|WS_.*|REDIS_.*)$/;
  for (const [key, value] of Object.entries(process.env)) {
    if (!serviceVariable.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Forks one of the compiled scripts in `bench/servers/` with an IPC channel. */
export function forkChild(name: string, script: string, env: Record<string, string>): Child {
  const proc = fork(path.join(SERVERS_DIR, script), [], {
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    execArgv: [],
  });
  return new Child(name, proc);
}

/**
 * Starts one of the bench's own servers (they listen on a free port of their own choosing and
 * report it with a "ready" message).
 */
export async function startBenchServer(
  name: string,
  script: string,
  env: Record<string, string>,
): Promise<{ child: Child; url: string }> {
  const child = forkChild(name, script, { NODE_ENV: "production", ...env });
  try {
    const ready = await child.waitFor("ready", 30_000);
    return { child, url: `http://127.0.0.1:${Number(ready.port)}${String(ready.path ?? "/")}` };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
