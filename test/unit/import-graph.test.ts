/**
 * No import cycle between the folders (and top-level files) of src/: the graph of which folder
 * imports which, read from the source itself, has no cycle. The lint's per-folder allow-lists
 * (eslint.config.mjs) keep it so file by file; this test is the whole-graph check.
 */
import fs from "node:fs";
import path from "node:path";

const SRC = path.join(__dirname, "..", "..", "src");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** `statuses` for src/statuses/x.ts, `config` for src/config.ts; null outside src. */
function nodeOf(file: string): string | null {
  const relative = path.relative(SRC, file);
  if (relative.startsWith("..")) return null;
  const [first, ...rest] = relative.split(path.sep);
  return rest.length > 0 ? first : first.replace(/\.ts$/, "");
}

/** Folder → the folders it imports (relative imports inside src/, type imports included). */
export function folderGraph(files: string[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = nodeOf(file)!;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    const text = fs.readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from|import\(|require\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const to = nodeOf(path.resolve(path.dirname(file), match[1]));
      if (to !== null && to !== from) edges.add(to);
    }
  }
  return graph;
}

/** One cycle of the graph, as a path that starts and ends at the same node; null when none. */
export function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

describe("the folders of src/", () => {
  it("import each other without a cycle", () => {
    const graph = folderGraph(sourceFiles(SRC));
    expect(graph.size).toBeGreaterThan(10);
    const cycle = findCycle(graph);
    expect(cycle === null ? "no cycle" : cycle.join(" → ")).toBe("no cycle");
  });

  it("the feature chain is the one the lint and the composition root declare", () => {
    const eslint = fs.readFileSync(path.join(SRC, "..", "eslint.config.mjs"), "utf8");
    const declared = /const FEATURE_CHAIN = \[([^\]]*)\]/.exec(eslint)?.[1];
    const chain = [...(declared ?? "").matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
    const graph = folderGraph(sourceFiles(SRC));
    // Every folder of src/ is in the chain, infrastructure, or an entry point.
    const known = new Set([
      ...chain,
      ...["common", "db", "http", "graphql", "events", "config", "logger"],
    ]);
    const entryPoints = new Set(["app", "main", "cli"]);
    const unplaced = [...graph.keys()].filter((node) => !known.has(node) && !entryPoints.has(node));
    expect(unplaced).toEqual([]);
    // Each feature imports only features below it.
    for (const [index, feature] of chain.entries()) {
      const above = new Set(chain.slice(index + 1));
      const upward = [...(graph.get(feature) ?? [])].filter(
        (to) => above.has(to) || entryPoints.has(to),
      );
      expect({ feature, upward }).toEqual({ feature, upward: [] });
    }
  });
});

describe("the migrations", () => {
  it("are all listed, in file order, in migrations/index.ts (a file left out would never run)", () => {
    const dir = path.join(SRC, "..", "migrations");
    const files = fs
      .readdirSync(dir)
      .filter((name) => /^\d+-.+\.ts$/.test(name))
      .sort();
    const index = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    const imported = [...index.matchAll(/from "\.\/(\d+-[^"]+)"/g)].map((m) => `${m[1]}.ts`);
    const listed = /MIGRATIONS = \[([^\]]*)\]/.exec(index)?.[1].match(/[A-Za-z]+\d+/g) ?? [];
    expect(imported).toEqual(files);
    // The list names each imported class once, in the same order.
    const classes = [...index.matchAll(/import \{ ([A-Za-z]+\d+) \}/g)].map((m) => m[1]);
    expect(listed).toEqual(classes);
  });

  it("import nothing from src/: what an old migration does never changes with the live code", () => {
    const dir = path.join(SRC, "..", "migrations");
    const importsOfSrc = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith(".ts"))
      .flatMap((name) =>
        [...fs.readFileSync(path.join(dir, name), "utf8").matchAll(/from\s+["']([^"']+)["']/g)]
          .map((match) => match[1])
          .filter((target) => target.startsWith("../src") || target.startsWith("../../src"))
          .map((target) => `${name} → ${target}`),
      );
    expect(importsOfSrc).toEqual([]);
  });
});

describe("findCycle", () => {
  const graphOf = (edges: Record<string, string[]>) =>
    new Map(Object.entries(edges).map(([node, to]) => [node, new Set(to)]));

  it("finds a cycle through several folders", () => {
    expect(findCycle(graphOf({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] }))).toEqual([
      "a",
      "b",
      "c",
      "a",
    ]);
  });

  it("finds none in a chain with shortcuts", () => {
    expect(findCycle(graphOf({ a: ["b", "c"], b: ["c"], c: [] }))).toBeNull();
  });
});
