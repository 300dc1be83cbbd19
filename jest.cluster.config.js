/**
 * The cluster suite (`npm run test:cluster`): the service on a three-node MariaDB Galera cluster
 * behind HAProxy (scripts/galera.sh). Separate from `npm test`, whose roots do not include it;
 * it compiles the tests the same way.
 * @type {import('jest').Config}
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest configs are CommonJS
const base = require("./jest.config.js");

module.exports = {
  testEnvironment: base.testEnvironment,
  testMatch: base.testMatch,
  transform: base.transform,
  roots: ["<rootDir>/test-cluster"],
  globalSetup: "<rootDir>/test-cluster/support/global-setup.ts",
  globalTeardown: "<rootDir>/test-cluster/support/global-teardown.ts",
  testTimeout: 180000,
};
