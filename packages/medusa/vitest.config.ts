import { defineConfig } from "vitest/config";
import { workspaceAliases } from "../../vitest.shared";

/**
 * Two projects: `unit` (no database, no network) and `integration` (the providers against the
 * sandbox gateway over HTTP, and Medusa's payment module against PostgreSQL via
 * `moduleIntegrationTestRunner`, which calls the jest-style globals and needs a forked process).
 */
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["integration-tests/**/*.test.ts"],
          globals: true,
          pool: "forks",
          fileParallelism: false,
          globalSetup: ["integration-tests/global-setup.ts"],
          env: {
            DB_HOST: process.env.DB_HOST ?? "127.0.0.1",
            DB_USERNAME: process.env.DB_USERNAME ?? "postgres",
          },
        },
      },
    ],
  },
});
