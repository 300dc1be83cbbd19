import { execFile } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { UNAVAILABLE_MESSAGE } from "../../src/common/errors";
import {
  describeEachDatabase,
  expectError,
  LEAK_PATTERN,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";

const execFileAsync = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What must never reach a client: stack traces, SQL, driver or body-parser messages. */
const LEAK = new RegExp(
  `${LEAK_PATTERN.source}|\\n\\s+at |Unexpected token|SyntaxError|Pool is closed|not open|Driver|TypeORM`,
);

interface RawResponse extends GraphQLResponse {
  text: string;
}

/** The ADMIN key of the server under test, sent unless a request carries its own. */
let apiKey = "";

/** Sends any request to the server and parses a JSON body (when it is JSON). */
async function send(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const headers = new Headers(init.headers);
  if (!headers.has("x-api-key") && !headers.has("authorization")) headers.set("x-api-key", apiKey);
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  let body: Partial<GraphQLResponse> = {};
  try {
    body = JSON.parse(text) as Partial<GraphQLResponse>;
  } catch {
    // not JSON; assertions on `errors` fail with the text in view
  }
  return { status: response.status, headers: response.headers, text, ...body };
}

function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return send(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

function origin(server: TestServer): string {
  return new URL(server.url).origin;
}

describeEachDatabase("HTTP", (server) => {
  beforeAll(() => {
    apiKey = server.adminKey;
  });

  describe("malformed requests", () => {
    it("answers invalid JSON with 400 BAD_REQUEST as JSON, without a stack trace", async () => {
      const response = await postJson(server.url, '{"query": "{ callStatuses { code } }"');
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const error = expectError(response, "BAD_REQUEST");
      expect(error.message).toBe("Request body is not valid JSON.");
      expect(response.text).not.toMatch(LEAK);
    });

    it("answers an unknown path with a JSON 404 NOT_FOUND", async () => {
      const response = await send(`${origin(server)}/nope`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expectError(response, "NOT_FOUND");

      const post = await postJson(`${origin(server)}/nope`, '{"query":"{__typename}"}');
      expect(post.status).toBe(404);
      expectError(post, "NOT_FOUND");
    });

    it("refuses HTTP batching (a JSON array of operations) with a 4xx, not a 500", async () => {
      const response = await postJson(
        server.url,
        JSON.stringify([{ query: "{ __typename }" }, { query: "{ callStatuses { code } }" }]),
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.data).toBeUndefined();
      expectError(response, "BAD_REQUEST");
      expect(response.text).not.toMatch(LEAK);
    });
  });

  describe("request ids", () => {
    it("puts an X-Request-Id on every response", async () => {
      const responses = [
        await postJson(server.url, '{"query":"{ __typename }"}'),
        await postJson(server.url, "{not json"),
        await send(`${origin(server)}/nope`),
        await send(server.url, {
          method: "OPTIONS",
          headers: {
            origin: "http://example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
          },
        }),
        await send(`${server.url}?query=${encodeURIComponent("{__typename}")}`),
      ];
      const ids = responses.map((r) => r.headers.get("x-request-id"));
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(ids.length);
      expect(responses[0].data).toEqual({ __typename: "Query" });
    });

    it("echoes a client-supplied X-Request-Id on a successful response", async () => {
      const ok = await postJson(server.url, '{"query":"{ __typename }"}', {
        "x-request-id": "abc-123",
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-request-id")).toBe("abc-123");
      expect(ok.data).toEqual({ __typename: "Query" });
    });

    const erroneous: Array<
      [string, (url: string, headers: Record<string, string>) => Promise<RawResponse>]
    > = [
      ["invalid JSON", (url, headers) => postJson(url, "{not json", headers)],
      ["an unknown path", (url, headers) => send(`${new URL(url).origin}/nope`, { headers })],
      ["a syntax error", (url, headers) => postJson(url, '{"query":"{ callStatuses { "}', headers)],
      ["an unknown field", (url, headers) => postJson(url, '{"query":"{ nope }"}', headers)],
      [
        "a variable of the wrong type",
        (url, headers) =>
          postJson(
            url,
            JSON.stringify({
              query: "mutation($i: CreateCallStatusInput!){createCallStatus(input:$i){id}}",
              variables: { i: { title: "X", sort: "x" } },
            }),
            headers,
          ),
      ],
      [
        "a batch",
        (url, headers) =>
          postJson(url, '[{"query":"{__typename}"},{"query":"{__typename}"}]', headers),
      ],
      [
        "a GET blocked by CSRF prevention",
        (url, headers) => send(`${url}?query=${encodeURIComponent("{__typename}")}`, { headers }),
      ],
    ];

    it.each(erroneous)(
      "echoes a client-supplied X-Request-Id and puts it on every error, for %s",
      async (_what, request) => {
        const response = await request(server.url, { "x-request-id": "abc-123" });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.headers.get("x-request-id")).toBe("abc-123");
        expect(response.errors?.length).toBeGreaterThan(0);
        for (const error of response.errors ?? []) {
          expect(error.extensions?.requestId).toBe("abc-123");
        }
      },
    );

    it.each([
      ["300 characters", "a".repeat(300)],
      ["spaces", "abc 123"],
      ["markup", "<script>alert(1)</script>"],
      ["quotes", 'abc"123'],
    ])("replaces a malicious X-Request-Id (%s) with a generated one", async (_what, value) => {
      const response = await postJson(server.url, '{"query":"{ nope }"}', {
        "x-request-id": value,
      });
      const id = response.headers.get("x-request-id");
      expect(id).toMatch(UUID);
      expect(id).not.toBe(value);
      const error = expectError(response, "GRAPHQL_VALIDATION_FAILED");
      expect(error.extensions?.requestId).toBe(id);
      expect(response.text).not.toContain(value);
    });
  });

  describe("GraphQL request errors", () => {
    it("reports a syntax error as GRAPHQL_PARSE_FAILED", async () => {
      const response = await server.gql("{ callStatuses { code ");
      expect(response.status).toBe(400);
      expectError(response, "GRAPHQL_PARSE_FAILED");
      expect(response.data).toBeUndefined();
    });

    it("reports an unknown field as GRAPHQL_VALIDATION_FAILED", async () => {
      const response = await server.gql("{ callStatuses { code noSuchField } }");
      expect(response.status).toBe(400);
      const error = expectError(response, "GRAPHQL_VALIDATION_FAILED");
      expect(error.message).toContain("noSuchField");
    });

    it("reports a variable of the wrong type as BAD_USER_INPUT naming the field", async () => {
      const response = await server.gql(
        "mutation($i: CreateCallStatusInput!){createCallStatus(input:$i){id}}",
        { i: { title: "Callback", sort: "x" } },
      );
      expect(response.status).toBe(400);
      const error = expectError(response, "BAD_USER_INPUT", "sort");
      expect(error.extensions?.fields?.[0].field).toBe("sort");
      expect(response.data).toBeUndefined();
      // nothing was created
      const data = await server.ok<{ callStatuses: Array<{ code: string }> }>(
        "{ callStatuses { code } }",
      );
      expect(data.callStatuses).toHaveLength(7);
    });
  });

  describe("GET and CSRF prevention", () => {
    it("serves a GET query sent with apollo-require-preflight", async () => {
      const response = await send(`${server.url}?query=${encodeURIComponent("{__typename}")}`, {
        headers: { "apollo-require-preflight": "true" },
      });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ __typename: "Query" });
      expect(response.errors).toBeUndefined();
    });

    it("blocks a GET without a preflight header or content-type (CSRF prevention)", async () => {
      const response = await send(
        `${server.url}?query=${encodeURIComponent("{ callStatuses { code } }")}`,
      );
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(expectError(response, "BAD_REQUEST").message).toMatch(/CSRF/);
      expect(response.text).not.toContain("qualified");
      expect(response.text).not.toMatch(LEAK);
    });
  });

  // Last: this block destroys the database of its own server.
  describe("when the database is gone", () => {
    const gone = new TestServer(server.kind);
    beforeAll(() => gone.start());
    // app.close() skips a data source that is no longer initialized, so stop() tolerates it.
    afterAll(() => gone.stop());

    it("answers SERVICE_UNAVAILABLE without driver text, not a 500, and keeps serving", async () => {
      expect(
        (await gone.ok<{ callStatuses: unknown[] }>("{ callStatuses { code } }")).callStatuses,
      ).toHaveLength(7);
      const unusedKey = await gone.createKey("AGENT", "never verified before the outage");

      await gone.app.dataSource.destroy();

      // (Status lists confirmed within STATUS_CACHE_REFRESH_MS would still come from memory.)
      const response = await gone.gql("{ leads(first: 1) { totalCount } }", undefined, {
        "x-request-id": "db-gone-1",
      });
      // Nothing could be answered: 503 with Retry-After, like a credential that cannot be checked.
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      const error = expectError(response, "SERVICE_UNAVAILABLE");
      expect(error.message).toBe(UNAVAILABLE_MESSAGE);
      expect(error.extensions?.requestId).toBe("db-gone-1");
      expect(JSON.stringify(response)).not.toMatch(LEAK);

      // The process is still alive and answering.
      const again = await gone.gql('{ lead(id: "1") { id } }');
      expectError(again, "SERVICE_UNAVAILABLE");
      const alive = await gone.gql("{ __typename }");
      expect(alive.status).toBe(200);
      expect(alive.data).toEqual({ __typename: "Query" });

      // A key that is not cached cannot be checked: the whole request is unavailable (503).
      const unchecked = await gone.gql("{ __typename }", undefined, { "x-api-key": unusedKey });
      expect(unchecked.status).toBe(503);
      expect(unchecked.headers.get("retry-after")).toBe("5");
      expectError(unchecked, "SERVICE_UNAVAILABLE");
      expect(unchecked.errors?.[0].extensions?.requestId).toMatch(UUID);
      expect(JSON.stringify(unchecked)).not.toMatch(LEAK);
    });
  });
});

describe("the Host header", () => {
  const server = new TestServer("sqlite");
  beforeAll(() => server.start({}, { captureLogs: true }));
  afterAll(() => server.stop());

  /** Sends one request over a raw socket (no client fills the Host in) and reads the answer. */
  function raw(request: string): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(request));
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString("utf8")));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
  }

  const body = JSON.stringify({ query: "{ __typename }" });
  const post = (version: "1.0" | "1.1", hostLine: string) =>
    `POST /graphql HTTP/${version}\r\n${hostLine}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

  it.each([
    ["missing (HTTP/1.0)", post("1.0", "")],
    ["empty", post("1.1", "Host: \r\n")],
    ["with a space", post("1.1", "Host: a b\r\n")],
    ["only a colon", post("1.1", "Host: :\r\n")],
    ["an unclosed IPv6 bracket", post("1.1", "Host: [::1\r\n")],
    ["with a path", post("1.1", "Host: a/b\r\n")],
    ["with user info", post("1.1", "Host: user@a\r\n")],
  ])(
    "answers a Host header %s with 400 BAD_REQUEST as JSON, logged without an error",
    async (_what, request) => {
      const before = server.logs.length;
      const answer = await raw(request);
      expect(answer).toMatch(/^HTTP\/1\.[01] 400 /);
      const json = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as GraphQLResponse;
      expect(json.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
      expect(json.errors?.[0]?.message).toMatch(/Host header/);
      expect(answer).not.toMatch(LEAK);
      const logged = server.logs.slice(before).map((line) => JSON.parse(line) as { level: number });
      expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    },
  );

  it.each([
    ["a name and port", "Host: localhost:4000\r\n"],
    ["an IPv4 address", "Host: 127.0.0.1\r\n"],
    ["an IPv6 address and port", "Host: [::1]:4000\r\n"],
  ])("serves a request whose Host is %s", async (_what, hostLine) => {
    const answer = await raw(
      post("1.1", hostLine).replace("Connection:", `X-Api-Key: ${server.adminKey}\r\nConnection:`),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"__typename":"Query"');
  });

  it("keeps the health checks open to checkers that send no Host (HTTP/1.0)", async () => {
    const answer = await raw("GET /healthz HTTP/1.0\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe("a body over the size limit", () => {
  const server = new TestServer("sqlite");
  beforeAll(() => server.start({}, { captureLogs: true }));
  afterAll(() => server.stop());

  /**
   * Each body is sent this many times per way of sending it: without the lingering close, fetch
   * lost about one answer in four to the reset, and a client that reads last lost every one.
   */
  const ATTEMPTS = 12;

  /** A JSON body of about `times` the body limit (the default, 1 MiB). */
  function oversized(times: number): Buffer {
    const size = times * server.app.config.graphql.bodyLimitBytes;
    return Buffer.from(JSON.stringify({ query: "{ __typename }", pad: "x".repeat(size) }));
  }

  /** The 64 KiB pieces of `body`, as a client streaming it would send them. */
  function pieces(body: Buffer): Buffer[] {
    const result: Buffer[] = [];
    for (let at = 0; at < body.length; at += 65536) result.push(body.subarray(at, at + 65536));
    return result;
  }

  function expectTooLarge(status: number, connection: string | null, json: string): void {
    expect(status).toBe(413);
    expect(connection).toBe("close");
    const error = expectError(JSON.parse(json) as GraphQLResponse, "BAD_REQUEST");
    expect(error.message).toBe("Request body is too large.");
    expect(error.extensions?.requestId).toMatch(UUID);
  }

  /**
   * Sends a POST over a raw socket the way a simple client does: writes the whole request (the
   * last write done, that is in the kernel's hands), only then reads the answer, up to the
   * server's close. Rejects when the connection fails on the way (EPIPE, ECONNRESET).
   */
  function writeAllThenRead(framing: string, body: Buffer[]): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => {
        socket.write(
          `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}\r\n`,
        );
        body.forEach((piece, index) =>
          socket.write(piece, (error) => {
            if (index === body.length - 1 && !error) socket.on("data", read);
          }),
        );
      });
      let received = "";
      const read = (chunk: Buffer) => (received += chunk.toString("utf8"));
      socket.on("end", () => resolve(received));
      socket.on("error", (error: NodeJS.ErrnoException) =>
        reject(new Error(`${error.code} after ${received.length} characters of answer`)),
      );
    });
  }

  /** Status, Connection header and body of an HTTP/1.1 answer read off a socket. */
  function parseAnswer(answer: string): [number, string | null, string] {
    const [head, body = ""] = answer.split("\r\n\r\n", 2);
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
    const connection = /\r\nconnection: *([^\r]*)/i.exec(head)?.[1] ?? null;
    return [status, connection, body];
  }

  /**
   * A client process that POSTs a JSON body of `size` bytes `attempts` times with fetch, with a
   * Content-Length or chunked, and prints what it got each time. A process of its own, as a real
   * client is: sharing the server's event loop, fetch always read the 413 before the reset.
   */
  const FETCH_CLIENT = `
    const { url, size, attempts, chunked } = JSON.parse(process.argv[1]);
    const body = Buffer.from(JSON.stringify({ query: "{ __typename }", pad: "x".repeat(size) }));
    const stream = () => new ReadableStream({ start(controller) {
      for (let at = 0; at < body.length; at += 65536) controller.enqueue(body.subarray(at, at + 65536));
      controller.close();
    } });
    (async () => {
      const outcomes = [];
      for (let attempt = 0; attempt < attempts; attempt++) {
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            ...(chunked ? { body: stream(), duplex: "half" } : { body }),
          });
          const text = await response.text();
          outcomes.push({ status: response.status, connection: response.headers.get("connection"), text });
        } catch (error) {
          outcomes.push({ failure: error.message + ": " + (error.cause?.code ?? error.cause?.message) });
        }
      }
      process.stdout.write(JSON.stringify(outcomes));
    })();`;

  interface FetchOutcome {
    status?: number;
    connection?: string | null;
    text?: string;
    failure?: string;
  }

  it.each([
    ["a Content-Length", 8],
    ["a Content-Length", 32],
    ["a chunked body", 8],
    ["a chunked body", 32],
  ])("answers fetch a readable 413 every time, for %s %i times the limit", async (way, times) => {
    const size = times * server.app.config.graphql.bodyLimitBytes;
    const { stdout } = await execFileAsync(process.execPath, [
      "-e",
      FETCH_CLIENT,
      JSON.stringify({
        url: server.url,
        size,
        attempts: ATTEMPTS,
        chunked: way !== "a Content-Length",
      }),
    ]);
    const outcomes = JSON.parse(stdout) as FetchOutcome[];
    expect(outcomes).toHaveLength(ATTEMPTS);
    expect(outcomes.filter((outcome) => outcome.failure)).toEqual([]);
    for (const { status, connection, text } of outcomes) {
      expectTooLarge(status ?? 0, connection ?? null, text ?? "");
    }
  });

  it.each([
    ["a Content-Length", 8],
    ["a Content-Length", 32],
    ["a chunked body", 8],
    ["a chunked body", 32],
  ])(
    "answers a client that writes everything before reading a 413 every time, for %s %i times the limit",
    async (way, times) => {
      const body = oversized(times);
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const answer =
          way === "a chunked body"
            ? await writeAllThenRead("Transfer-Encoding: chunked\r\n", [
                ...pieces(body).flatMap((piece) => [
                  Buffer.from(`${piece.length.toString(16)}\r\n`),
                  piece,
                  Buffer.from("\r\n"),
                ]),
                Buffer.from("0\r\n\r\n"),
              ])
            : await writeAllThenRead(`Content-Length: ${body.length}\r\n`, [body]);
        expectTooLarge(...parseAnswer(answer));
      }
    },
  );

  it("logs each as a client error, and keeps normal connections alive", async () => {
    const before = server.logs.length;
    const body = oversized(8);
    for (let attempt = 0; attempt < 3; attempt++) {
      expectTooLarge(
        ...parseAnswer(await writeAllThenRead(`Content-Length: ${body.length}\r\n`, [body])),
      );
    }
    const normal = await server.gql("{ __typename }");
    expect(normal.status).toBe(200);
    expect(normal.headers.get("connection")).toBe("keep-alive");

    const lines = server.logs
      .slice(before)
      .map((line) => JSON.parse(line) as { level: number; msg: string; status?: number });
    const refused = lines.filter((line) => line.msg === "request" && line.status === 413);
    expect(refused.map((line) => line.level)).toEqual([30, 30, 30]);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });
});

describe("shutting down while a refused body is still arriving", () => {
  const server = new TestServer("sqlite");
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it("closes that connection at once rather than reading on until the discard bound", async () => {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    let answer = "";
    const answered = new Promise<void>((resolve) =>
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("utf8");
        if (answer.includes("\r\n\r\n")) resolve();
      }),
    );
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => {});
    socket.write(
      "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    // A client still uploading: 2 MiB at once (over the 1 MiB limit), then a piece every 50 ms.
    const piece = (size: number) => `${size.toString(16)}\r\n${"x".repeat(size)}\r\n`;
    socket.write(piece(2 * 1024 * 1024));
    const uploading = setInterval(() => socket.writable && socket.write(piece(1024)), 50);
    try {
      await answered;
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      // The body would be read on to its end (at most 10 s): a shutdown closes the connection at
      // once instead, since no request is in flight on it (Fastify closes idle connections).
      await server.stop();
      await closed;
    } finally {
      clearInterval(uploading);
      socket.destroy();
    }
  });
});
