#!/usr/bin/env node
// Checks the published packages as a user gets them: packs each one (pnpm pack, so workspace
// versions are rewritten), lints the tarball with publint (--strict) and @arethetypeswrong/cli,
// installs all tarballs into an empty npm project, then imports every entry with ESM and CJS,
// type-checks an importer under `node16` and `bundler` resolution, and runs each bin's --help.
// Usage: node scripts/check-packages.mjs [--keep] [--help]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(
    "usage: node scripts/check-packages.mjs [--keep]\n" +
      "Packs every published package, runs publint --strict and attw on the tarballs, installs them into an\n" +
      "empty project, imports each entry (ESM and CJS), type-checks under node16 and bundler, runs each bin --help.\n" +
      "  --keep   keep the temporary project and print its path\n",
  );
  process.exit(0);
}
const unknown = args.filter((a) => a !== "--keep");
if (unknown.length) {
  process.stderr.write(`check-packages: unknown option ${unknown[0]}; expected --keep or --help\n`);
  process.exit(2);
}

const bin = (name) => join(root, "node_modules", ".bin", name);
const failures = [];
let step = 0;
function log(message) {
  process.stderr.write(`[check-packages ${++step}] ${message}\n`);
}
function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { encoding: "utf8", ...options });
  return { ok: result.status === 0, out: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}
function fail(what, detail) {
  failures.push(what);
  process.stderr.write(`FAIL ${what}\n${detail ? `${detail.split("\n").slice(0, 40).join("\n")}\n` : ""}`);
}

/** Workspace packages that are published (not private), with what they export. */
function publishedPackages() {
  const out = [];
  for (const dir of readdirSync(join(root, "packages"))) {
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
    if (manifest.private) continue;
    out.push({ dir: join(root, "packages", dir), manifest });
  }
  return out;
}

/**
 * A plugin loaded by its host (a Medusa plugin: its entries import the host's packages, declared
 * as peers): linted and type-checked through its own entries, not imported stand-alone.
 */
/** Peers that ship no types of their own: a TypeScript user of the package has these too. */
const PEER_TYPES = { react: "@types/react@^18", "react-dom": "@types/react-dom@^18" };

/** What users of a host plugin import through its wildcard exports (checked with attw). */
const HOST_ENTRYPOINTS = { "@alipayhk/medusa": ["providers/alipayhk", "lib/options-from-env", "lib/sweep-open-sessions"] };

const isHostPlugin = (manifest) => Object.keys(manifest.peerDependencies ?? {}).some((name) => name.startsWith("@medusajs/"));

/** Library entries to import: every non-wildcard export except package.json (none for host plugins). */
function entriesOf(manifest) {
  if (isHostPlugin(manifest)) return [];
  const exp = manifest.exports ?? {};
  return Object.entries(exp)
    .filter(([key]) => key !== "./package.json" && !key.includes("*"))
    .map(([key, target]) => ({
      specifier: key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      cjs: JSON.stringify(target).includes('"require"') || (typeof target === "object" && "default" in target && String(target.default).endsWith(".cjs")),
      esm: JSON.stringify(target).includes('"import"') || JSON.stringify(target).includes(".js") || JSON.stringify(target).includes(".mjs"),
    }));
}

const work = mkdtempSync(join(tmpdir(), "alipayhk-packages-"));
const packs = join(work, "packs");
mkdirSync(packs);
const packages = publishedPackages();
const tarballs = [];

for (const { dir, manifest } of packages) {
  log(`pack ${manifest.name}`);
  const packed = run("pnpm", ["pack", "--pack-destination", packs], { cwd: dir });
  if (!packed.ok) {
    fail(`${manifest.name}: pnpm pack`, packed.out);
    continue;
  }
  const file = readdirSync(packs).find((f) => f.startsWith(manifest.name.replace("@", "").replace("/", "-")) && !tarballs.some((t) => t.file === f));
  tarballs.push({ manifest, file: join(packs, file) });
}

for (const { manifest, file } of tarballs) {
  log(`publint --strict ${manifest.name}`);
  const lint = run(bin("publint"), ["--strict", file]);
  if (!lint.ok) fail(`${manifest.name}: publint`, lint.out);
  if (isHostPlugin(manifest)) {
    // Its entries need the host to load (Medusa's packages, peers), but their types must resolve.
    // A Medusa module provider is a CommonJS `default` export by Medusa's own convention.
    const entrypoints = Object.keys(manifest.exports ?? {})
      .filter((key) => key.includes("*"))
      .flatMap((key) => (HOST_ENTRYPOINTS[manifest.name] ?? []).filter((e) => e.startsWith(key.slice(2, key.indexOf("*")))));
    log(`attw ${manifest.name} (${entrypoints.join(", ")})`);
    const attw = run(bin("attw"), [
      file,
      "--format",
      "ascii",
      "--profile",
      "node16",
      "--ignore-rules",
      "cjs-only-exports-default",
      "--entrypoints",
      ...entrypoints,
    ]);
    if (!attw.ok) fail(`${manifest.name}: attw`, attw.out);
    continue;
  }
  const entries = entriesOf(manifest);
  if (entries.length === 0) continue;
  const esmOnly = !entries.some((e) => e.cjs);
  log(`attw ${manifest.name}${esmOnly ? " (ESM only)" : ""}`);
  // node10 resolution predates `exports` (no subpaths); what users run is node16/nodenext and bundlers.
  const attw = run(bin("attw"), [file, "--format", "ascii", "--profile", esmOnly ? "esm-only" : "node16"]);
  if (!attw.ok) fail(`${manifest.name}: attw`, attw.out);
}

// A package README is read on npm, where links that leave the package (`../core`) lead nowhere.
for (const { dir, manifest } of packages) {
  let readme = "";
  try {
    readme = readFileSync(join(dir, "README.md"), "utf8");
  } catch {
    fail(`${manifest.name}: README.md`, "every published package needs a README.md");
    continue;
  }
  const outside = [...readme.matchAll(/\]\((\.\.\/[^)\s]*)/g)].map((m) => m[1]);
  if (outside.length) fail(`${manifest.name}: README links outside the package (broken on npm)`, outside.join("\n"));
}

// An empty project with every tarball installed, as a user would (npm, registry for the rest).
const project = join(work, "project");
mkdirSync(project);
writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2));
log(`npm install ${tarballs.length} tarballs into an empty project`);
// A host's peers are the host's business (a Medusa store brings Medusa): --legacy-peer-deps does
// not install peers, so the other packages' peers (React for the storefront components) are named.
const peers = tarballs
  .filter(({ manifest }) => !isHostPlugin(manifest))
  .flatMap(({ manifest }) => Object.entries(manifest.peerDependencies ?? {}))
  .flatMap(([name, range]) => [`${name}@${range}`, ...(PEER_TYPES[name] ? [PEER_TYPES[name]] : [])]);
const install = run(
  "npm",
  [
    "install",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    "--legacy-peer-deps",
    ...tarballs.map((t) => t.file),
    ...new Set(peers),
    "typescript@5.9.3",
    "@types/node@20",
  ],
  { cwd: project },
);
if (!install.ok) fail("npm install of the tarballs", install.out);

if (install.ok) {
  const esmLines = [];
  const cjsLines = [];
  const tsImports = [];
  for (const { manifest } of tarballs) {
    for (const entry of entriesOf(manifest)) {
      const id = `m${tsImports.length}`;
      if (entry.esm)
        esmLines.push(
          `import * as ${id} from ${JSON.stringify(entry.specifier)}; if (Object.keys(${id}).length === 0) throw new Error(${JSON.stringify(`${entry.specifier}: no exports (ESM)`)});`,
        );
      if (entry.cjs)
        cjsLines.push(
          `{ const m = require(${JSON.stringify(entry.specifier)}); if (Object.keys(m).length === 0) throw new Error(${JSON.stringify(`${entry.specifier}: no exports (CJS)`)}); }`,
        );
      tsImports.push(`import * as ${id} from ${JSON.stringify(entry.specifier)};\nexport const use${tsImports.length} = ${id};`);
    }
  }
  writeFileSync(join(project, "esm.mjs"), `${esmLines.join("\n")}\nconsole.log("esm ok");\n`);
  writeFileSync(join(project, "cjs.cjs"), `${cjsLines.join("\n")}\nconsole.log("cjs ok");\n`);
  log("import every entry with ESM");
  const esm = run(process.execPath, ["esm.mjs"], { cwd: project });
  if (!esm.ok) fail("ESM import", esm.out);
  log("require every entry with CJS");
  const cjs = run(process.execPath, ["cjs.cjs"], { cwd: project });
  if (!cjs.ok) fail("CJS require", cjs.out);

  writeFileSync(join(project, "consumer.mts"), `${tsImports.join("\n")}\n`);
  // A CommonJS importer can only `require` entries that offer CJS.
  const cjsImports = tarballs
    .flatMap(({ manifest }) => entriesOf(manifest))
    .filter((e) => e.cjs)
    .map((e, i) => `import * as c${i} from ${JSON.stringify(e.specifier)};\nexport const use${i} = c${i};`);
  writeFileSync(join(project, "consumer.cts"), `${cjsImports.join("\n")}\n`);
  for (const [name, options] of [
    ["node16 (ESM importer)", { module: "node16", moduleResolution: "node16", files: ["consumer.mts"] }],
    ["node16 (CJS importer)", { module: "node16", moduleResolution: "node16", files: ["consumer.cts"] }],
    ["bundler", { module: "esnext", moduleResolution: "bundler", files: ["consumer.mts"] }],
  ]) {
    const { files, ...compilerOptions } = options;
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify(
        { compilerOptions: { ...compilerOptions, target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] }, files },
        null,
        2,
      ),
    );
    log(`tsc with ${name} resolution, skipLibCheck off`);
    const tsc = run(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: project });
    if (!tsc.ok) fail(`tsc ${name}`, tsc.out);
  }

  for (const { manifest } of tarballs) {
    for (const name of Object.keys(typeof manifest.bin === "string" ? { [manifest.name.split("/")[1]]: manifest.bin } : (manifest.bin ?? {}))) {
      log(`${name} --help`);
      const help = run(join(project, "node_modules", ".bin", name), ["--help"], { cwd: project });
      if (!help.ok || !/usage|Usage/.test(help.out)) fail(`${name} --help`, help.out);
    }
  }
}

if (args.includes("--keep")) process.stderr.write(`kept ${work}\n`);
else rmSync(work, { recursive: true, force: true });

const total = step;
if (failures.length) {
  process.stdout.write(`packages: ${total - failures.length} passed, ${failures.length} failed\n`);
  process.exit(1);
}
process.stdout.write(`packages: ${total} passed, 0 failed\n`);
