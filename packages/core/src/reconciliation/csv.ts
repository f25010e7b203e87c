/**
 * The little CSV this module needs: reading store exports (RFC 4180: quoted fields, doubled
 * quotes, CRLF) and writing `recon parse --csv`. Alipay's own files are `|`-separated and never
 * quoted, so they do not come through here.
 */

/** A CSV row with the 1-based line it starts on (quoted fields may span lines). */
export interface CsvRow {
  readonly line: number;
  readonly fields: string[];
}

/** Thrown for a quote that is never closed; `line` is where the field started. */
export class CsvSyntaxError extends Error {
  override readonly name = "CsvSyntaxError";
  constructor(
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Splits CSV text into rows; blank lines are skipped. */
export function readCsv(text: string): CsvRow[] {
  return [...csvRows(text)];
}

/**
 * The rows of CSV text one at a time, so a large export never exists twice (as rows and as
 * orders). Lines without a quote (nearly all of an export) are split with one native `split`;
 * only quoted records are scanned field by field.
 */
export function* csvRows(text: string): Generator<CsvRow> {
  const n = text.length;
  let pos = 0;
  let line = 1;
  // Where the next quote is, looked up again only once passed: a fresh search per line would scan to the end of a quote-less export every time.
  let quote = text.indexOf('"');
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    if (quote >= 0 && quote < pos) quote = text.indexOf('"', pos);
    if (quote < 0 || quote > end) {
      const raw = text.charCodeAt(end - 1) === 13 && end > pos ? text.slice(pos, end - 1) : text.slice(pos, end);
      if (raw !== "") yield { line, fields: raw.split(",") };
      pos = end + 1;
      line++;
      continue;
    }
    const record = readQuotedRecord(text, pos, line);
    yield { line, fields: record.fields };
    pos = record.pos;
    line = record.line;
  }
}

/** Reads one record that has quoted fields, from `pos`; returns where the next record starts. */
function readQuotedRecord(text: string, start: number, startLine: number): { fields: string[]; pos: number; line: number } {
  const n = text.length;
  const fields: string[] = [];
  let pos = start;
  let line = startLine;
  for (;;) {
    let value = "";
    if (text.charCodeAt(pos) === 34) {
      let at = pos + 1;
      for (;;) {
        const close = text.indexOf('"', at);
        if (close < 0) throw new CsvSyntaxError(line, fields.length + 1, 'a quoted field is never closed; expected a closing "');
        const part = text.slice(at, close);
        value += part;
        line += countNewlines(part);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          at = close + 2;
          continue;
        }
        pos = close + 1;
        break;
      }
    }
    // The unquoted field, or whatever follows a closing quote, up to the next comma or newline.
    let stop = pos;
    while (stop < n && text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== 10) stop++;
    const rest = text.slice(pos, stop);
    value += text.charCodeAt(stop) === 10 || stop === n ? rest.replace(/\r$/, "") : rest;
    fields.push(value);
    if (stop >= n) return { fields, pos: n, line };
    if (text.charCodeAt(stop) === 44) {
      pos = stop + 1;
      continue;
    }
    return { fields, pos: stop + 1, line: line + 1 };
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** One CSV line (with `\n`), quoting only what needs it. */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(",")}\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
