/** A small GraphQL-over-HTTP client for setting up and checking the servers (not for load). */

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
}

export interface GraphQLReply<T> extends HttpReply {
  data: T | null;
  errors: unknown[] | undefined;
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<HttpReply> {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export function jsonHeaders(apiKey?: string): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(apiKey ? { "x-api-key": apiKey } : {}),
  };
}

/** Sends one operation; returns the reply as it is, parsed. */
export async function request<T>(
  url: string,
  apiKey: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLReply<T>> {
  const reply = await post(url, JSON.stringify({ query, variables }), jsonHeaders(apiKey));
  let parsed: { data?: T | null; errors?: unknown[] } = {};
  try {
    parsed = JSON.parse(reply.text) as typeof parsed;
  } catch {
    // not JSON: reported by the caller through `data: null`
  }
  return { ...reply, data: parsed.data ?? null, errors: parsed.errors };
}

/** Sends one operation and insists on HTTP 200, data and no errors. */
export async function mustRequest<T>(
  url: string,
  apiKey: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const reply = await request<T>(url, apiKey, query, variables);
  if (reply.status !== 200 || reply.errors || reply.data === null) {
    throw new Error(
      `GraphQL request failed (HTTP ${reply.status}): ${reply.text.slice(0, 500)}\nquery: ${query.slice(0, 200)}`,
    );
  }
  return reply.data;
}

/** Polls `url` until it answers HTTP 200. */
export async function waitForHttp200(
  url: string,
  timeoutMs: number,
  stillRunning: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!stillRunning()) throw new Error(`the process exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
