/**
 * The cluster suite (`npm run test:cluster`): the service on a three-node MariaDB Galera cluster
 * behind HAProxy (scripts/galera.sh). Separate from `npm test`, whose roots do not include it.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test-cluster"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: "es2022",
        },
        module: { type: "commonjs" },
      },
    ],
  },
  globalSetup: "<rootDir>/test-cluster/support/global-setup.ts",
  globalTeardown: "<rootDir>/test-cluster/support/global-teardown.ts",
  testTimeout: 180000,
};
