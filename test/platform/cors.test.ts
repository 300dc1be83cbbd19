/**
 * CORS (`CORS_ORIGINS`): by default any origin may call the API from a browser (its credentials
 * are headers, not cookies, so a page can only use a key it was given). With a list, only those
 * origins get CORS headers, on the preflight and on the actual request; any other origin gets
 * none, so the browser refuses to send or to show the request.
 */
import { describeEachDatabaseKind, TestServer } from "../support/harness";

const ALLOWED = ["https://app.example.com", "http://localhost:5173"];

const QUERY = JSON.stringify({ query: "{ viewer { role } }" });

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function request(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A browser's preflight before a POST with a JSON body and an X-Api-Key header. */
function preflight(server: TestServer, origin: string): Promise<Answer> {
  return request(server.url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type,x-api-key",
    },
  });
}

/** The actual request a browser sends after the preflight, with its Origin. */
function post(server: TestServer, origin: string): Promise<Answer> {
  return request(server.url, {
    method: "POST",
    headers: { origin, "content-type": "application/json", "x-api-key": server.adminKey },
    body: QUERY,
  });
}

/** Every CORS response header the answer carries. */
function corsHeaders(answer: Answer): Record<string, string> {
  return Object.fromEntries(
    [...answer.headers].filter(([name]) => name.startsWith("access-control-")),
  );
}

describeEachDatabaseKind("CORS", (kind) => {
  describe("CORS_ORIGINS unset: any origin", () => {
    const server = new TestServer(kind);
    beforeAll(() => server.start());
    afterAll(() => server.stop());

    it.each(["https://app.example.com", "https://anything.example"])(
      "answers a preflight and a POST from %s with Access-Control-Allow-Origin: *",
      async (origin) => {
        const before = await preflight(server, origin);
        expect(before.status).toBe(204);
        expect(before.headers.get("access-control-allow-origin")).toBe("*");
        expect(before.headers.get("access-control-allow-methods")).toContain("POST");
        const actual = await post(server, origin);
        expect(actual.status).toBe(200);
        expect(actual.headers.get("access-control-allow-origin")).toBe("*");
      },
    );
  });

  describe("CORS_ORIGINS with a list", () => {
    const server = new TestServer(kind);
    beforeAll(() => server.start({ cors: { origins: ALLOWED } }));
    afterAll(() => server.stop());

    it.each(ALLOWED)(
      "answers a preflight from the allowed %s with CORS headers for that origin",
      async (origin) => {
        const answer = await preflight(server, origin);
        expect(answer.status).toBe(204);
        expect(answer.headers.get("access-control-allow-origin")).toBe(origin);
        expect(answer.headers.get("access-control-allow-methods")).toContain("POST");
        expect(answer.headers.get("access-control-allow-headers")).toBe("content-type,x-api-key");
        // The answer depends on the Origin: shared caches must keep one per origin.
        expect(answer.headers.get("vary")).toMatch(/\bOrigin\b/i);
      },
    );

    it.each(ALLOWED)("answers a POST from the allowed %s with its origin", async (origin) => {
      const answer = await post(server, origin);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("access-control-allow-origin")).toBe(origin);
      expect(answer.headers.get("vary")).toMatch(/\bOrigin\b/i);
      expect(JSON.parse(answer.body)).toEqual({ data: { viewer: { role: "ADMIN" } } });
    });

    it.each([
      ["another site", "https://evil.example"],
      ["an allowed host as a prefix of another", "https://app.example.com.evil.example"],
      ["another scheme", "http://app.example.com"],
      ["another port", "https://app.example.com:8443"],
      ["another letter case", "https://APP.example.com"],
      ["an opaque origin", "null"],
    ])("gives %s (%s) no CORS headers, on the preflight or the POST", async (_what, origin) => {
      const before = await preflight(server, origin);
      expect(before.status).toBe(204);
      expect(corsHeaders(before)).toEqual({});
      const actual = await post(server, origin);
      expect(corsHeaders(actual)).toEqual({});
      expect(actual.headers.get("vary")).toMatch(/\bOrigin\b/i);
    });

    it("keeps serving clients that send no Origin (servers, scripts)", async () => {
      const answer = await request(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": server.adminKey },
        body: QUERY,
      });
      expect(answer.status).toBe(200);
      expect(corsHeaders(answer)).toEqual({});
      expect(JSON.parse(answer.body)).toEqual({ data: { viewer: { role: "ADMIN" } } });
    });
  });
});
