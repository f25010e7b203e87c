import { readFileSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

/**
 * tsup leaves `dependencies` and `peerDependencies` out of the bundle, but not
 * `optionalDependencies`: those (native packages such as better-sqlite3) must stay imports too.
 */
function optionalDependencies(): string[] {
  try {
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { optionalDependencies?: Record<string, string> };
    return Object.keys(manifest.optionalDependencies ?? {});
  } catch {
    return [];
  }
}

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
    external: [...optionalDependencies(), ...(library.external ?? [])],
  };
  if (!bins) return defineConfig(base);
  return defineConfig([base, { ...base, entry: bins, format: ["esm"], dts: false, clean: false }]);
}
