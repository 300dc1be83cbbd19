// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/** The infrastructure: folders and files under src/ that know no feature. */
const INFRASTRUCTURE = ["common", "db", "http", "graphql", "events", "config", "logger"];

/**
 * The features, lowest first: each may import the infrastructure and the features before it,
 * never one after it, so no import cycle can form between folders of src/. (The same order is
 * `FEATURES` in src/app.ts; docs/ARCHITECTURE.md says what each one holds.)
 */
const FEATURE_CHAIN = [
  "access",
  "tenancy",
  "audit",
  "changes",
  "statuses",
  "leads",
  "calls",
  "ai",
  "webhooks",
  "accounts",
  "auth",
];

/**
 * Layers: the infrastructure folders import no feature folder and not the composition root;
 * each may import only the folders listed for it. Each feature imports the infrastructure and
 * the features below it in the chain. Only the composition root (src/app.ts), src/main.ts and
 * the command-line tools (src/cli) may import anything.
 */
function onlyImports(folders, allowed, why, paths = []) {
  return {
    files: folders.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths,
          patterns: [
            {
              group: ["../*", "../../*", ...allowed.map((name) => `!../${name}`)],
              message: `src/${folders.join(", ")} may import ${allowed.length > 0 ? `only ${allowed.join(", ")}` : "nothing else"} from src: ${why}`,
            },
          ],
        },
      ],
    },
  };
}

const INFRA_WHY = "features are wired in src/app.ts.";

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
    files: [`src/{${FEATURE_CHAIN.join(",")}}/**/*.ts`],
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
          // A transaction reaches features only as the opaque `Transaction` of `runTransaction`
          // (no methods: the compiler refuses tx.insert(…)); these are the ways round it.
          selector:
            "MemberExpression[property.name=/^(manager|createQueryRunner|createEntityManager)$/]",
          message:
            "Unscoped access: write inside runTransaction(…) and use scoped(tx, Entity) (db/account-scope.ts).",
        },
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message:
            "Use runTransaction(dataSource, (tx) => …) (db/writes.ts): retries, the SQLite gate, the opaque Transaction.",
        },
      ],
    },
  },
  onlyImports(["common"], [], INFRA_WHY),
  onlyImports(["db"], ["common", "config", "logger"], INFRA_WHY),
  onlyImports(["http"], ["common", "config", "logger"], INFRA_WHY),
  onlyImports(["graphql"], ["common", "db", "http", "config", "logger"], INFRA_WHY),
  onlyImports(["events"], ["common", "config", "logger"], INFRA_WHY),
  ...FEATURE_CHAIN.map((feature, index) =>
    onlyImports(
      [feature],
      [...INFRASTRUCTURE, ...FEATURE_CHAIN.slice(0, index)],
      `features form a one-way chain (${FEATURE_CHAIN.join(" < ")}); a relation between two features lives in the higher one, and whatever several features share moves below them.`,
      [
        {
          name: "typeorm",
          importNames: ["EntityManager", "QueryRunner"],
          message:
            "Features hold a transaction only as the opaque Transaction of runTransaction (db/transaction.ts) and reach the data through scoped(…).",
        },
      ],
    ),
  ),
  {
    files: ["test/**/*.ts", "src/cli/**/*.ts", "src/main.ts", "examples/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
