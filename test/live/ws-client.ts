/** A graphql-ws client for the tests: subscribe, then read what arrives, with deadlines. */
import {
  createClient,
  type Client,
  type FormattedExecutionResult as ExecutionResult,
} from "graphql-ws";
import WebSocket from "ws";

export interface Subscription<T> {
  /** Every result received so far. */
  received: Array<ExecutionResult<T, unknown>>;
  /** Waits until `count` results have arrived (at most `ms`), then answers them all. */
  waitFor(count: number, ms?: number): Promise<Array<ExecutionResult<T, unknown>>>;
  /** Resolves when the server completes the subscription, rejects with its error. */
  ended: Promise<void>;
  stop(): void;
}

export interface LiveClient {
  client: Client;
  subscribe<T>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  /** Resolves with the close code once the connection closes. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A client of `url` (http://…/graphql) sending `connectionParams` in connection_init. */
export function liveClient(
  url: string,
  connectionParams: Record<string, unknown> | undefined,
  options: { headers?: Record<string, string> } = {},
): LiveClient {
  let onClosed: (value: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: options.headers });
      }
    },
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const received: Array<ExecutionResult<T, unknown>> = [];
      const waiters: Array<() => void> = [];
      let end!: () => void;
      let fail!: (error: unknown) => void;
      const ended = new Promise<void>((resolve, reject) => {
        end = resolve;
        fail = reject;
      });
      ended.catch(() => undefined);
      const stop = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            received.push(value);
            for (const wake of waiters.splice(0)) wake();
          },
          error: (error) => fail(error),
          complete: () => end(),
        },
      );
      return {
        received,
        ended,
        stop,
        async waitFor(count: number, ms = 5000) {
          const deadline = Date.now() + ms;
          while (received.length < count) {
            const left = deadline - Date.now();
            if (left <= 0) {
              throw new Error(
                `expected ${count} results, got ${received.length}: ${JSON.stringify(received)}`,
              );
            }
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, left);
              waiters.push(() => {
                clearTimeout(timer);
                resolve();
              });
            });
          }
          return received.slice(0, count);
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** Waits `ms` and answers nothing: for "nothing more arrives" checks after a change. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
