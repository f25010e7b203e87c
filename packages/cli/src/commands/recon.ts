import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { AmountError } from "@alipayhk/core";
import {
  csvLine,
  loadStoreLedger,
  matchReconciliation,
  matchReportToJson,
  openReconciliationFile,
  readReconFileName,
  ReconParseError,
  ReconTotalsBuilder,
  RECORD_JSON_KEYS,
  RECORD_TEXT_HEADER,
  recordToJson,
  recordToText,
  renderMatchReport,
  renderTotals,
  totalsToJson,
  type ReconEncoding,
  type ReconFile,
  type ReconParseOptions,
  type ReconRecord,
} from "@alipayhk/core/reconciliation";
import { PROGRESS_MIN_BYTES, progressBar } from "../progress";

/** Where the command writes; stderr's `isTTY` turns the progress bar on. */
export interface ReconCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const HELP: Record<string, string> = {
  recon: `Usage: alipayhk recon <command> [options]

Commands:
  parse FILE...                   print the records of Alipay transaction/settlement files
  summary FILE...                 counts, amounts and fees per record type
  match --file FILE... --orders ORDERS
                                  reconcile the files with the store's orders and refunds

Run "alipayhk recon <command> --help" for a command's options.
Exit codes: 0 ok, 1 discrepancies or bad lines, 2 bad input.
`,
  parse: `Usage: alipayhk recon parse FILE... [--json | --csv] [options]

Prints every record of the files (global, HK or headerless 17-column layout; UTF-8 or GBK).
  --json              a JSON array of records (amounts as decimal strings)
  --csv               CSV with a column-name row
  --encoding ENC      auto (default), utf8 or gbk
  --keep-going        report bad lines on stderr and go on (exit 1 if any)
  --no-header-check   do not check Partner, date and Total_count against the records
  -h, --help          this help
`,
  summary: `Usage: alipayhk recon summary FILE... [--json] [options]

Counts and sums the records of the files, per type and per day.
  --json              {"records", "count_by_type", "amount_by_type", "fee_total", ...}
  --encoding ENC      auto (default), utf8 or gbk
  --keep-going        report bad lines on stderr and go on (exit 1 if any)
  --no-header-check   do not check Partner, date and Total_count against the records
  -h, --help          this help
`,
  match: `Usage: alipayhk recon match --file FILE... --orders ORDERS [--json] [options]

Reconciles Alipay's files with a store export (CSV or JSON: id, amount, currency, status, date;
rows with type=refund are refunds, their id the partner_refund_id).
  --file FILE         an Alipay transaction or settlement file (repeatable; positional files too)
  --orders ORDERS     the store export (.csv or .json)
  --json              the report as JSON
  --all-days          check every store order, not only those dated on the files' days
  --encoding ENC      auto (default), utf8 or gbk
  --keep-going        report bad lines on stderr and go on (exit 1 if any)
  --no-header-check   do not check Partner, date and Total_count against the records
  -h, --help          this help
Exit code 1 when there is any discrepancy (for cron jobs).
`,
};

const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  encoding: { type: "string" },
  "keep-going": { type: "boolean" },
  "no-header-check": { type: "boolean" },
} as const;

/** Bad input: one line on stderr, exit code 2. */
class UsageError extends Error {}

/**
 * `alipayhk recon parse|summary|match`, as a function the CLI package mounts. `argv` starts at the
 * sub-command (a leading `recon` is skipped). Returns the exit code: 0 ok, 1 discrepancies (or bad
 * lines with `--keep-going`), 2 bad input with one line on stderr naming the argument or file.
 *
 * @example
 * process.exitCode = await runReconCommand(process.argv.slice(3), process);
 */
export async function runReconCommand(argv: string[], io: ReconCommandIo): Promise<number> {
  const args = argv[0] === "recon" ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  try {
    if (command === undefined) throw new UsageError('expected a command: parse, summary or match; see "alipayhk recon --help"');
    if (command === "--help" || command === "-h" || command === "help") return help("recon", io);
    if (command === "parse") return await parseCommand(rest, io);
    if (command === "summary") return await summaryCommand(rest, io);
    if (command === "match") return await matchCommand(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}; expected parse, summary or match`);
  } catch (err) {
    io.stderr.write(`alipayhk recon${command && HELP[command] ? ` ${command}` : ""}: ${describe(err)}\n`);
    return 2;
  }
}

function describe(err: unknown): string {
  if (err instanceof UsageError || err instanceof ReconParseError || err instanceof AmountError) return oneLine(err.message);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const path = (err as NodeJS.ErrnoException | undefined)?.path;
  if (code === "ENOENT") return `cannot read ${path}: no such file; expected a readable file`;
  if (code === "EISDIR") return `cannot read ${path}: it is a directory; expected a file`;
  if (code === "EACCES") return `cannot read ${path}: permission denied`;
  return oneLine(err instanceof Error ? err.message : String(err));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parseOptions(command: string, args: string[], options: OptionSpec): { values: OptionValues; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }) as {
      values: OptionValues;
      positionals: string[];
    };
  } catch (err) {
    throw new UsageError(`${oneLine((err as Error).message)}; see "alipayhk recon ${command} --help"`);
  }
}

function encodingOf(value: unknown): "auto" | ReconEncoding {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "utf8" || value === "gbk") return value;
  if (value === "utf-8") return "utf8";
  throw new UsageError(`--encoding ${JSON.stringify(value)}: expected auto, utf8 or gbk`);
}

interface FileRun {
  readonly options: ReconParseOptions;
  readonly io: ReconCommandIo;
}

/** Opens each file in turn with a progress bar; an Alipay error body is bad input (exit 2). */
async function* openFiles(files: readonly string[], run: FileRun): AsyncGenerator<ReconFile> {
  for (const file of files) {
    const size = run.io.stderr.isTTY
      ? await stat(file).then(
          (s) => s.size,
          () => 0,
        )
      : 0;
    const bar = size >= PROGRESS_MIN_BYTES ? progressBar(run.io.stderr, file, size) : null;
    const opened = await openReconciliationFile(file, { ...run.options, onProgress: bar ? (bytes) => bar.update(bytes) : undefined }).catch((err: unknown) => {
      // A read error on a directory carries no path: name the file.
      const errno = err as NodeJS.ErrnoException;
      if (typeof errno?.code === "string" && errno.path === undefined) errno.path = file;
      throw err;
    });
    if (opened.outcome === "alipay-error") {
      bar?.done();
      throw new UsageError(`${file}: Alipay sent an error instead of a reconciliation file: ${opened.message}`);
    }
    if (opened.outcome === "no-data") run.io.stderr.write(`${file}: no data (${opened.reason.replace(/-/g, " ")})\n`);
    try {
      yield opened;
    } finally {
      bar?.done();
    }
  }
}

function reportLineErrors(file: ReconFile, io: ReconCommandIo): number {
  if (file.outcome !== "records" || file.errorCount === 0) return 0;
  for (const error of file.errors) io.stderr.write(`warning: ${oneLine(error.message)}\n`);
  if (file.errorCount > file.errors.length) io.stderr.write(`warning: ${file.file}: ${file.errorCount - file.errors.length} more bad lines not shown\n`);
  return file.errorCount;
}

function runOptions(values: OptionValues, io: ReconCommandIo): FileRun {
  return {
    io,
    options: {
      encoding: encodingOf(values.encoding),
      onError: values["keep-going"] ? "collect" : "throw",
      checkHeader: !values["no-header-check"],
    },
  };
}

function needFiles(command: string, files: readonly string[]): void {
  if (files.length === 0) throw new UsageError(`expected at least one FILE; see "alipayhk recon ${command} --help"`);
}

async function parseCommand(args: string[], io: ReconCommandIo): Promise<number> {
  const { values, positionals } = parseOptions("parse", args, { json: { type: "boolean" }, csv: { type: "boolean" } });
  if (values.help) return help("parse", io);
  if (values.json && values.csv) throw new UsageError("--json and --csv: expected one output format, got both");
  needFiles("parse", positionals);
  const run = runOptions(values, io);
  const out = new BufferedOutput(io.stdout);
  const format = values.json ? "json" : values.csv ? "csv" : "text";
  let badLines = 0;
  let first = true;
  if (format === "json") out.write("[");
  if (format === "csv") out.write(csvLine(RECORD_JSON_KEYS));
  for await (const file of openFiles(positionals, run)) {
    if (file.outcome !== "records") continue;
    if (format === "text") out.write(`# ${file.file}: ${file.fileKind} file, ${file.layout.name} layout\n${RECORD_TEXT_HEADER}\n`);
    for await (const record of file) {
      if (format === "json") {
        out.write(`${first ? "\n" : ",\n"}${JSON.stringify(recordToJson(record))}`);
        first = false;
      } else if (format === "csv") {
        const json = recordToJson(record);
        out.write(csvLine(RECORD_JSON_KEYS.map((key) => (json[key] === null ? "" : String(json[key])))));
      } else {
        out.write(`${recordToText(record)}\n`);
      }
      await out.maybeFlush();
    }
    badLines += reportLineErrors(file, io);
  }
  if (format === "json") out.write(first ? "]\n" : "\n]\n");
  await out.flush();
  return badLines > 0 ? 1 : 0;
}

async function summaryCommand(args: string[], io: ReconCommandIo): Promise<number> {
  const { values, positionals } = parseOptions("summary", args, { json: { type: "boolean" } });
  if (values.help) return help("summary", io);
  needFiles("summary", positionals);
  const run = runOptions(values, io);
  const totals = new ReconTotalsBuilder();
  const files: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for await (const file of openFiles(positionals, run)) {
    if (file.outcome === "records") {
      for await (const record of file) totals.add(record);
      if (reportLineErrors(file, io) > 0) errors.push(...file.errors.map((error) => error.message));
      files.push({
        file: file.file,
        outcome: file.outcome,
        kind: file.fileKind,
        layout: file.layout.name,
        encoding: file.encoding,
        partner: file.header?.partner ?? null,
        date: file.header?.date ?? null,
        records: file.recordCount,
        bad_lines: file.errorCount,
      });
    } else {
      files.push({ file: file.file, outcome: file.outcome, reason: file.outcome === "no-data" ? file.reason : null, records: 0 });
    }
  }
  const result = totals.result();
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...totalsToJson(result), files, errors }, null, 2)}\n`);
  } else {
    const list = files.map(
      (f) => `  ${f.file}: ${f.outcome === "records" ? `${f.kind} file, ${f.layout} layout, ${f.encoding}, ${f.records} records` : `no data (${f.reason})`}`,
    );
    io.stdout.write(`Files:\n${list.join("\n")}\n\n${renderTotals(result)}`);
  }
  return errors.length > 0 ? 1 : 0;
}

async function matchCommand(args: string[], io: ReconCommandIo): Promise<number> {
  const { values, positionals } = parseOptions("match", args, {
    file: { type: "string", multiple: true },
    orders: { type: "string" },
    json: { type: "boolean" },
    "all-days": { type: "boolean" },
  });
  if (values.help) return help("match", io);
  const files = [...((values.file as string[] | undefined) ?? []), ...positionals];
  if (files.length === 0) throw new UsageError('expected --file FILE (an Alipay transaction or settlement file); see "alipayhk recon match --help"');
  if (typeof values.orders !== "string" || values.orders === "") {
    throw new UsageError('expected --orders ORDERS (the store export, .csv or .json); see "alipayhk recon match --help"');
  }
  const ledger = await loadStoreLedger(values.orders);
  const run = runOptions(values, io);
  const fileDays: string[] = [];
  let badLines = 0;
  async function* allRecords(): AsyncGenerator<ReconRecord> {
    for await (const file of openFiles(files, run)) {
      // An empty transaction file for day T still says "nothing was paid on T".
      const named = readReconFileName(file.file);
      const header = file.outcome === "alipay-error" ? null : file.header;
      const kind = file.outcome === "records" ? file.fileKind : file.outcome === "no-data" ? (file.layout?.kind ?? named?.kind) : undefined;
      const date = header?.date ?? named?.date;
      if (kind === "transaction" && date) fileDays.push(date);
      if (file.outcome !== "records") continue;
      yield* file;
      badLines += reportLineErrors(file, io);
    }
  }
  const report = await matchReconciliation(allRecords(), ledger, { days: values["all-days"] ? "all" : undefined, extraDays: fileDays });
  io.stdout.write(values.json ? `${JSON.stringify(matchReportToJson(report), null, 2)}\n` : renderMatchReport(report));
  return report.discrepancyCount > 0 || badLines > 0 ? 1 : 0;
}

function help(command: string, io: ReconCommandIo): number {
  io.stdout.write(HELP[command]!);
  return 0;
}

/** Batches small writes and respects backpressure, so printing a million records stays fast and bounded. */
class BufferedOutput {
  private buffer = "";
  constructor(private readonly stream: NodeJS.WritableStream) {}
  write(text: string): void {
    this.buffer += text;
  }
  async maybeFlush(): Promise<void> {
    if (this.buffer.length >= 65_536) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }
}
