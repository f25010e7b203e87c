/**
 * The crash and bin tests run the built service (`dist/bin.js`) as a child process: build it
 * first when any source is newer than the bundle (turbo's `test` already builds; this covers a
 * direct `vitest run`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const bin = join(root, "dist", "bin.js");
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest(join(root, "src"))) return;
  execFileSync(process.execPath, [join(root, "node_modules", "tsup", "dist", "cli-default.js")], { cwd: root, stdio: "inherit" });
}
