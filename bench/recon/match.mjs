// Reconciliation matching benchmark: ROWS records (an HK transaction file) against ROWS store orders,
// with matchReconciliationStream (bounded memory) and, for comparison, matchReconciliation (both
// sides and the report in memory), each in its own process: prints seconds and peak RSS, and checks
// both find the same counts. The target: 1M × 1M at ≤ 200 MB peak RSS.
//
//   pnpm --filter @alipayhk/core build && pnpm --filter @alipayhk/bench bench:match
//   ROWS=200000 node recon/match.mjs     (smaller run)
//   MEMORY=0 node recon/match.mjs        (skip the in-memory matcher, which needs about 1 GB at 1M)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { generateTransactionFile } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const rows = Number(process.env.ROWS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "alipayhk-match-bench-"));
const file = join(dir, "2088101122334455_transaction_20240102.txt");
const LIMIT_MB = 200;

try {
  process.stdout.write(`Generating ${rows} rows (HK layout)… `);
  await generateTransactionFile(rows, file);
  console.log(`${(statSync(file).size / 1_048_576).toFixed(1)} MB; the store's ${rows} orders are generated on the fly`);
  const runs = [];
  for (const which of process.env.MEMORY === "0" ? ["stream"] : ["stream", "memory"]) {
    const out = execFileSync(process.execPath, [join(here, "match-contender.mjs"), which, file, String(rows)], {
      cwd: join(here, ".."),
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    runs.push({ which, ...JSON.parse(out.trim().split("\n").pop()) });
  }
  const label = { stream: "matchReconciliationStream (bounded)", memory: "matchReconciliation (in memory)" };
  console.log(`\n${rows.toLocaleString("en-US")} records × ${rows.toLocaleString("en-US")} orders, node ${process.version}, one run each\n`);
  for (const run of runs) {
    console.log(
      `${label[run.which].padEnd(38)} ${(run.ms / 1000).toFixed(2).padStart(7)} s  ${(run.maxRssBytes / 1_048_576).toFixed(0).padStart(5)} MB peak RSS`,
    );
  }
  const stream = runs[0];
  const c = stream.counts;
  console.log(
    `\nfound: ${c.matched} matched, ${c.amountMismatches} amount mismatches, ${c.missingFromFile} missing, ${c.orphans} orphans, ${c.statusMismatches} status mismatches, ${c.duplicates} duplicates`,
  );
  if (runs.length > 1) console.log(`same counts as the in-memory matcher: ${isDeepStrictEqual(runs[0].counts, runs[1].counts) ? "yes" : "NO"}`);
  const peak = stream.maxRssBytes / 1_048_576;
  console.log(`target ≤ ${LIMIT_MB} MB peak RSS for the bounded matcher: ${peak <= LIMIT_MB ? "met" : "MISSED"} (${peak.toFixed(0)} MB)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
