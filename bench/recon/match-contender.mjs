// One matcher of the matching benchmark, in its own process so its peak RSS is its own.
//   node recon/match-contender.mjs <stream|memory> FILE ROWS
// stream: matchReconciliationStream, the store's side as cursors (generated on the fly), findings counted.
// memory: matchReconciliation, the store's side as arrays, the report in memory (what it did before).
// Prints one JSON line: { ms, maxRssBytes, counts }.
import { generateLedgerEntries } from "./generate.mjs";

const [which, path, rowsText] = process.argv.slice(2);
const rows = Number(rowsText);
if (!["stream", "memory"].includes(which) || !path || !Number.isSafeInteger(rows)) {
  console.error("usage: node recon/match-contender.mjs <stream|memory> FILE ROWS");
  process.exit(2);
}
let core;
try {
  core = await import("@alipayhk/core/reconciliation");
} catch (err) {
  throw new Error(`cannot import @alipayhk/core/reconciliation (run "pnpm --filter @alipayhk/core build" first): ${err.message}`);
}

function* only(kind) {
  for (const entry of generateLedgerEntries(rows)) if (entry.kind === kind) yield entry.value;
}

const start = process.hrtime.bigint();
const file = await core.openReconciliationFile(path);
if (file.outcome !== "records") throw new Error(`expected records, got ${file.outcome}`);
let counts;
if (which === "stream") {
  const summary = await core.matchReconciliationStream(file, { orders: only("order"), refunds: only("refund") }, {});
  counts = { ...summary, totals: undefined, days: undefined };
} else {
  const ledger = { orders: [...only("order")], refunds: [...only("refund")] };
  const report = await core.matchReconciliation(file, ledger);
  counts = { ...report, totals: undefined, days: undefined };
  for (const [key, value] of Object.entries(counts)) if (Array.isArray(value)) counts[key] = value.length;
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, counts }));
