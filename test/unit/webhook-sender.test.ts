/**
 * One delivery attempt against real local servers: what counts as delivered, redirects not
 * followed, the answer read only up to its bound, the deadline, and private addresses refused
 * when they are not allowed (an IP in the URL, and a name resolved at connection time).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  MAX_PAYLOAD_BYTES,
  MAX_RESPONSE_BYTES,
  sendAttempt,
} from "../../src/webhooks/webhook-sender";

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((request, response) => {
    hits += 1;
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, hits: () => hits };
}

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const OPTIONS = { timeoutMs: 2_000, allowPrivateAddresses: true, userAgent: "test/1" };

describe("a webhook attempt", () => {
  it("POSTs the body with the headers given; a 2xx is delivered", async () => {
    let seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const { url } = await serve((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        seen = {
          method: request.method,
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        };
        response.writeHead(202).end("accepted");
      });
    });
    const result = await sendAttempt(url, '{"a":"é"}', { "webhook-id": "1" }, OPTIONS);
    expect(result).toMatchObject({ ok: true, statusCode: 202, error: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen.method).toBe("POST");
    expect(seen.body).toBe('{"a":"é"}');
    expect(seen.headers).toMatchObject({
      "webhook-id": "1",
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength('{"a":"é"}')),
      "user-agent": "test/1",
    });
  });

  it("keeps the start of a failure's answer, on one line", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(500, { "retry-after": "30" }).end("database\\n down\r\n  retry later");
    });
    const result = await sendAttempt(url, "{}", {}, OPTIONS);
    expect(result).toMatchObject({ ok: false, statusCode: 500, retryAfter: "30" });
    expect(result.error).toBe("HTTP 500: database\\n down retry later");
  });

  it("does not follow a redirect: it is a failure, and the target is never asked", async () => {
    const target = await serve((_request, response) => response.writeHead(200).end());
    const { url } = await serve((_request, response) => {
      response.writeHead(307, { location: target.url }).end();
    });
    const result = await sendAttempt(url, "{}", {}, OPTIONS);
    expect(result).toMatchObject({ ok: false, statusCode: 307 });
    expect(result.error).toMatch(/redirects are not followed/);
    expect(target.hits()).toBe(0);
  });

  it("reads at most 4 KiB of an answer, and does not wait for the rest", async () => {
    const { url } = await serve((_request, response) => {
      // 8 KiB, then nothing more, never the end: only a bounded read finishes before the deadline.
      response.writeHead(200);
      response.write(Buffer.alloc(2 * MAX_RESPONSE_BYTES, "x"));
    });
    const result = await sendAttempt(url, "{}", {}, { ...OPTIONS, timeoutMs: 1_000 });
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
  });

  it("gives up at the deadline when the answer does not come", async () => {
    const { url } = await serve(() => undefined); // never answers
    const result = await sendAttempt(url, "{}", {}, { ...OPTIONS, timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, statusCode: null, error: "no answer within 200 ms" });
  });

  it("reports a refused connection", async () => {
    const result = await sendAttempt("http://127.0.0.1:9/hook", "{}", {}, OPTIONS);
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(result.error).toMatch(/^ECONNREFUSED/);
  });

  it("refuses private addresses unless allowed: an IP in the URL, and a name at connection time", async () => {
    const { url, hits } = await serve((_request, response) => response.writeHead(200).end());
    const strict = { ...OPTIONS, allowPrivateAddresses: false };
    const byIp = await sendAttempt(url, "{}", {}, strict);
    expect(byIp).toMatchObject({ ok: false, statusCode: null });
    expect(byIp.error).toMatch(/^refused: 127\.0\.0\.1 is an address/);
    const byName = await sendAttempt(url.replace("127.0.0.1", "localhost"), "{}", {}, strict);
    expect(byName.ok).toBe(false);
    expect(byName.error).toMatch(/^refused: localhost resolves to/);
    const metadata = await sendAttempt("http://169.254.169.254/latest", "{}", {}, strict);
    expect(metadata.error).toMatch(/^refused/);
    expect(hits()).toBe(0);
  });

  it("refuses what is not an http(s) URL, and a body over the bound, without sending", async () => {
    expect((await sendAttempt("file:///etc/passwd", "{}", {}, OPTIONS)).error).toMatch(/^refused/);
    const { url, hits } = await serve((_request, response) => response.writeHead(200).end());
    const big = await sendAttempt(url, "x".repeat(MAX_PAYLOAD_BYTES + 1), {}, OPTIONS);
    expect(big).toMatchObject({ ok: false, statusCode: null });
    expect(hits()).toBe(0);
  });
});
