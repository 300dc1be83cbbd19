import { describeEachDatabaseKind, TestServer } from "../support/harness";

interface LogLine {
  msg: string;
  level: number;
  requestId?: string;
  method?: string;
  path?: string;
  operation?: string;
  role?: string;
  keyPrefix?: string;
  status?: number;
  durationMs?: number;
  errorCodes?: string[];
}

describeEachDatabaseKind("request log", (kind) => {
  const server = new TestServer(kind);
  beforeAll(() => server.start({ logLevel: "info" }, { captureLogs: true }));
  afterAll(() => server.stop());

  const requestLines = () =>
    server.logs
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === "request");

  it("writes one JSON line per request: id, operation, caller, status, duration", async () => {
    const secret = await server.createKey("AGENT", "logged agent");
    const before = requestLines().length;
    await server.gql(`query WrapUpOutcomes { callStatuses { code } }`, undefined, {
      "x-api-key": secret,
      "x-request-id": "log-test-1",
    });
    const lines = requestLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: "log-test-1",
      method: "POST",
      path: "/graphql",
      operation: "WrapUpOutcomes",
      role: "AGENT",
      keyPrefix: secret.slice(0, 12),
      status: 200,
    });
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(lines[0].errorCodes).toBeUndefined();
  });

  it("logs refused and failed requests too, with their error codes, never the input", async () => {
    const before = requestLines().length;
    await server.gql(`{ viewer { role } }`, undefined, { "x-api-key": "" });
    await server.gql(
      `mutation Rec { recordCallResult(input: { leadId: "999", callStatusCode: "qualified", comment: "+7 999 SECRET PHONE" }) { call { id } } }`,
    );
    await fetch(`${new URL(server.url).origin}/nope`);
    const lines = requestLines().slice(before);
    expect(lines.map((l) => l.status)).toEqual([401, 200, 404]);
    expect(lines[0].role).toBeUndefined();
    expect(lines[1]).toMatchObject({ operation: "Rec", role: "ADMIN", errorCodes: ["NOT_FOUND"] });
    expect(lines[2].path).toBe("/nope");
    expect(server.logs.join("")).not.toContain("SECRET PHONE");
  });
});
