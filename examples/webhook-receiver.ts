/**
 * A webhook receiver, as a CRM or a warehouse loader would write one: it verifies each delivery's
 * Standard Webhooks signature with the `standardwebhooks` package, refuses what does not verify
 * (400), skips what it has seen (by `webhook-id`: deliveries are at least once), and answers 2xx
 * quickly — work that takes longer belongs in the receiver's own queue, or the service times the
 * attempt out and sends it again.
 *
 * Run it (after `npm run build`) with the secret `createWebhookEndpoint` returned:
 *   WEBHOOK_SECRET=whsec_… PORT=8080 node dist/examples/webhook-receiver.js
 */
import http from "node:http";
import { Webhook } from "standardwebhooks";

/** An event as it arrives: the change as the change feed gives it. */
export interface ChangeEvent {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  entityId: string;
  leadId: string | null;
  data: Record<string, unknown> | null;
}

// README "Webhooks" shows this function as it is here.
export function createReceiver(secret: string, handle: (event: ChangeEvent) => void) {
  const webhook = new Webhook(secret);
  const seen = new Set<string>(); // keep this in your database in production
  return http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let event: ChangeEvent;
      try {
        // Checks the HMAC of id.timestamp.body with the secret, and that the timestamp is recent.
        event = webhook.verify(body, {
          "webhook-id": String(request.headers["webhook-id"]),
          "webhook-timestamp": String(request.headers["webhook-timestamp"]),
          "webhook-signature": String(request.headers["webhook-signature"]),
        }) as ChangeEvent;
      } catch {
        response.writeHead(400).end("bad signature");
        return;
      }
      if (!seen.has(event.id)) {
        seen.add(event.id);
        handle(event); // e.g. event.type === "call.recorded": update the contact in the CRM
      }
      response.writeHead(204).end();
    });
  });
}

if (require.main === module) {
  const secret = process.env.WEBHOOK_SECRET ?? "";
  createReceiver(secret, (event) =>
    console.log(event.type, event.id, JSON.stringify(event.data)),
  ).listen(Number(process.env.PORT ?? 8080), () => console.log("receiving webhooks"));
}
