import { configDefaults, defineConfig } from "vitest/config";

// Two projects: `unit` holds pure tests beside the code (src/**/*.test.ts); `integration` holds
// tests in each package's test/ folder that talk to a real SQS/SNS endpoint and Postgres. The
// global setup picks the back ends once per run (see test-support/global-setup.ts).
const BROWSER_TESTS = "packages/services/inspector/test/**/*.test.ts";

export default defineConfig({
  test: {
    // Two cores: two test forks leave room for the emulator and Postgres.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "packages/*/*/src/**/*.test.ts",
            "packages/services/inspector/web/**/*.test.ts",
            "ops/src/**/*.test.ts",
            "infra/src/**/*.test.ts",
            "test-support/**/*.test.ts",
            // Saga authors' tests of their definitions (the test kit: no broker, no database).
            "saga-definitions/**/*.test.ts",
          ],
          environment: "node",
          // Property and fuzz tests are bounded by run count, not time; on two shared cores a
          // few hundred runs can take longer than vitest's 5 s default, so the limit only
          // catches a hang.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "packages/*/*/test/**/*.test.ts",
            "ops/test/**/*.test.ts",
            "infra/test/**/*.test.ts",
          ],
          exclude: [...configDefaults.exclude, BROWSER_TESTS],
          environment: "node",
          globalSetup: ["./test-support/global-setup.ts"],
          // Every orchestrator a test starts (in process or as a child) refuses a write to a
          // saga that does not bump its revision by one: the instance cache relies on it.
          env: { SAGAWORKS_TEST_REVISION_GUARD: "1" },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Integration tests that drive a browser: a project of their own so that its global
        // setup, which installs Chromium when missing, runs only when one of them is selected.
        test: {
          name: "browser",
          include: [BROWSER_TESTS],
          environment: "node",
          globalSetup: ["./test-support/chromium.ts", "./test-support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
