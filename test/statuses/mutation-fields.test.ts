import { describeEachDatabaseKind, TestServer } from "../support/harness";

interface Linked {
  code: string;
  leadStatus: { code: string; callStatuses: Array<{ code: string; title: string }> };
}

/**
 * A mutation's root fields run one after the other; each must be answered from the data as it
 * is after its own write, not from what an earlier field of the same request loaded.
 */
describeEachDatabaseKind("a mutation with several fields", (kind) => {
  describe.each([
    ["with the status cache", true],
    ["with the status cache off", false],
  ])("%s", (_title, enabled) => {
    const server = new TestServer(kind);
    beforeAll(() => server.start({ statusCache: { enabled, refreshMs: 1000, maxAccounts: 1000 } }));
    afterAll(() => server.stop());

    it("answers each create from the lists as they are after it", async () => {
      const data = await server.ok<{ a: Linked; b: Linked }>(`mutation {
        a: createCallStatus(input: { code: "aa", title: "A", leadStatusCode: "qualified" }) {
          code leadStatus { code callStatuses { code title } }
        }
        b: createCallStatus(input: { code: "bb", title: "B", leadStatusCode: "qualified" }) {
          code leadStatus { code callStatuses { code title } }
        }
      }`);
      const codesOf = (linked: Linked) => linked.leadStatus.callStatuses.map((s) => s.code);
      expect(codesOf(data.a)).toContain("aa");
      expect(codesOf(data.a)).not.toContain("bb");
      expect(codesOf(data.b)).toEqual(expect.arrayContaining(["aa", "bb"]));
      // The same as a fresh read afterwards.
      const fresh = await server.ok<{ leadStatus: Linked["leadStatus"] }>(
        `{ leadStatus(code: "qualified") { code callStatuses { code title } } }`,
      );
      expect(data.b.leadStatus).toEqual(fresh.leadStatus);
    });

    it("answers a later field with the change an earlier field made", async () => {
      const data = await server.ok<{ rename: Linked; relink: Linked }>(`mutation {
        rename: updateCallStatus(id: "1", input: { title: "Qualified (renamed ${String(enabled)})" }) {
          code leadStatus { code callStatuses { code title } }
        }
        relink: createCallStatus(input: { title: "Relinked ${String(enabled)}", leadStatusCode: "qualified" }) {
          code leadStatus { code callStatuses { code title } }
        }
      }`);
      const qualified = data.relink.leadStatus.callStatuses.find((s) => s.code === "qualified");
      expect(qualified?.title).toBe(`Qualified (renamed ${String(enabled)})`);
      expect(data.relink.leadStatus.callStatuses.map((s) => s.code)).toContain(data.relink.code);
    });
  });
});
