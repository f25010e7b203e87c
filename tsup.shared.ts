import { defineConfig, type Options } from "tsup";

/**
 * The one build config every package re-uses: the library entries as ESM + CJS + type declarations
 * (from `src/index.ts`, plus any extra entries a package names), Node 20 target; command-line
 * entries (`bins`) as ESM only, without declarations, since nothing imports them.
 */
export function packageBuild(overrides: Options & { bins?: Record<string, string> } = {}) {
  const { bins, ...library } = overrides;
  const base: Options = {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    ...library,
  };
  if (!bins) return defineConfig(base);
  return defineConfig([base, { ...base, entry: bins, format: ["esm"], dts: false, clean: false }]);
}
