import fs from "node:fs";
import path from "node:path";
import { describeEachDatabase } from "./support/harness";

/** The README's GraphQL examples, in order: they must keep working as written. */
const EXAMPLES = [
  ...fs
    .readFileSync(path.join(__dirname, "..", "README.md"), "utf8")
    .matchAll(/```graphql\n([\s\S]*?)```/g),
].map((match) => match[1]);

describeEachDatabase("README examples", (server) => {
  it("has examples to check", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(6);
  });

  it("run as written, in order, without errors", async () => {
    const results = [];
    for (const example of EXAMPLES) {
      const response = await server.gql(example);
      expect(response.errors).toBeUndefined();
      results.push(response.data);
    }
    expect(results).toContainEqual({
      createCallStatus: { id: "8", code: "perezvonit_pozzhe", version: 1 },
    });
    expect(results).toContainEqual({
      updateCallStatus: { code: "perezvonit_pozzhe", showToAgent: false, version: 2 },
    });
    expect(results).toContainEqual({
      createLead: { id: "1", status: { code: "new", title: "New" } },
    });
    const recorded = results.find((r) => r && "recordCallResult" in r) as {
      recordCallResult: { leadStatusChanged: boolean; lead: { status: { code: string } } };
    };
    expect(recorded.recordCallResult.leadStatusChanged).toBe(true);
    expect(recorded.recordCallResult.lead.status.code).toBe("qualified");
    const after = results.find((r) => r && "lead" in r) as {
      lead: { status: { code: string }; calls: { totalCount: number } };
    };
    expect(after.lead.status.code).toBe("qualified");
    expect(after.lead.calls.totalCount).toBe(1);
  });
});
