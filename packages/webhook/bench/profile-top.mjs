/**
 * `node bench/profile-top.mjs <file.cpuprofile> [n]`: the functions with the most self time in a
 * V8 CPU profile (from `BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=..."`), as shares of
 * the busy time (idle excluded), and the same grouped by package.
 */
import { readFileSync } from "node:fs";

const [file, n = "20"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-top.mjs <file.cpuprofile> [n]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
});

const byFunction = new Map();
const byPackage = new Map();
let busy = 0;
for (const [id, us] of self) {
  const { callFrame } = nodes.get(id);
  if (callFrame.functionName === "(idle)") continue;
  busy += us;
  const url = callFrame.url.replace(/^file:\/\//, "");
  const inPackage = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  const where = inPackage ?? (url.startsWith("node:") ? "node (lib)" : url ? url.split("/").slice(-2).join("/") : "(native/VM)");
  const name = `${callFrame.functionName || "(anonymous)"} ${url ? `${url.split("/").pop()}:${callFrame.lineNumber + 1}` : ""}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byPackage.set(where, (byPackage.get(where) ?? 0) + us);
}
const print = (title, map, count) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`);
};
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy of ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s`);
print("self time by function", byFunction, Number(n));
print("self time by package/file", byPackage, 12);
