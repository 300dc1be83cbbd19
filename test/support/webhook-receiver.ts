/**
 * A local webhook receiver for the tests: an HTTP server on 127.0.0.1 that keeps every request
 * it gets (headers, body) and answers as the test says — a status, a delay, or never.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked by shape
  json: Record<string, any>;
  /** The answer given (or that would have been, for a hung request). */
  answered: number | "hung";
}

/** What to answer the n-th request (0-based): a status, optionally after a delay, or hang. */
export type Answer =
  { status: number; delayMs?: number; body?: string; headers?: Record<string, string> } | "hang";

export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (
    request: { json: Received["json"]; headers: http.IncomingHttpHeaders },
    index: number,
  ) => Answer = () => ({ status: 200 });
  url = "";
  private server?: http.Server;

  async start(path = "/hooks"): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: Received["json"] = {};
        try {
          json = JSON.parse(body) as Received["json"];
        } catch {
          // kept as text
        }
        const answer = this.answer({ json, headers: request.headers }, this.received.length);
        const entry: Received = {
          headers: request.headers,
          body,
          json,
          answered: answer === "hang" ? "hung" : answer.status,
        };
        this.received.push(entry);
        if (answer === "hang") return;
        const reply = () => {
          response.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
          response.end(answer.body ?? "");
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}${path}`;
    return this;
  }

  /** The requests whose event (payload `type`) is one of `types`, or all. */
  events(...types: string[]): Received[] {
    return this.received.filter(
      (entry) => types.length === 0 || types.includes(entry.json.type as string),
    );
  }

  /** Waits until `predicate` holds of what was received (polling), or fails after `ms`. */
  async waitFor(
    predicate: (received: Received[]) => boolean,
    ms = 15_000,
    what = "the webhooks",
  ): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${what} did not arrive within ${ms} ms; received: ${JSON.stringify(this.received.map((r) => [r.json.type, r.json.id, r.answered]))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.received;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
    this.server = undefined;
  }
}
