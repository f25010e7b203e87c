import { OverlongLine, TextBlock, type DecodedBlock, type DecodedLine } from "./lines";

/**
 * Lines one at a time for the preamble; the records are read from `block` in place, from `pos` on.
 * `pos` is a character offset into the block's `text` (one past its end once every line is read), or
 * 0/1 for an overlong line not yet read/read.
 */
export class LineCursor {
  lineNo = 0;
  /** The empty text with `pos` past its end: nothing to read until the first block comes. */
  block: DecodedBlock = new TextBlock("", null);
  pos = 1;
  private lastPos = 0;
  constructor(private readonly blocks: AsyncIterator<DecodedBlock>) {}

  /** Whether every line of the current block has been read. */
  get exhausted(): boolean {
    return this.block instanceof TextBlock ? this.pos > this.block.text.length : this.pos > 0;
  }

  async next(): Promise<DecodedLine | null> {
    while (this.exhausted) {
      if (!(await this.nextBlock())) return null;
    }
    this.lastPos = this.pos;
    this.lineNo++;
    const block = this.block;
    if (block instanceof OverlongLine) {
      this.pos = 1;
      return block;
    }
    const { text } = block;
    const start = this.pos;
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    this.pos = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    return block.slice(start, end);
  }

  async nextNonBlank(): Promise<DecodedLine | null> {
    for (;;) {
      const line = await this.next();
      if (line === null || typeof line !== "string" || !isBlank(line)) return line;
    }
  }

  /** Un-reads the line just read (never more than one). */
  pushBack(): void {
    this.pos = this.lastPos;
    this.lineNo--;
  }

  /** Moves to the next block (whatever is left of the current one is dropped); false at the end. */
  async nextBlock(): Promise<boolean> {
    const step = await this.blocks.next();
    if (step.done) return false;
    this.block = step.value;
    this.pos = 0;
    return true;
  }

  async close(): Promise<void> {
    await this.blocks.return?.(undefined);
  }
}

export function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === "");
}
