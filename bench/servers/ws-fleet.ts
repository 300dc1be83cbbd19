/**
 * A fleet of idle WebSocket subscribers in one child process (the live scenario runs a couple
 * of them): each connection speaks graphql-transport-ws by hand with the `ws` package — one
 * `connection_init` with the key, one subscription — as a fleet of wrap-up forms would.
 *
 * Driven by the runner over IPC:
 * - `open` {url, key, query, count, concurrency, title, items}: opens `count` more connections,
 *   at most `concurrency` at a time; each is ready once its first list (sent on subscribing)
 *   has arrived and was checked (`items` statuses, `qualified` titled `title`). Answers
 *   `opened` with how many got ready, how many failed and why.
 * - `expect` {title}: a change is coming; every message from now on is kept with the time it
 *   arrived (CLOCK_MONOTONIC, comparable across processes), nothing parsed yet. Answers
 *   `expecting`.
 * - `collect` {timeoutMs, settleMs}: waits until every ready connection has a message (or the
 *   timeout), then `settleMs` more for any extra one, then checks each message — a `next` with
 *   the list whose `qualified` status has the expected title — and answers `collected` with
 *   the arrival times (ms) and the counts of missing, wrong and extra messages.
 * - `close`: closes every connection and answers `closed` once all are gone.
 * - `stats`: this process's RSS and CPU, answered as `stats`.
 *
 * Protocol-level pings (graphql-ws `ping`) are answered; WebSocket pings are answered by `ws`.
 */
import WebSocket from "ws";
import { exitWithRunner } from "./ipc";

interface Connection {
  socket: WebSocket;
  ready: boolean;
  /** Messages since the last `expect`, with their arrival times (ms, CLOCK_MONOTONIC). */
  got: Array<{ at: number; data: Buffer }>;
}

interface OpenRequest {
  url: string;
  key: string;
  query: string;
  count: number;
  concurrency: number;
  title: string;
  items: number;
}

const connections: Connection[] = [];
/** Connections closed while they should have stayed open, by close code. */
const unexpectedCloses: Record<string, number> = {};
let closing = false;
/** Messages that arrived between changes (none should). */
let strays = 0;
let expecting: string | undefined;
/** Woken whenever a message arrives during a change (collect waits on it). */
let onDelivery: (() => void) | undefined;
let waitingFor = 0;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

interface Result {
  data?: {
    callStatusesChanged?: { callStatuses?: Array<{ code?: string; title?: string }> } | null;
  } | null;
  errors?: unknown[];
}

/** Why a `next` message is not the list expected; undefined when it is. */
function wrongList(text: string, title: string, items?: number): string | undefined {
  let message: { type?: string; payload?: Result };
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  if (message.type !== "next") return `a "${message.type}" message: ${text.slice(0, 200)}`;
  const list = message.payload?.data?.callStatusesChanged?.callStatuses;
  if (!list || message.payload?.errors) return `no list: ${text.slice(0, 300)}`;
  if (items !== undefined && list.length !== items) {
    return `${list.length} statuses, expected ${items}`;
  }
  const qualified = list.find((s) => s.code === "qualified");
  if (qualified?.title !== title) {
    return `qualified is titled ${JSON.stringify(qualified?.title)}, expected ${JSON.stringify(title)}`;
  }
  return undefined;
}

/** One connection, resolved once its first list arrived (or rejected with why it failed). */
function connect(request: OpenRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(request.url, "graphql-transport-ws", { perMessageDeflate: false });
    const connection: Connection = { socket, ready: false, got: [] };
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      socket.terminate();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail("not ready within 60 s"), 60_000);
    socket.on("open", () => {
      socket.send(
        JSON.stringify({ type: "connection_init", payload: { "X-Api-Key": request.key } }),
      );
    });
    socket.on("message", (data: Buffer) => {
      if (connection.ready) {
        if (expecting !== undefined) {
          connection.got.push({ at: nowMs(), data });
          if (connection.got.length === 1) {
            waitingFor -= 1;
            if (waitingFor === 0) onDelivery?.();
          }
          return;
        }
        // Between changes: nothing but a protocol ping is expected.
        const text = data.toString("utf8");
        if (/^\{"type":"ping"/.test(text)) socket.send(JSON.stringify({ type: "pong" }));
        else strays += 1;
        return;
      }
      const text = data.toString("utf8");
      let message: { type?: string };
      try {
        message = JSON.parse(text) as typeof message;
      } catch {
        fail(`not JSON: ${text.slice(0, 200)}`);
        return;
      }
      if (message.type === "connection_ack") {
        socket.send(
          JSON.stringify({ id: "1", type: "subscribe", payload: { query: request.query } }),
        );
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        const wrong = wrongList(text, request.title, request.items);
        if (wrong) {
          fail(`first list: ${wrong}`);
          return;
        }
        clearTimeout(timer);
        connection.ready = true;
        settled = true;
        connections.push(connection);
        resolve();
      } else {
        fail(`unexpected ${text.slice(0, 300)}`);
      }
    });
    socket.on("close", (code, reason) => {
      if (!settled) {
        fail(`closed ${code} ${reason.toString()}`);
      } else if (!closing && connection.ready) {
        unexpectedCloses[code] = (unexpectedCloses[code] ?? 0) + 1;
      }
    });
    socket.on("error", (error) => fail(error.message));
  });
}

async function open(request: OpenRequest): Promise<void> {
  const started = nowMs();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: Math.min(request.concurrency, request.count) }, async () => {
      while (next < request.count) {
        next += 1;
        try {
          await connect(request);
        } catch (error) {
          failed += 1;
          if (errors.length < 5) errors.push((error as Error).message);
        }
      }
    }),
  );
  send({
    type: "opened",
    ready: connections.length,
    failed,
    errors,
    ms: nowMs() - started,
  });
}

function expect(title: string): void {
  expecting = title;
  waitingFor = 0;
  for (const connection of connections) {
    connection.got = [];
    if (connection.socket.readyState === WebSocket.OPEN) waitingFor += 1;
  }
  send({ type: "expecting", connections: waitingFor });
}

async function collect(timeoutMs: number, settleMs: number): Promise<void> {
  const title = expecting;
  if (title === undefined) throw new Error("collect without expect");
  if (waitingFor > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      onDelivery = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    onDelivery = undefined;
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  expecting = undefined;
  const arrivals: number[] = [];
  let missing = 0;
  let wrong = 0;
  let extra = 0;
  const wrongSamples: string[] = [];
  let bytes = 0;
  for (const connection of connections) {
    const [first, ...more] = connection.got;
    connection.got = [];
    extra += more.length;
    if (!first) {
      missing += 1;
      continue;
    }
    arrivals.push(first.at);
    bytes = first.data.length;
    const why = wrongList(first.data.toString("utf8"), title);
    if (why) {
      wrong += 1;
      if (wrongSamples.length < 3) wrongSamples.push(why);
    }
  }
  send({
    type: "collected",
    arrivals,
    missing,
    wrong,
    extra,
    wrongSamples,
    strays,
    bytes,
    unexpectedCloses: { ...unexpectedCloses },
  });
}

async function closeAll(): Promise<void> {
  closing = true;
  const started = nowMs();
  await Promise.all(
    connections.map(
      (connection) =>
        new Promise<void>((resolve) => {
          const socket = connection.socket;
          if (socket.readyState === WebSocket.CLOSED) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            socket.terminate();
            resolve();
          }, 10_000);
          socket.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          socket.close(1000, "bench done");
        }),
    ),
  );
  const count = connections.length;
  connections.length = 0;
  closing = false;
  send({ type: "closed", count, ms: nowMs() - started });
}

process.on("message", (message: { type?: string } & Record<string, unknown>) => {
  const fail = (error: unknown) =>
    send({ type: "failed", error: error instanceof Error ? error.message : String(error) });
  switch (message?.type) {
    case "open":
      open(message as unknown as OpenRequest).catch(fail);
      break;
    case "expect":
      expect(String(message.title));
      break;
    case "collect":
      collect(Number(message.timeoutMs), Number(message.settleMs)).catch(fail);
      break;
    case "close":
      closeAll().catch(fail);
      break;
    case "stats": {
      const usage = process.cpuUsage();
      send({
        type: "stats",
        rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
        cpuSeconds: (usage.user + usage.system) / 1e6,
        connections: connections.length,
      });
      break;
    }
    default:
      break;
  }
});

exitWithRunner(() => {
  closing = true;
  for (const connection of connections) connection.socket.terminate();
});
send({ type: "ready", port: 0, path: "" });
