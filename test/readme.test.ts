import fs from "node:fs";
import path from "node:path";
import { describeEachDatabase } from "./support/harness";

const ROOT = path.join(__dirname, "..");

/** The pages a newcomer reads: the README and the guides it points to. */
const PAGES = [
  "README.md",
  "docs/API.md",
  "docs/CONFIGURATION.md",
  "docs/OPERATIONS.md",
  "docs/DEVELOPMENT.md",
];

const read = (page: string) => fs.readFileSync(path.join(ROOT, page), "utf8");

/** The GraphQL examples of the README and the API guide, in order: they must work as written. */
const EXAMPLES = ["README.md", "docs/API.md"].flatMap((page) =>
  [...read(page).matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]),
);

describeEachDatabase("API guide examples", (server) => {
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
}

describe("the documentation's links", () => {
  it.each(PAGES)("%s links only to files and headings that exist", (page) => {
    const text = read(page).replace(/```[\s\S]*?```/g, "");
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    const local = links.filter((link) => !/^[a-z]+:/.test(link));
    const broken = local.filter((link) => {
      const [target, anchor] = link.split("#");
      const file = target
        ? path.resolve(path.dirname(path.join(ROOT, page)), target)
        : path.join(ROOT, page);
      if (!fs.existsSync(file)) return true;
      return anchor !== undefined && (!file.endsWith(".md") || !anchorsOf(file).has(anchor));
    });
    expect(broken).toEqual([]);
    if (page !== "docs/CONFIGURATION.md") expect(local.length).toBeGreaterThan(0);
  });

  it("reads anchors the way GitHub makes them", () => {
    expect(anchorOf("JWT (optional)")).toBe("jwt-optional");
    expect(anchorOf("Leads and calls: lists and look-ups")).toBe(
      "leads-and-calls-lists-and-look-ups",
    );
    expect(anchorOf("The `NODE_ENV` table")).toBe("the-node_env-table");
  });
});

describe("the README", () => {
  const readme = read("README.md");

  it("is an entry point: a few hundred lines at most, pointing to every guide", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
    for (const page of [...PAGES.slice(1), "docs/ARCHITECTURE.md"]) {
      expect(readme).toContain(`](${page})`);
    }
  });

  it("names, in its list of libraries, every package the service imports", () => {
    const { dependencies } = JSON.parse(read("package.json")) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    const scan = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) scan(file);
        else if (file.endsWith(".ts")) {
          for (const m of read(file).matchAll(/(?:from |import |require\()"([^".][^"]*)"/g)) {
            const [scope, name] = m[1].split("/");
            imported.add(scope.startsWith("@") ? `${scope}/${name}` : scope);
          }
        }
      }
    };
    scan("src");
    scan("migrations");
    const used = Object.keys(dependencies).filter((name) => imported.has(name));
    expect(used.length).toBeGreaterThan(15);
    const libraries = readme.slice(readme.indexOf("## Libraries and why"));
    const missing = used.filter(
      (name) =>
        !libraries.includes(`**${name}**`) && !libraries.includes(`**${name.split("/").pop()}**`),
    );
    expect(missing).toEqual([]);
  });
});
