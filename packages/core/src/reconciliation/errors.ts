/**
 * One error type for everything the reconciliation code reads (Alipay files and store exports), so
 * a cron job or a person can go straight to the offending place: file, line and column.
 */

/** Longest excerpt of the offending input quoted in a message. */
const EXCERPT_CHARS = 60;

/** Quotes a piece of input for a message, truncated so one bad line never floods a log. */
export function quoteInput(text: string): string {
  return JSON.stringify(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text);
}

/**
 * A line of a reconciliation file (or a store export) that is not what it should be. `line` is
 * 1-based; `column` is the 1-based position of the `|`-separated field and `columnName` its name in
 * the file, both `null` when the whole line is at fault.
 *
 * @example
 * // PID_transaction_20131202.txt:5: column 3 (Transaction_amount): expected a decimal amount …
 * if (err instanceof ReconParseError) console.error(err.message);
 */
export class ReconParseError extends Error {
  override readonly name = "ReconParseError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number | null,
    readonly columnName: string | null,
    readonly reason: string,
  ) {
    super(`${file}:${line}${column === null ? "" : `: column ${column}${columnName ? ` (${columnName})` : ""}`}: ${reason}`);
  }
}

/** Throws or keeps errors, per the `onError` option. */
export class ErrorSink {
  readonly kept: ReconParseError[] = [];
  count = 0;
  constructor(
    private readonly mode: "throw" | "collect",
    private readonly max: number,
  ) {}
  add(error: ReconParseError): void {
    if (this.mode === "throw") throw error;
    this.count++;
    if (this.kept.length < this.max) this.kept.push(error);
  }
}
