import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Tests import workspace packages from source, so a change in core is seen by the sandbox's and
 * adapters' tests without a rebuild. Subpaths first: aliases match in order.
 */
export const workspaceAliases = [
  { find: /^@alipayhk\/core\/testing$/, replacement: `${root}packages/core/src/testing/index.ts` },
  { find: /^@alipayhk\/core\/reconciliation$/, replacement: `${root}packages/core/src/reconciliation/index.ts` },
  { find: /^@alipayhk\/core$/, replacement: `${root}packages/core/src/index.ts` },
  { find: /^@alipayhk\/service-kit$/, replacement: `${root}packages/service-kit/src/index.ts` },
  { find: /^@alipayhk\/sandbox$/, replacement: `${root}packages/sandbox/src/index.ts` },
  { find: /^@alipayhk\/webhook$/, replacement: `${root}packages/webhook/src/index.ts` },
  { find: /^@alipayhk\/woocommerce$/, replacement: `${root}packages/woocommerce/src/index.ts` },
];

export function packageTests(overrides: ViteUserConfig["test"] = {}) {
  return defineConfig({
    resolve: { alias: workspaceAliases },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
