#!/usr/bin/env node
// The two quick-start commands (`npm start`, `npm test`) land here. On a machine with only Node 20
// and npm this installs what the repo needs (pnpm, dependencies, and for the tests the Debian
// Chromium and php-cli when it runs as root), builds, and runs the main job or the whole suite.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_VERSION = "10.34.9";
const task = process.argv[2];
const extra = process.argv.slice(3);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", COREPACK_INTEGRITY_KEYS: "0" };

function log(message) {
  process.stderr.write(`\n==> ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function has(cmd, args = ["--version"]) {
  try {
    return execFileSync(cmd, args, { env, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

function pnpm() {
  if (has("pnpm") === PNPM_VERSION) return ["pnpm", []];
  log(`installing pnpm ${PNPM_VERSION}`);
  const global = spawnSync("npm", ["install", "--global", `pnpm@${PNPM_VERSION}`], { stdio: "inherit", env });
  if (global.status === 0 && has("pnpm") === PNPM_VERSION) return ["pnpm", []];
  return ["npx", ["--yes", `pnpm@${PNPM_VERSION}`]];
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function ensureSystemPackages() {
  const missing = [];
  if (!existsSync("/usr/bin/chromium")) missing.push("chromium", "chromium-driver");
  if (!has("php", ["-v"])) missing.push("php-cli");
  if (missing.length === 0) return;
  if (!isRoot || !has("apt-get", ["--version"])) {
    log(`missing ${missing.join(", ")}: install them (Debian: apt-get install ${missing.join(" ")}); the browser and PHP tests need them`);
    return;
  }
  log(`installing ${missing.join(", ")} from Debian`);
  run("apt-get", ["update", "-qq"], { env: { ...env, DEBIAN_FRONTEND: "noninteractive" } });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env: { ...env, DEBIAN_FRONTEND: "noninteractive" } });
}

function ensurePostgres() {
  if (!has("pg_isready", ["-h", "127.0.0.1", "-p", "5432"])) {
    if (isRoot && existsSync("/etc/postgresql")) {
      log("starting PostgreSQL");
      spawnSync("sh", ["-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"], { stdio: "inherit", env });
    }
    if (!has("pg_isready", ["-h", "127.0.0.1", "-p", "5432"])) log("PostgreSQL is not answering on 127.0.0.1:5432; the database tests need it");
  }
}

const [pm, pmArgs] = pnpm();
const p = (...args) => run(pm, [...pmArgs, ...args]);

log("installing dependencies");
p("install", "--frozen-lockfile");

if (task === "test") {
  ensureSystemPackages();
  ensurePostgres();
  log("building");
  p("exec", "turbo", "run", "build");
  log("running every test");
  const tests = spawnSync(pm, [...pmArgs, "exec", "turbo", "run", "test", "--concurrency=1", "--continue", ...extra], { cwd: root, stdio: "inherit", env });
  log("checking the published packages as users install them (packed tarballs)");
  const packages = spawnSync(process.execPath, [join(root, "scripts/check-packages.mjs")], { cwd: root, stdio: "inherit", env });
  log("checking format and lint (Biome)");
  const lint = spawnSync(pm, [...pmArgs, "exec", "biome", "ci", "--error-on-warnings", "--reporter=summary", "."], { cwd: root, stdio: "inherit", env });
  if (tests.status !== 0) process.exit(tests.status ?? 1);
  if (packages.status !== 0) process.exit(packages.status ?? 1);
  if (lint.status !== 0) process.exit(lint.status ?? 1);
} else if (task === "start") {
  log("building");
  p("exec", "turbo", "run", "build");
  const demoShop = join(root, "apps/demo-shop/package.json");
  if (existsSync(demoShop)) {
    p("--filter", "@alipayhk/demo-shop", "start", ...extra);
  } else {
    run(process.execPath, [join(root, "packages/cli/dist/bin.js"), "demo", ...extra]);
  }
} else {
  process.stderr.write("usage: node scripts/bootstrap.mjs start|test\n");
  process.exit(2);
}
