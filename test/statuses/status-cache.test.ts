import {
  describeEachDatabaseKind,
  expectError,
  TestServer,
  type GraphQLResponse,
} from "../support/harness";

/**
 * The in-memory status lists and the stored responses built from them (STATUS_CACHE_*): a change
 * is seen at once where it was made and within the refresh interval elsewhere, a failed change
 * leaves no trace, and a stored response is never given to a caller it was not computed for.
 */

const LIST = `{ callStatuses { code title leadStatus { code } } }`;
const TITLE_OF = `query($code: String!) { callStatus(code: $code) { title version } }`;
const CREATE = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { id code version } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateCallStatusInput!) {
  updateCallStatus(id: $id, input: $input) { id title version }
}`;

type ListData = { callStatuses: Array<{ code: string; title: string }> };

const titles = (data: ListData) =>
  Object.fromEntries(data.callStatuses.map((s) => [s.code, s.title]));

/** Asks `server` until `done` holds for the answer, for at most `ms` (then the last answer). */
async function eventually<T>(
  ask: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await ask();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await ask();
  }
  return value;
}

describeEachDatabaseKind("status cache", (kind) => {
  const writer = new TestServer(kind);
  const other = new TestServer(kind);
  let agentKey: string;

  beforeAll(async () => {
    await writer.start();
    // A second instance on the same database, as behind a load balancer.
    await other.start({}, { database: writer.database });
    agentKey = await writer.createKey("AGENT");
  });
  afterAll(async () => {
    await other.stop();
    await writer.stop();
  });

  it("shows a change at once on the instance that made it, even with warm lists", async () => {
    const before = await writer.ok<ListData>(LIST);
    await writer.ok<ListData>(LIST); // the second answer comes from memory
    expect(titles(before).voicemail).toBe("Voicemail");

    const created = await writer.ok<{ createCallStatus: { id: string } }>(CREATE, {
      input: { code: "callback_later", title: "Callback later" },
    });
    expect(titles(await writer.ok<ListData>(LIST)).callback_later).toBe("Callback later");

    await writer.ok(UPDATE, {
      id: created.createCallStatus.id,
      input: { title: "Call back later" },
    });
    expect(titles(await writer.ok<ListData>(LIST)).callback_later).toBe("Call back later");
    const one = await writer.ok<{ callStatus: { title: string; version: number } }>(TITLE_OF, {
      code: "callback_later",
    });
    expect(one.callStatus).toEqual({ title: "Call back later", version: 2 });
  });

  it("shows a change made through another instance within the refresh interval", async () => {
    await other.ok<ListData>(LIST);
    await other.ok<ListData>(LIST);
    const created = await writer.ok<{ createCallStatus: { id: string } }>(CREATE, {
      input: { code: "seen_elsewhere", title: "Seen elsewhere" },
    });
    const seen = await eventually(
      () => other.ok<ListData>(LIST),
      (data) => titles(data).seen_elsewhere === "Seen elsewhere",
    );
    expect(titles(seen).seen_elsewhere).toBe("Seen elsewhere");

    await writer.ok(UPDATE, {
      id: created.createCallStatus.id,
      input: { title: "Seen elsewhere, renamed" },
    });
    const renamed = await eventually(
      () => other.ok<{ callStatus: { title: string } }>(TITLE_OF, { code: "seen_elsewhere" }),
      (data) => data.callStatus.title === "Seen elsewhere, renamed",
    );
    expect(renamed.callStatus.title).toBe("Seen elsewhere, renamed");
  });

  it("keeps no trace of failed changes, on either instance", async () => {
    const created = await writer.ok<{ createCallStatus: { id: string; version: number } }>(CREATE, {
      input: { code: "guarded", title: "Guarded" },
    });
    await writer.ok<ListData>(LIST);
    // A stale version and a duplicate code: refused, nothing written.
    expectError(
      await writer.gql(UPDATE, {
        id: created.createCallStatus.id,
        input: { title: "Lost update", expectedVersion: 99 },
      }),
      "CONFLICT",
    );
    expectError(
      await writer.gql(CREATE, { input: { code: "guarded", title: "Duplicate" } }),
      "CONFLICT",
    );
    // Many writers racing for one new code while the lists are read: one wins, the rest fail.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? writer.gql(CREATE, { input: { code: "contended", title: `Contended ${i}` } })
          : writer.gql<ListData>(LIST),
      ),
    );
    const winners = results.filter(
      (r: GraphQLResponse) => (r.data as { createCallStatus?: unknown })?.createCallStatus,
    );
    expect(winners).toHaveLength(1);

    for (const server of [writer, other]) {
      const data = await eventually(
        () => server.ok<ListData>(LIST),
        (d) => "contended" in titles(d),
      );
      expect(titles(data).guarded).toBe("Guarded");
      expect(data.callStatuses.filter((s) => s.code === "contended")).toHaveLength(1);
      expect(data.callStatuses.map((s) => s.title)).not.toContain("Lost update");
      expect(data.callStatuses.map((s) => s.title)).not.toContain("Duplicate");
    }
  });

  it("never gives a stored answer to another role", async () => {
    const hidden = await writer.ok<{ createCallStatus: { code: string } }>(CREATE, {
      input: { code: "admin_only_view", title: "Admin only view", agentVisibility: "NEVER" },
    });
    // The same document, first as ADMIN (stored), then as AGENT.
    for (let i = 0; i < 2; i += 1) {
      expect(titles(await writer.ok<ListData>(LIST))).toHaveProperty(hidden.createCallStatus.code);
    }
    for (let i = 0; i < 2; i += 1) {
      const asAgent = await writer.ok<ListData>(LIST, undefined, { "x-api-key": agentKey });
      expect(titles(asAgent)).not.toHaveProperty(hidden.createCallStatus.code);
      expect(titles(asAgent)).toHaveProperty("qualified");
    }
  });

  it("answers a stored response with the same body and headers, never publicly cacheable", async () => {
    const query = `query Outcomes { callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`;
    const send = () =>
      fetch(writer.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": writer.adminKey },
        body: JSON.stringify({ query, operationName: "Outcomes" }),
      });
    const first = await send();
    const firstBody = await first.text();
    writer.resetQueries();
    const second = await send();
    const secondBody = await second.text();
    expect(writer.queries).toEqual([]); // nothing was read, parsed or executed again
    expect(secondBody).toBe(firstBody);
    expect(second.status).toBe(200);
    for (const name of ["content-type", "cache-control"]) {
      expect(second.headers.get(name)).toBe(first.headers.get(name));
    }
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(second.headers.get("x-request-id")).toBeTruthy();
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
  });

  it("still authenticates every request, stored answer or not", async () => {
    const created = await writer.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      `mutation { createApiKey(input: { name: "revoked soon", role: AGENT }) { secret apiKey { id } } }`,
    );
    const key = created.createApiKey.secret;
    const noCache = new TestServer(kind);
    await noCache.start({ auth: { apiKeyCacheSeconds: 0 } }, { database: writer.database });
    try {
      for (let i = 0; i < 2; i += 1) {
        await noCache.ok<ListData>(LIST, undefined, { "x-api-key": key });
      }
      await writer.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
        id: created.createApiKey.apiKey.id,
      });
      const refused = await noCache.gql(LIST, undefined, { "x-api-key": key });
      expect(refused.status).toBe(401);
      expectError(refused, "UNAUTHENTICATED");
      const noKey = await noCache.gql(LIST, undefined, { "x-api-key": "" });
      expectError(noKey, "UNAUTHENTICATED");
    } finally {
      await noCache.stop();
    }
  });

  it("does not store answers that read more than the status lists", async () => {
    const history = `{ callStatuses(filter: { search: "voicemail" }) { code history { action } } }`;
    await writer.ok(history);
    writer.resetQueries();
    await writer.ok(history);
    expect(writer.queries.some((sql) => /audit_log/.test(sql))).toBe(true);

    // Who is asking is not part of the status lists: two ADMIN keys, two answers.
    const viewer = `{ viewer { actorId } callStatuses { code } }`;
    const secondAdmin = await writer.createKey("ADMIN", "second admin");
    type ViewerData = { viewer: { actorId: string } };
    const mine = await writer.ok<ViewerData>(viewer);
    await writer.ok<ViewerData>(viewer);
    const theirs = await writer.ok<ViewerData>(viewer, undefined, { "x-api-key": secondAdmin });
    expect(theirs.viewer.actorId).not.toBe(mine.viewer.actorId);
  });

  it("serves everything from the database when turned off, with the same answers", async () => {
    const off = new TestServer(kind);
    await off.start(
      { statusCache: { enabled: false, refreshMs: 1000, maxAccounts: 1000 } },
      { database: writer.database },
    );
    try {
      const cached = await writer.ok<ListData>(LIST);
      const uncached = await off.ok<ListData>(LIST);
      expect(uncached).toEqual(cached);
      off.resetQueries();
      await off.ok<ListData>(LIST);
      expect(off.queries.length).toBeGreaterThan(0);
      // A change through the cached instance is seen by the uncached one at once.
      await writer.ok(CREATE, { input: { code: "direct_read", title: "Direct read" } });
      expect(titles(await off.ok<ListData>(LIST)).direct_read).toBe("Direct read");
    } finally {
      await off.stop();
    }
  });
});
