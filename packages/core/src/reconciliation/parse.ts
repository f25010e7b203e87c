import { LineCursor } from "./cursor";
import { ErrorSink, quoteInput, ReconParseError } from "./errors";
import { isHeaderLine, readHeaderLine, readReconFileName, type ReconFileHeader } from "./header";
import { acquirerLayout, looksLikeAcquirerRecord, readColumnLine, type ReconLayout } from "./layout";
import { decodeLines, OverlongLine, sourceChunks, type LineDecoderState, type ReconEncoding, type ReconSource } from "./lines";
import type { ReconFileKind, ReconRecord } from "./records";
import { RecordsFile } from "./records-file";

/** How to read a file. Every option has a default suited to Alipay's SFTP files. */
export interface ReconParseOptions {
  /** Name used in messages; defaults to the path, or `<stream>`. Alipay's file names are also checked against the header. */
  readonly fileName?: string;
  /** `auto` (default): UTF-8, with lines that are not valid UTF-8 read as GBK. */
  readonly encoding?: "auto" | ReconEncoding;
  /**
   * `throw` (default): the first bad record line throws a `ReconParseError`. `collect`: bad lines
   * are skipped and kept in `errors`, so one run reports them all. A file whose structure is wrong
   * (no column names, truncated after the header) throws either way: there is nothing to go on with.
   */
  readonly onError?: "throw" | "collect";
  /** How many errors `collect` keeps (all are counted in `errorCount`); 1000 by default. */
  readonly maxErrors?: number;
  /** Check the header (Partner, date, Total_count) against the records and the file name; true by default. */
  readonly checkHeader?: boolean;
  /** The partner id the file must belong to, when known. */
  readonly expectedPartner?: string;
  /** Called after each chunk with the bytes read so far (progress bars). */
  readonly onProgress?: (bytesRead: number) => void;
  /** A longer line is reported and skipped, never held in memory; 1 MiB by default. */
  readonly maxLineBytes?: number;
}

/** A file with records: iterate it (once) to get them. */
export interface ReconRecordsFile extends AsyncIterable<ReconRecord> {
  readonly outcome: "records";
  readonly file: string;
  readonly fileKind: ReconFileKind;
  readonly layout: ReconLayout;
  /** `null` for the headerless acquirer layout and for files that start with the column names. */
  readonly header: ReconFileHeader | null;
  /** What the bytes turned out to be (final once iteration ends). */
  readonly encoding: ReconEncoding;
  readonly bom: boolean;
  /** Bad lines kept in `collect` mode (at most `maxErrors`). */
  readonly errors: readonly ReconParseError[];
  /** Every bad line seen, including those beyond `maxErrors`. */
  readonly errorCount: number;
  /** Records yielded so far. */
  readonly recordCount: number;
  /** Non-blank lines after the column names so far, good or bad: what `Total_count` counts. */
  readonly dataLineCount: number;
  readonly bytesRead: number;
  /**
   * The same records as iterating the file, in arrays of a few hundred (one per 64 KiB read): one
   * `await` per batch instead of one per record, which is most of the cost left per record on large
   * files. Like iterating, it can be done once; breaking out of the loop releases the file. In
   * `throw` mode the records before a bad line come as a batch of their own, then the error.
   *
   * @example
   * let total = 0;
   * for await (const batch of file.batches()) {
   *   for (const record of batch) total += signedAmount(record);
   * }
   */
  batches(): AsyncIterableIterator<ReconRecord[]>;
  /** Releases the file when it will not be iterated to the end. */
  close(): Promise<void>;
}

/** An empty file, a header with `Total_count:0` and no records, or a "no data" text. Not an error. */
export interface ReconNoDataFile {
  readonly outcome: "no-data";
  readonly file: string;
  readonly reason: "empty" | "no-records" | "no-data-text";
  readonly header: ReconFileHeader | null;
  readonly layout: ReconLayout | null;
}

/** Alipay answered with an error (plain text or its XML envelope) instead of a file. */
export interface ReconAlipayErrorFile {
  readonly outcome: "alipay-error";
  readonly file: string;
  /** The error code when the body has one, e.g. `ILLEGAL_PARTNER`. */
  readonly code: string | null;
  /** The body, trimmed and truncated to 200 characters. */
  readonly message: string;
}

/** What a reconciliation file turned out to hold. */
export type ReconFile = ReconRecordsFile | ReconNoDataFile | ReconAlipayErrorFile;

const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const ERROR_BODY_CHARS = 200;
const NO_DATA_TEXT = /^(no data|no records?|no transactions?|nodata|暂无数据|无数据|無數據|沒有數據)[.!。]?$/i;

/**
 * Opens an Alipay HK transaction or settlement file and works out what it is, reading only its
 * first lines: the layout (global 15-column, HK with `payment_inst`/`Issue`, or the headerless
 * 17-column acquirer file), the header, the encoding. Records are then streamed: memory stays
 * constant whatever the file size.
 *
 * @example
 * const file = await openReconciliationFile("2088…_transaction_20240102.txt");
 * if (file.outcome === "records") {
 *   for await (const record of file) console.log(record.type, formatAmount(record.amount));
 * }
 */
export async function openReconciliationFile(source: ReconSource, options: ReconParseOptions = {}): Promise<ReconFile> {
  const file = options.fileName ?? (typeof source === "string" ? source : "<stream>");
  const state: LineDecoderState = { encoding: "utf8", bom: false, bytesRead: 0 };
  const onProgress = options.onProgress;
  const batches = decodeLines(
    sourceChunks(source),
    {
      encoding: options.encoding ?? "auto",
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      onBytes: onProgress ? () => onProgress(state.bytesRead) : undefined,
    },
    state,
  );
  const cursor = new LineCursor(batches);
  try {
    return await readPreamble(file, cursor, state, options);
  } catch (err) {
    await cursor.close();
    throw err;
  }
}

async function readPreamble(file: string, cursor: LineCursor, state: LineDecoderState, options: ReconParseOptions): Promise<ReconFile> {
  const structural = (line: number, reason: string, column: number | null = null, columnName: string | null = null) =>
    new ReconParseError(file, line, column, columnName, reason);
  const errors = new ErrorSink(options.onError ?? "throw", options.maxErrors ?? 1000);

  const first = await cursor.nextNonBlank();
  if (first === null) {
    await cursor.close();
    return { outcome: "no-data", file, reason: "empty", header: null, layout: null };
  }
  if (first instanceof OverlongLine) throw structural(cursor.lineNo, `line of ${first.bytes} bytes; expected a reconciliation file`);
  const firstFields = first.split("|");
  let header: ReconFileHeader | null = null;
  let headerLine = 0;
  let layout: ReconLayout;

  if (isHeaderLine(firstFields)) {
    headerLine = cursor.lineNo;
    const read = readHeaderLine(firstFields);
    if ("reason" in read) errors.add(structural(headerLine, read.reason, read.column, read.columnName));
    else header = read;
    const columnLine = await cursor.nextNonBlank();
    if (columnLine === null) {
      if (header?.totalCount) {
        throw structural(
          headerLine,
          `the header says Total_count:${header.totalCount} but the file ends after it; expected the column-name line and the records`,
        );
      }
      await cursor.close();
      return { outcome: "no-data", file, reason: "no-records", header, layout: null };
    }
    const columns = columnLine instanceof OverlongLine ? null : readColumnLine(columnLine.split("|"));
    if (columns === null) {
      const got = columnLine instanceof OverlongLine ? `a line of ${columnLine.bytes} bytes` : quoteInput(columnLine);
      throw structural(cursor.lineNo, `expected the column-name line (Partner_transaction_id|Transaction_id|…), got ${got}`);
    }
    if (!columns.ok) throw structural(cursor.lineNo, columns.reason, columns.column);
    layout = columns.layout;
  } else {
    const columns = readColumnLine(firstFields);
    if (columns !== null) {
      if (!columns.ok) throw structural(cursor.lineNo, columns.reason, columns.column);
      layout = columns.layout;
    } else if (looksLikeAcquirerRecord(firstFields)) {
      layout = acquirerLayout();
      cursor.pushBack();
    } else {
      const firstLine = cursor.lineNo;
      const body = await readErrorBody(first, cursor);
      if (body !== null) {
        await cursor.close();
        return body.noData
          ? { outcome: "no-data", file, reason: "no-data-text", header: null, layout: null }
          : { outcome: "alipay-error", file, code: body.code, message: body.message };
      }
      throw structural(
        firstLine,
        `expected a header line Partner:…|…|Total_count:N, a column-name line or a 17-column acquirer record, got ${quoteInput(first)}`,
      );
    }
  }

  if (options.checkHeader !== false) checkHeaderAgainstName(file, header, headerLine, layout, options.expectedPartner, errors);

  const firstRecord = await cursor.nextNonBlank();
  if (firstRecord === null) {
    if (header?.totalCount) {
      errors.add(structural(headerLine, `the header says Total_count:${header.totalCount} but the file has no records`, null, "Total_count"));
    }
    if (errors.count === 0) {
      await cursor.close();
      return { outcome: "no-data", file, reason: "no-records", header, layout };
    }
  } else {
    cursor.pushBack();
  }
  return new RecordsFile(file, layout, header, headerLine, cursor, state, errors, options.checkHeader !== false);
}

function checkHeaderAgainstName(
  file: string,
  header: ReconFileHeader | null,
  headerLine: number,
  layout: ReconLayout,
  expectedPartner: string | undefined,
  errors: ErrorSink,
): void {
  const line = Math.max(headerLine, 1);
  const named = readReconFileName(file);
  const partner = header?.partner ?? null;
  if (expectedPartner !== undefined && partner !== null && partner !== expectedPartner) {
    errors.add(new ReconParseError(file, line, 1, "Partner", `expected partner ${expectedPartner}, the header says ${partner}`));
  }
  if (named === null) return;
  if (named.kind !== layout.kind) {
    errors.add(new ReconParseError(file, line, null, null, `the file name says ${named.kind} file but the columns are those of a ${layout.kind} file`));
  }
  if (partner !== null && partner !== named.partner) {
    errors.add(new ReconParseError(file, line, 1, "Partner", `the header says partner ${partner}, the file name ${named.partner}`));
  }
  if (header?.date && header.date !== named.date) {
    errors.add(new ReconParseError(file, line, null, header.dateField, `the header says ${header.date}, the file name ${named.date}`));
  }
}

/** Recognises the bodies Alipay sends instead of a file: plain text, or its XML `is_success=F` envelope. */
async function readErrorBody(first: string, cursor: LineCursor): Promise<{ noData: boolean; code: string | null; message: string } | null> {
  const trimmed = first.trim();
  if (trimmed.startsWith("<")) {
    let body = trimmed;
    for (let i = 0; i < 64 && body.length < 16_384; i++) {
      const line = await cursor.next();
      if (line === null) break;
      if (typeof line === "string") body += line.trim();
    }
    if (!/<alipay>|<is_success>/i.test(body)) return null;
    const code = /<error>\s*([^<]+?)\s*<\/error>/i.exec(body)?.[1] ?? null;
    return { noData: false, code, message: truncate(body) };
  }
  if (trimmed.includes("|")) return null;
  if (NO_DATA_TEXT.test(trimmed)) return { noData: true, code: null, message: trimmed };
  const code = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(trimmed) ? trimmed : (/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/.exec(trimmed)?.[1] ?? null);
  return { noData: false, code, message: truncate(trimmed) };
}

function truncate(text: string): string {
  return text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}…` : text;
}
