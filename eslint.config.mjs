// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/**
 * Layers: the infrastructure folders import no feature folder (src/statuses, src/calls, …) and
 * not the composition root; each may import only the folders listed for it. Features and the
 * composition root (src/app.ts, src/context.ts) may import anything.
 */
function onlyImports(folders, allowed) {
  return {
    files: folders.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../*", "../../*", ...allowed.map((name) => `!../${name}`)],
              message: `Infrastructure (src/${folders.join(", ")}) may import ${allowed.length > 0 ? `only ${allowed.join(", ")}` : "nothing else"} from src: features are wired in src/app.ts.`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "data/**"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  onlyImports(["common"], []),
  onlyImports(["db"], ["common", "config", "logger"]),
  onlyImports(["http"], ["common", "config", "logger"]),
  onlyImports(["graphql"], ["common", "db", "http", "config", "logger"]),
  {
    files: ["test/**/*.ts", "src/cli/**/*.ts", "src/main.ts", "examples/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
