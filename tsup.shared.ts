import { defineConfig, type Options } from "tsup";

/**
 * The one build config every package re-uses: ESM + CJS + type declarations from `src/index.ts`
 * (plus any extra entries a package names), Node 20 target.
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    ...overrides,
  });
}
