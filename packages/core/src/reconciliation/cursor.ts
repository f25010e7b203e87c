import type { DecodedLine } from "./lines";

/** Lines one at a time for the preamble, whole batches for the records. */
export class LineCursor {
  lineNo = 0;
  batch: DecodedLine[] = [];
  pos = 0;
  constructor(private readonly batches: AsyncIterator<DecodedLine[]>) {}

  async next(): Promise<DecodedLine | null> {
    while (this.pos >= this.batch.length) {
      const step = await this.batches.next();
      if (step.done) return null;
      this.batch = step.value;
      this.pos = 0;
    }
    this.lineNo++;
    return this.batch[this.pos++]!;
  }

  async nextNonBlank(): Promise<DecodedLine | null> {
    for (;;) {
      const line = await this.next();
      if (line === null || typeof line !== "string" || !isBlank(line)) return line;
    }
  }

  /** Un-reads the line just read (never more than one). */
  pushBack(): void {
    this.pos--;
    this.lineNo--;
  }

  /** The rest of the current batch, or the next one; `null` at the end. */
  async nextBatch(): Promise<{ lines: DecodedLine[]; start: number } | null> {
    if (this.pos < this.batch.length) {
      const start = this.pos;
      this.pos = this.batch.length;
      return { lines: this.batch, start };
    }
    const step = await this.batches.next();
    if (step.done) return null;
    this.batch = step.value;
    this.pos = step.value.length;
    return { lines: step.value, start: 0 };
  }

  async close(): Promise<void> {
    await this.batches.return?.(undefined);
  }
}

export function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === "");
}
