#!/usr/bin/env node
// Checks the plugin against the lowest Medusa its peerDependencies accept (or a version given as
// the argument): installs @medusajs/framework and @medusajs/medusa at that version in a temporary
// project, type-checks the plugin's server code (src, without the admin extension and tests)
// against them, compiles it, and loads the compiled providers, checking that their options are
// validated. Needs the npm registry and a built @alipayhk/core (`pnpm build`).
//
//   node scripts/check-peer-range.mjs            # the lowest version the range accepts
//   node scripts/check-peer-range.mjs 2.21.1     # another version
//   node scripts/check-peer-range.mjs --keep     # keep the temporary project to look around
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "usage: node scripts/check-peer-range.mjs [version] [--keep]\n\nType-checks, compiles and loads @alipayhk/medusa against @medusajs/framework and @medusajs/medusa at [version] (default: the lowest the peer range accepts).",
  );
  process.exit(0);
}
const pkgDir = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const range = pkg.peerDependencies["@medusajs/framework"];
const lowest = /^>=\s*(\d+\.\d+\.\d+)/.exec(range)?.[1];
const version = args.find((a) => !a.startsWith("--")) ?? lowest;
if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error(`version: expected x.y.z (the peer range is ${JSON.stringify(range)})`);
  process.exit(2);
}
const coreDir = resolve(pkgDir, "../core");
if (!existsSync(join(coreDir, "dist/index.cjs"))) {
  console.error("@alipayhk/core is not built: run `pnpm --filter @alipayhk/core build` first");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), `alipayhk-medusa-peer-${version}-`));
const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: dir, stdio: "inherit" });
try {
  console.log(`checking @alipayhk/medusa against Medusa ${version} (peer range ${range}) in ${dir}`);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: "alipayhk-medusa-peer-check",
        private: true,
        dependencies: {
          "@medusajs/framework": version,
          "@medusajs/medusa": version,
          "@alipayhk/core": `file:${coreDir}`,
          qrcode: pkg.dependencies.qrcode,
        },
        devDependencies: {
          "@types/node": pkg.devDependencies["@types/node"],
          "@types/qrcode": pkg.devDependencies["@types/qrcode"],
          typescript: pkg.devDependencies.typescript,
        },
      },
      null,
      2,
    ),
  );
  cpSync(join(pkgDir, "src"), join(dir, "src"), {
    recursive: true,
    filter: (src) => !src.includes(`${join("src", "admin")}`) && !src.endsWith(".test.ts"),
  });
  const tsconfig = JSON.parse(readFileSync(join(pkgDir, "tsconfig.json"), "utf8"));
  tsconfig.compilerOptions.outDir = "./out";
  tsconfig.compilerOptions.inlineSourceMap = false;
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));

  run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]);
  const require = createRequire(join(dir, "package.json"));
  const installed = JSON.parse(readFileSync(join(dir, "node_modules/@medusajs/framework/package.json"), "utf8")).version;
  if (installed !== version) throw new Error(`installed @medusajs/framework ${installed}, not ${version}`);

  run("npx", ["tsc", "--noEmit", "-p", "."]);
  console.log(`type check against @medusajs/framework ${installed}: ok`);
  run("npx", ["tsc", "-p", "."]);
  const provider = require(join(dir, "out/src/providers/alipayhk/index.js")).default;
  const services = provider.services ?? [];
  const ids = services.map((s) => s.identifier).sort();
  if (ids.join(",") !== "alipayhk-barcode,alipayhk-qr") throw new Error(`expected both providers, got ${ids.join(",")}`);
  let refused = "";
  try {
    services[0].validateOptions({ partner: "123", signType: "MD5", md5Key: "k" });
  } catch (error) {
    refused = error.message;
  }
  if (!/partner/.test(refused)) throw new Error(`a bad partner was not refused (${refused || "no error"})`);
  services[0].validateOptions({
    partner: "2088101122136241",
    signType: "MD5",
    md5Key: "0123456789abcdefghijklmnopqrstuv",
    gateway: "http://127.0.0.1:4010/gateway.do",
  });
  for (const route of ["api/store/alipayhk/payment-sessions/[id]/route.js", "api/hooks/alipayhk/[provider]/route.js", "jobs/alipayhk-sweep-open-sessions.js"]) {
    require(join(dir, "out/src", route));
  }
  console.log(`compiled and loaded the providers, routes and job with Medusa ${installed}: ok`);
} finally {
  if (args.includes("--keep")) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
