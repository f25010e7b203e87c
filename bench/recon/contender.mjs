// One contender of the benchmark, in its own process so its peak RSS is its own.
//   node recon/contender.mjs <ours|ours-batches|csv-parse|newlines> FILE
// Prints one JSON line: { rows, ms, maxRssBytes }.
import { createReadStream } from "node:fs";

const [which, path] = process.argv.slice(2);

/** Our parser, one record per `for await` step (`batches`: one array of records per step). */
async function ours(batches = false) {
  let core;
  try {
    core = await import("@alipayhk/core/reconciliation");
  } catch (err) {
    throw new Error(`cannot import @alipayhk/core/reconciliation (run "pnpm --filter @alipayhk/core build" first): ${err.message}`);
  }
  const file = await core.openReconciliationFile(path);
  if (file.outcome !== "records") throw new Error(`expected records, got ${file.outcome}`);
  let rows = 0;
  let cents = 0;
  if (batches) {
    for await (const batch of file.batches()) {
      for (const record of batch) {
        rows++;
        cents += record.amount;
      }
    }
  } else {
    for await (const record of file) {
      rows++;
      cents += record.amount;
    }
  }
  if (cents <= 0) throw new Error("no amounts read");
  return rows;
}

async function csvParse() {
  const { parse } = await import("csv-parse");
  // The same file, the generic way: '|' delimiter, skip the header and column-name lines.
  const parser = createReadStream(path, { highWaterMark: 1 << 16 }).pipe(parse({ delimiter: "|", from_line: 3, relax_column_count: true }));
  let rows = 0;
  for await (const record of parser) {
    if (record.length > 0) rows++;
  }
  return rows;
}

async function newlines() {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
    let at = chunk.indexOf(10);
    while (at !== -1) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
  }
  return lines - 2; // header and column-name lines
}

const run = { ours: () => ours(false), "ours-batches": () => ours(true), "csv-parse": csvParse, newlines }[which];
if (!run || !path) {
  console.error("usage: node recon/contender.mjs <ours|ours-batches|csv-parse|newlines> FILE");
  process.exit(2);
}
const start = process.hrtime.bigint();
const rows = await run();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
// maxRSS is in kilobytes.
console.log(JSON.stringify({ rows, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
