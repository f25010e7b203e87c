/** docs/protocol-coverage.md is generated from the code; this fails when it was not regenerated. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("docs/protocol-coverage.md", () => {
  it("matches a fresh generation by scripts/coverage-matrix.mjs (run it without --check to update)", async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, ["scripts/coverage-matrix.mjs", "--check"], { cwd: root }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect("stderr" in result ? result.stderr : "").toBe("");
    expect(result).not.toHaveProperty("code", 1);
  });
});
