import { quoteInput, ReconParseError, type ErrorSink } from "./errors";
import { isBlank, type LineCursor } from "./cursor";
import type { ReconFileHeader } from "./header";
import type { ReconLayout } from "./layout";
import type { DecodedLine, LineDecoderState, ReconEncoding } from "./lines";
import type { ReconRecordsFile } from "./parse";
import type { ReconFileKind, ReconRecord } from "./records";
import { RowProblem, rowReader, type RowReader } from "./row";

/** The records of an opened file, read line by line from where the preamble stopped. */
export class RecordsFile implements ReconRecordsFile {
  readonly outcome = "records";
  readonly fileKind: ReconFileKind;
  recordCount = 0;
  dataLineCount = 0;
  private started = false;

  constructor(
    readonly file: string,
    readonly layout: ReconLayout,
    readonly header: ReconFileHeader | null,
    private readonly headerLine: number,
    private readonly cursor: LineCursor,
    private readonly state: LineDecoderState,
    private readonly sink: ErrorSink,
    private readonly checkHeader: boolean,
  ) {
    this.fileKind = layout.kind;
  }

  get encoding(): ReconEncoding {
    return this.state.encoding;
  }
  get bom(): boolean {
    return this.state.bom;
  }
  get bytesRead(): number {
    return this.state.bytesRead;
  }
  get errors(): readonly ReconParseError[] {
    return this.sink.kept;
  }
  get errorCount(): number {
    return this.sink.count;
  }

  close(): Promise<void> {
    return this.cursor.close();
  }

  /**
   * A hand-written iterator rather than an async generator: records of a batch are handed out
   * with an already-resolved promise, and only a new batch waits for I/O. This halves the cost per
   * record on large files.
   */
  [Symbol.asyncIterator](): AsyncIterator<ReconRecord> {
    if (this.started) throw new Error(`${this.file}: records can be read once; open the file again to re-read them`);
    this.started = true;
    this.read = rowReader(this.layout);
    this.dateCheck = this.checkHeader ? headerDateCheck(this.header, this.layout) : null;
    return {
      next: () => this.next(),
      return: async () => {
        await this.finish();
        return { done: true, value: undefined };
      },
    };
  }

  private read: RowReader | null = null;
  private dateCheck: ReturnType<typeof headerDateCheck> = null;
  private lines: DecodedLine[] = [];
  private at = 0;
  private finished = false;

  private next(): Promise<IteratorResult<ReconRecord>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    let record: ReconRecord | undefined;
    try {
      record = this.take();
    } catch (err) {
      return this.finish().then(() => Promise.reject(err));
    }
    return record === undefined ? this.refill() : Promise.resolve({ done: false, value: record });
  }

  private async refill(): Promise<IteratorResult<ReconRecord>> {
    try {
      for (;;) {
        const batch = await this.cursor.nextBatch();
        if (batch === null) {
          this.checkTotalCount();
          await this.finish();
          return { done: true, value: undefined };
        }
        this.lines = batch.lines;
        this.at = batch.start;
        const record = this.take();
        if (record !== undefined) return { done: false, value: record };
      }
    } catch (err) {
      await this.finish();
      throw err;
    }
  }

  /** The next record of the current batch, or `undefined` when the batch is used up. */
  private take(): ReconRecord | undefined {
    const { file, layout, cursor, sink, lines } = this;
    const read = this.read!;
    while (this.at < lines.length) {
      const text = lines[this.at++]!;
      const lineNo = ++cursor.lineNo;
      if (typeof text !== "string") {
        this.dataLineCount++;
        sink.add(new ReconParseError(file, lineNo, null, null, `line of ${text.bytes} bytes; expected a record of ${layout.columns.length} columns`));
        continue;
      }
      if (isBlank(text)) continue;
      this.dataLineCount++;
      let record: ReconRecord;
      try {
        record = read(text.split("|"), file, lineNo);
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err;
        const name = err.column === null ? null : (layout.columns[err.column - 1] ?? null);
        sink.add(new ReconParseError(file, lineNo, err.column, name, err.reason));
        continue;
      }
      if (this.dateCheck !== null) {
        const problem = this.dateCheck(record);
        if (problem !== null) sink.add(new ReconParseError(file, lineNo, problem.column, problem.columnName, problem.reason));
      }
      this.recordCount++;
      return record;
    }
    return undefined;
  }

  private checkTotalCount(): void {
    const total = this.header?.totalCount;
    if (this.checkHeader && total !== null && total !== undefined && total !== this.dataLineCount) {
      this.sink.add(
        new ReconParseError(this.file, this.headerLine, null, "Total_count", `the header says Total_count:${total}, the file has ${this.dataLineCount} records`),
      );
    }
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.lines = [];
    await this.cursor.close();
  }
}

/** The header's date must be the day of every record: the payment day T, or the settlement day S. */
function headerDateCheck(
  header: ReconFileHeader | null,
  layout: ReconLayout,
): ((record: ReconRecord) => { column: number; columnName: string; reason: string } | null) | null {
  const date = header?.date;
  if (!date) return null;
  const bySettlement = /settle/i.test(header.dateField ?? "") && layout.kind === "settlement";
  const field = bySettlement ? "settlementTime" : "paymentTime";
  const index = layout.fields.indexOf(field);
  if (index < 0) return null;
  const columnName = layout.columns[index]!;
  return (record) => {
    const time = record.kind === "settlement" && bySettlement ? record.settlementTime : record.paymentTime;
    if (time === null || time.startsWith(date)) return null;
    return { column: index + 1, columnName, reason: `expected a time on ${date} (the header's ${header.dateField}), got ${quoteInput(time)}` };
  };
}
