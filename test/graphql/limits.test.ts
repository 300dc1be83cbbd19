import { graphqlDefaults, type GraphqlConfig } from "../../src/config";
import { describeEachDatabaseKind, expectError, TestServer } from "../support/harness";

/** `leadStatuses { callStatuses { leadStatus { callStatuses { … code } } } }`, `depth` fields deep. */
function nested(depth: number): string {
  let inner = "code";
  for (let level = depth - 1; level >= 1; level -= 1) {
    const field = level === 1 ? "leadStatuses" : level % 2 === 0 ? "callStatuses" : "leadStatus";
    inner = `${field} { ${inner} }`;
  }
  return `{ ${inner} }`;
}

function aliases(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: viewer { role }`).join(" ")} }`;
}

function directives(count: number): string {
  return `{ viewer { ${Array.from({ length: count }, (_, i) => `r${i}: role @include(if: true)`).join(" ")} } }`;
}

/** 9 tokens per fragment (`fragment fN on Viewer { role }` and its spread `...fN`), plus 4. */
function tokens(fragments: number): string {
  const names = Array.from({ length: fragments }, (_, i) => `f${i}`);
  return (
    `{ viewer { ${names.map((n) => `...${n}`).join(" ")} } } ` +
    names.map((n) => `fragment ${n} on Viewer { role }`).join(" ")
  );
}

describeEachDatabaseKind("GraphQL limits", (kind) => {
  const defaults = graphqlDefaults("test");
  const start = async (graphql: Partial<GraphqlConfig> = {}) => {
    const server = new TestServer(kind);
    await server.start({ graphql: { ...defaults, ...graphql } });
    return server;
  };

  describe("with the default limits", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(() => server.stop());

    it("has sane defaults", () => {
      expect(defaults).toMatchObject({
        maxDepth: 12,
        maxAliases: 15,
        maxDirectives: 10,
        maxTokens: 2000,
        maxCost: 50000,
        bodyLimitBytes: 1024 * 1024,
      });
    });

    it("accepts a query at the depth limit and refuses one level deeper", async () => {
      expect((await server.gql(nested(defaults.maxDepth))).errors).toBeUndefined();
      const error = expectError(
        await server.gql(nested(defaults.maxDepth + 1)),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/^Query rejected: .*depth/i);
    });

    it("accepts the alias limit and refuses one more", async () => {
      expect((await server.gql(aliases(defaults.maxAliases))).errors).toBeUndefined();
      const error = expectError(
        await server.gql(aliases(defaults.maxAliases + 1)),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/Aliases limit of 15/);
    });

    it("accepts the directive limit and refuses one more", async () => {
      expect((await server.gql(directives(defaults.maxDirectives))).errors).toBeUndefined();
      const error = expectError(
        await server.gql(directives(defaults.maxDirectives + 1)),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/Directives limit of 10/);
    });

    it("keeps field suggestions outside production", async () => {
      const error = expectError(
        await server.gql(`{ callStatusez { code } }`),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/Did you mean/);
    });

    it("answers /healthz and /readyz without credentials or GraphQL", async () => {
      const origin = new URL(server.url).origin;
      const live = await fetch(`${origin}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: "ok" });
      const ready = await fetch(`${origin}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready" });
    });
  });

  it("refuses a query over the cost limit and accepts one under it", async () => {
    const server = await start({ maxCost: 10 });
    try {
      expect((await server.gql(`{ viewer { role } }`)).errors).toBeUndefined();
      const error = expectError(
        await server.gql(
          `{ callStatuses { code title sort leadStatus { code title callStatuses { code title } } } }`,
        ),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/Cost limit of 10\b/);
    } finally {
      await server.stop();
    }
  });

  it("refuses a document over the token limit before parsing it all, accepts one just under", async () => {
    const server = await start({ maxTokens: 100 });
    try {
      // 9 tokens per fragment + 4: 10 fragments = 94 tokens, 11 = 103
      expect((await server.gql(tokens(10))).errors).toBeUndefined();
      const response = await server.gql(tokens(11));
      expect(response.status).toBe(400);
      const error = expectError(response, "GRAPHQL_PARSE_FAILED");
      expect(error.message).toMatch(/more tha.? 100 tokens/);
    } finally {
      await server.stop();
    }
  });

  it("refuses a body over the size limit with HTTP 413", async () => {
    const server = await start({ bodyLimitBytes: 2048 });
    try {
      const small = await server.gql(`{ viewer { role } }`, { pad: "x".repeat(1000) });
      expect(small.status).toBe(200);
      const big = await server.gql(`{ viewer { role } }`, { pad: "x".repeat(3000) });
      expect(big.status).toBe(413);
      expectError(big, "BAD_REQUEST");
    } finally {
      await server.stop();
    }
  });

  describe("production defaults", () => {
    let server: TestServer;
    beforeAll(async () => {
      // The defaults of production (no introspection, no Sandbox, no suggestions), on a test app
      // so that it has a key to call with.
      server = await start({ ...graphqlDefaults("production") });
    });
    afterAll(() => server.stop());

    it("turns introspection off", async () => {
      const error = expectError(
        await server.gql(`{ __schema { queryType { name } } }`),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).toMatch(/introspection/i);
    });

    it("returns no field suggestions", async () => {
      const error = expectError(
        await server.gql(`{ callStatusez { code } }`),
        "GRAPHQL_VALIDATION_FAILED",
      );
      expect(error.message).not.toMatch(/Did you mean/);
    });

    it("serves no Sandbox page", async () => {
      const page = await fetch(server.url, { headers: { accept: "text/html" } });
      expect(await page.text()).not.toMatch(/<html/i);
    });
  });

  it("serves Sandbox and introspection in production only when enabled explicitly", async () => {
    const server = await start({
      ...graphqlDefaults("production"),
      introspection: true,
      sandbox: true,
    });
    try {
      const page = await fetch(server.url, { headers: { accept: "text/html" } });
      expect(await page.text()).toMatch(/<html/i);
      expect((await server.gql(`{ __schema { queryType { name } } }`)).data).toEqual({
        __schema: { queryType: { name: "Query" } },
      });
    } finally {
      await server.stop();
    }
  });

  it("says /readyz 503 while migrations are pending or the database is gone", async () => {
    const server = await start();
    const origin = new URL(server.url).origin;
    try {
      await server.app.dataSource.undoLastMigration();
      const pending = await fetch(`${origin}/readyz`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toEqual({ status: "unavailable", reason: "migrations pending" });
      await server.app.dataSource.runMigrations();
      expect((await fetch(`${origin}/readyz`)).status).toBe(200);

      await server.app.dataSource.destroy();
      const gone = await fetch(`${origin}/readyz`);
      expect(gone.status).toBe(503);
      expect(await gone.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
      expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
