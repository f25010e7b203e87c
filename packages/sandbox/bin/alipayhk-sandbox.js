#!/usr/bin/env node
// The package's bin. The code lives in dist/: in a fresh clone, build first (`pnpm build`).
import("../dist/bin.js").catch((error) => {
  if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist")) {
    process.stderr.write("alipayhk-sandbox: not built yet; run `pnpm build` in the repository first\n");
    process.exit(1);
  }
  throw error;
});
