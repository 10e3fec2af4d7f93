/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // Type-checking is `npm run typecheck`'s job; jest only transpiles, which keeps the suite fast.
  transform: { "^.+\\.ts$": "<rootDir>/tools/jest-transform.js" },
  // Plans every stack once for the whole run (tests/harness/plans.ts reads them).
  globalSetup: "<rootDir>/tests/harness/globalSetup.ts",
  globalTeardown: "<rootDir>/tests/harness/globalTeardown.ts",
  testTimeout: 30000,
  maxWorkers: 2,
};
