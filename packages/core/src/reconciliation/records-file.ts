import { quoteInput, ReconParseError, type ErrorSink } from "./errors";
import { isBlank, type LineCursor } from "./cursor";
import type { ReconFileHeader } from "./header";
import type { ReconLayout } from "./layout";
import { TextBlock, type LineDecoderState, type ReconEncoding } from "./lines";
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
   * A hand-written iterator rather than an async generator: records of a block are handed out
   * with an already-resolved promise, and only a new block waits for I/O. This halves the cost per
   * record on large files.
   */
  [Symbol.asyncIterator](): AsyncIterator<ReconRecord> {
    this.start();
    return {
      next: () => this.next(),
      return: async () => {
        await this.finish();
        return { done: true, value: undefined };
      },
    };
  }

  batches(): AsyncIterableIterator<ReconRecord[]> {
    this.start();
    return this.readBatches();
  }

  private reader: RowReader | null = null;
  private dateCheck: ReturnType<typeof headerDateCheck> = null;
  private finished = false;

  private start(): void {
    if (this.started) throw new Error(`${this.file}: records can be read once; open the file again to re-read them`);
    this.started = true;
    this.reader = rowReader(this.layout);
    if (this.cursor.block instanceof TextBlock) this.reader.use(this.cursor.block);
    this.dateCheck = this.checkHeader ? headerDateCheck(this.header, this.layout) : null;
  }

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
        if (!(await this.nextBlock())) {
          this.checkTotalCount();
          await this.finish();
          return { done: true, value: undefined };
        }
        const record = this.take();
        if (record !== undefined) return { done: false, value: record };
      }
    } catch (err) {
      await this.finish();
      throw err;
    }
  }

  /**
   * The records of each block in one array. In `throw` mode the records before a bad line come
   * first, as one more batch, and the error after them: the same records as one at a time.
   */
  private async *readBatches(): AsyncGenerator<ReconRecord[], void, undefined> {
    try {
      for (;;) {
        const batch: ReconRecord[] = [];
        let failed = false;
        let failure: unknown;
        try {
          for (let record = this.take(); record !== undefined; record = this.take()) batch.push(record);
        } catch (err) {
          failed = true;
          failure = err;
        }
        if (batch.length > 0) yield batch;
        if (failed) throw failure;
        if (!(await this.nextBlock())) {
          this.checkTotalCount();
          return;
        }
      }
    } finally {
      await this.finish();
    }
  }

  private async nextBlock(): Promise<boolean> {
    if (!(await this.cursor.nextBlock())) return false;
    if (this.cursor.block instanceof TextBlock) this.reader!.use(this.cursor.block);
    return true;
  }

  /** The next record of the current block, or `undefined` when the block is used up. */
  private take(): ReconRecord | undefined {
    const { file, layout, cursor, sink } = this;
    const reader = this.reader!;
    const block = cursor.block;
    if (!(block instanceof TextBlock)) {
      // An overlong line: a block of its own.
      if (cursor.pos > 0) return undefined;
      cursor.pos = 1;
      const lineNo = ++cursor.lineNo;
      this.dataLineCount++;
      sink.add(new ReconParseError(file, lineNo, null, null, `line of ${block.bytes} bytes; expected a record of ${layout.columns.length} columns`));
      return undefined;
    }
    const { text } = block;
    while (cursor.pos <= text.length) {
      const start = cursor.pos;
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      cursor.pos = end + 1;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      const lineNo = ++cursor.lineNo;
      if (end === start || (text.charCodeAt(start) <= 32 && isBlank(block.slice(start, end)))) continue;
      this.dataLineCount++;
      let record: ReconRecord;
      try {
        record = reader.read(start, end, file, lineNo);
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
        new ReconParseError(
          this.file,
          this.headerLine,
          null,
          "Total_count",
          `the header says Total_count:${total}, the file has ${this.dataLineCount} records`,
        ),
      );
    }
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
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
