// Reconciliation parser benchmark: writes a 1M-row HK transaction file to a temp dir, then reads it
// with our parser (records one `for await` at a time, and in batches), with csv-parse ('|'
// delimiter) and with a bare newline count, each in its own process (so peak RSS is per contender),
// and prints rows/s, MB/s, peak RSS and the time of each against the bare newline count (the
// target: our parser ≤ 3×). Deletes the file.
//
//   pnpm --filter @alipayhk/core build && pnpm --filter @alipayhk/bench bench:recon
//   ROWS=200000 node recon/bench.mjs      (smaller run)
//   RSS_CHECK_ROWS=3000000 node recon/bench.mjs   (our parser's peak RSS on a 3M-row file too)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTransactionFile } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const rows = Number(process.env.ROWS ?? 1_000_000);
const repeats = Number(process.env.REPEATS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "alipayhk-recon-bench-"));
const file = join(dir, "2088101122334455_transaction_20240102.txt");

try {
  process.stdout.write(`Generating ${rows} rows (HK layout)… `);
  await generateTransactionFile(rows, file);
  const bytes = statSync(file).size;
  console.log(`${(bytes / 1_048_576).toFixed(1)} MB`);

  // Best of REPEATS runs for time (the machine is shared); the highest peak RSS seen. The
  // contenders take turns within each repeat, so a burst of load from elsewhere hits them alike.
  const contenders = ["ours", "ours-batches", "csv-parse", "newlines"];
  const best = new Map();
  for (let i = 0; i < repeats; i++) {
    for (const which of contenders) {
      const out = execFileSync(process.execPath, [join(here, "contender.mjs"), which, file], { cwd: join(here, ".."), encoding: "utf8" });
      const run = JSON.parse(out.trim().split("\n").pop());
      if (run.rows !== rows) throw new Error(`${which}: read ${run.rows} rows, expected ${rows}`);
      const seen = best.get(which);
      best.set(which, seen === undefined ? run : { rows, ms: Math.min(seen.ms, run.ms), maxRssBytes: Math.max(seen.maxRssBytes, run.maxRssBytes) });
    }
  }
  const results = contenders.map((which) => ({ which, ...best.get(which) }));

  // Our parser again on another size (a tenth by default): peak RSS should not follow the file size.
  const small = join(dir, "other-size.txt");
  const smallRows = Number(process.env.RSS_CHECK_ROWS ?? Math.max(1, Math.floor(rows / 10)));
  await generateTransactionFile(smallRows, small);
  const smallRun = JSON.parse(
    execFileSync(process.execPath, [join(here, "contender.mjs"), "ours", small], { cwd: join(here, ".."), encoding: "utf8" })
      .trim()
      .split("\n")
      .pop(),
  );

  const csv = results.find((r) => r.which === "csv-parse");
  const bare = results.find((r) => r.which === "newlines");
  const label = {
    ours: "@alipayhk/core parser (typed records, for await each)",
    "ours-batches": "@alipayhk/core parser (typed records, batches())",
    "csv-parse": "csv-parse 6 (delimiter |, string arrays)",
    newlines: "newline count (node, no parsing)",
  };
  const table = results.map((r) => [
    label[r.which],
    `${Math.round(rows / (r.ms / 1000)).toLocaleString("en-US")}`,
    (bytes / 1_048_576 / (r.ms / 1000)).toFixed(1),
    (r.maxRssBytes / 1_048_576).toFixed(0),
    (r.ms / 1000).toFixed(2),
    `${(csv.ms / r.ms).toFixed(2)}×`,
    `${(r.ms / bare.ms).toFixed(2)}×`,
  ]);
  const head = ["contender", "rows/s", "MB/s", "peak RSS MB", "seconds", "vs csv-parse", "time vs newline count"];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`\n${rows.toLocaleString("en-US")} rows, ${(bytes / 1_048_576).toFixed(1)} MB, node ${process.version}, best of ${repeats}\n`);
  console.log(line(head));
  for (const row of table) console.log(line(row));
  const ours = results.find((r) => r.which === "ours");
  console.log("");
  for (const r of results.filter((x) => x.which.startsWith("ours"))) {
    const ratio = r.ms / bare.ms;
    console.log(
      `target: our parser ≤ 3× the time of a bare newline count (same run), ${label[r.which]}: ${ratio <= 3 ? "met" : "MISSED"} (${ratio.toFixed(2)}×)`,
    );
  }
  console.log(
    `\npeak RSS of our parser: ${(smallRun.maxRssBytes / 1_048_576).toFixed(0)} MB at ${smallRows.toLocaleString("en-US")} rows, ` +
      `${(ours.maxRssBytes / 1_048_576).toFixed(0)} MB at ${rows.toLocaleString("en-US")} rows (RSS_CHECK_ROWS=N to try another size)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
