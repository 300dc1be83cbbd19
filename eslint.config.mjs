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
  {
    // One way to the data: account-owned tables only through `scoped(…)` (db/account-scope.ts);
    // a read or write that must cross accounts names its reason with `acrossAccountsRepository`.
    files: ["src/{accounts,ai,audit,auth,calls,leads,statuses}/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='getRepository']",
          message:
            "Use scoped(source, Entity) — or acrossAccountsRepository(source, Entity, reason) where crossing accounts is the point.",
        },
        {
          selector:
            "CallExpression[callee.property.name=/^(query|createQueryBuilder)$/]:not([callee.object.callee.name='acrossAccountsRepository'])",
          message:
            "Unscoped SQL: use scoped(…).queryBuilder(alias), or queryInAccount(…) for raw SQL over account-owned tables.",
        },
        {
          selector:
            "CallExpression[callee.object.name='manager'][callee.property.name=/^(insert|update|delete|save|upsert|find|findBy|findOne|findOneBy|findOneOrFail|count|exists|increment|decrement)$/]",
          message: "Unscoped write or read: use scoped(manager, Entity).",
        },
      ],
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
