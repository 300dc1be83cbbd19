/**
 * The live scenario's subscribers: a few child processes (`servers/ws-fleet.ts`), each holding
 * its share of the WebSocket connections, so that the runner's own event loop (autocannon, the
 * mutations) never waits behind thousands of sockets. Arrival times are CLOCK_MONOTONIC in
 * every process (`process.hrtime`), so they compare with the runner's.
 */
import fs from "node:fs";
import { forkChild, type Child } from "./children";

export interface FleetTarget {
  /** ws://…/graphql */
  url: string;
  key: string;
  query: string;
  /** What the first list must hold: this many statuses, `qualified` titled so. */
  items: number;
  title: string;
}

/** One change as the fleet saw it. */
export interface ChangeSeen {
  /** Arrival times of the first message of each subscriber (ms, CLOCK_MONOTONIC). */
  arrivals: number[];
  missing: number;
  wrong: number;
  extra: number;
  strays: number;
  unexpectedCloses: number;
  wrongSamples: string[];
  /** Size of one delivered message (bytes). */
  bytes: number;
}

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The soft limit of open files of this process (the service and the fleet inherit it). */
export function openFilesLimit(): number {
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return Number.POSITIVE_INFINITY;
    return match[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export class Fleet {
  private readonly sizes: number[];

  private constructor(private readonly children: Child[]) {
    this.sizes = children.map(() => 0);
  }

  /** `processes` fleet processes, none connected yet. */
  static async start(processes: number): Promise<Fleet> {
    const children = Array.from({ length: processes }, (_, i) =>
      forkChild(`ws fleet ${i + 1}`, "ws-fleet.js", { NODE_ENV: "production" }),
    );
    try {
      await Promise.all(children.map((child) => child.waitFor("ready", 30_000)));
    } catch (error) {
      await Promise.all(children.map((child) => child.stop()));
      throw error;
    }
    return new Fleet(children);
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid);
  }

  /** Subscribers connected and ready. */
  get size(): number {
    return this.sizes.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Connects subscribers until `total` are ready, spread evenly over the processes; answers how
   * many failed (with a few reasons) and how long it took.
   */
  async grow(
    total: number,
    target: FleetTarget,
  ): Promise<{ seconds: number; failed: number; errors: string[] }> {
    const started = nowMs();
    const each = this.children.map((_, i) => {
      const share =
        Math.floor(total / this.children.length) + (i < total % this.children.length ? 1 : 0);
      return Math.max(0, share - this.sizes[i]);
    });
    const replies = await Promise.all(
      this.children.map(async (child, i) => {
        if (each[i] === 0) return { ready: this.sizes[i], failed: 0, errors: [] as string[] };
        const reply = child.waitFor("opened", 300_000);
        child.proc.send({ type: "open", ...target, count: each[i], concurrency: 100 });
        const opened = await reply;
        return {
          ready: Number(opened.ready),
          failed: Number(opened.failed),
          errors: opened.errors as string[],
        };
      }),
    );
    replies.forEach((reply, i) => (this.sizes[i] = reply.ready));
    return {
      seconds: (nowMs() - started) / 1000,
      failed: replies.reduce((sum, r) => sum + r.failed, 0),
      errors: replies.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  /**
   * One change: every process is told to keep what arrives from now on, then `change` runs (it
   * answers when its response arrived), then every subscriber's delivery is awaited (at most
   * `timeoutMs`, then `settleMs` more for extra messages) and checked against `title`.
   */
  async change<T>(
    title: string,
    change: () => Promise<T>,
    timeoutMs: number,
    settleMs: number,
  ): Promise<{ result: T; seen: ChangeSeen }> {
    await Promise.all(
      this.children.map((child) => {
        const reply = child.waitFor("expecting", 30_000);
        child.proc.send({ type: "expect", title });
        return reply;
      }),
    );
    const result = await change();
    const replies = await Promise.all(
      this.children.map((child) => {
        const reply = child.waitFor("collected", timeoutMs + settleMs + 60_000);
        child.proc.send({ type: "collect", timeoutMs, settleMs });
        return reply;
      }),
    );
    const seen: ChangeSeen = {
      arrivals: [],
      missing: 0,
      wrong: 0,
      extra: 0,
      strays: 0,
      unexpectedCloses: 0,
      wrongSamples: [],
      bytes: 0,
    };
    for (const reply of replies) {
      for (const at of reply.arrivals as number[]) seen.arrivals.push(at);
      seen.missing += Number(reply.missing);
      seen.wrong += Number(reply.wrong);
      seen.extra += Number(reply.extra);
      seen.strays += Number(reply.strays);
      seen.unexpectedCloses += Object.values(
        reply.unexpectedCloses as Record<string, number>,
      ).reduce((sum, n) => sum + n, 0);
      seen.wrongSamples.push(...(reply.wrongSamples as string[]));
      seen.bytes = Math.max(seen.bytes, Number(reply.bytes));
    }
    return { result, seen };
  }

  /** Closes every connection (the subscribers leave); answers how long it took. */
  async closeAll(): Promise<number> {
    const started = nowMs();
    await Promise.all(
      this.children.map((child) => {
        const reply = child.waitFor("closed", 60_000);
        child.proc.send({ type: "close" });
        return reply;
      }),
    );
    this.sizes.fill(0);
    return (nowMs() - started) / 1000;
  }

  /** RSS of the fleet's processes together (MiB). */
  async rssMiB(): Promise<number> {
    const stats = await Promise.all(this.children.map((child) => child.ask("stats", 10_000)));
    return Math.round(stats.reduce((sum, s) => sum + Number(s.rssMiB), 0) * 10) / 10;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}
