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
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let quoted = false;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !quoted)) rows.push({ line: rowLine, fields });
    fields = [];
    field = "";
    quoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      inQuotes = true;
      quoted = true;
      quoteLine = line;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
    }
  }
  if (inQuotes) throw new CsvSyntaxError(quoteLine, fields.length + 1, "a quoted field is never closed; expected a closing \"");
  if (field !== "" || fields.length > 0 || quoted) endRow();
  return rows;
}

/** One CSV line (with `\n`), quoting only what needs it. */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(",")}\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
