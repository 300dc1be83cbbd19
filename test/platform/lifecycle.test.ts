import { describeEachDatabaseKind, TestServer } from "../support/harness";

describeEachDatabaseKind("shutdown", (kind) => {
  it("finishes a request in flight, then refuses new connections and closes the database", async () => {
    const server = new TestServer(kind);
    await server.start();
    try {
      let closing: Promise<void> | undefined;
      server.app.httpServer.once("request", () => {
        closing = server.app.close();
      });
      const inFlight = await server.gql<{ callStatuses: unknown[] }>(`{ callStatuses { code } }`);
      expect(inFlight.status).toBe(200);
      expect(inFlight.data?.callStatuses).toHaveLength(7);
      await closing;
      expect(server.app.dataSource.isInitialized).toBe(false);
      await expect(fetch(server.url, { method: "POST" })).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });
});
