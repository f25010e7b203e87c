import { quoteInput } from "./errors";
import type { ReconFileKind } from "./records";

/**
 * The first line of an Alipay file: `Partner:2088…|Payment_time: 2013-12-02|Total_count:4`
 * (settlement files name the date `Settlement_time`). The parser checks it against the records.
 */
export interface ReconFileHeader {
  /** The partner id (PID), or `null` when the header does not name it. */
  readonly partner: string | null;
  /** The file's day, `YYYY-MM-DD` (GMT+8): transaction day T or settlement day S. */
  readonly date: string | null;
  /** The name of the date field as written (`Payment_time`, `Settlement_time`, …). */
  readonly dateField: string | null;
  /** How many records the file says it holds. */
  readonly totalCount: number | null;
  /** Every `name:value` pair as written (values trimmed). */
  readonly fields: Readonly<Record<string, string>>;
}

/** A problem with the header line, before it becomes a `ReconParseError`. */
export interface HeaderProblem {
  readonly column: number;
  readonly columnName: string;
  readonly reason: string;
}

/** Whether a line is a header line: every field is `name:value`, and one of them is Partner or Total_count. */
export function isHeaderLine(fieldsText: readonly string[]): boolean {
  let named = false;
  for (const field of fieldsText) {
    const colon = field.indexOf(":");
    if (colon < 0) {
      if (field.trim() === "") continue;
      return false;
    }
    const name = field.slice(0, colon).trim().toLowerCase();
    if (name === "partner" || name === "total_count") named = true;
  }
  return named;
}

/**
 * The header's date: `2013-12-02` (the documents' samples), `20131202`, or with a time,
 * `2013-12-02 00:00:00` (the HK field table gives `Payment_time` as `yyyy-MM-dd HH:mm:ss`).
 */
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})(?:[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?$/;

/** Reads a header line; returns the header or the first problem with it. */
export function readHeaderLine(fieldsText: readonly string[]): ReconFileHeader | HeaderProblem {
  const fields: Record<string, string> = {};
  let partner: string | null = null;
  let date: string | null = null;
  let dateField: string | null = null;
  let totalCount: number | null = null;
  for (let i = 0; i < fieldsText.length; i++) {
    const text = fieldsText[i]!;
    if (text.trim() === "") continue;
    const colon = text.indexOf(":");
    if (colon < 0) return { column: i + 1, columnName: text.trim(), reason: `expected name:value in the header line, got ${quoteInput(text)}` };
    const name = text.slice(0, colon).trim();
    const value = text.slice(colon + 1).trim();
    fields[name] = value;
    const key = name.toLowerCase();
    if (key === "partner") {
      partner = value;
    } else if (key === "total_count" || key === "totalcount") {
      if (!/^\d{1,9}$/.test(value)) return { column: i + 1, columnName: name, reason: `expected a whole number of records, got ${quoteInput(value)}` };
      totalCount = Number(value);
    } else if (date === null) {
      const match = DATE.exec(value);
      if (match) {
        date = `${match[1]}-${match[2]}-${match[3]}`;
        dateField = name;
      } else if (/time|date/i.test(name)) {
        return { column: i + 1, columnName: name, reason: `expected a date YYYY-MM-DD or yyyy-MM-dd HH:mm:ss, got ${quoteInput(value)}` };
      }
    }
  }
  return { partner, date, dateField, totalCount, fields };
}

/** What Alipay's file name says: `PID_transaction_YYYYMMDD.txt` or `PID_settlement_YYYYMMDD.txt`. */
export interface ReconFileName {
  readonly partner: string;
  readonly kind: ReconFileKind;
  readonly date: string;
}

/** Reads Alipay's file-name convention (spec §5.1); `null` for any other name. */
export function readReconFileName(path: string): ReconFileName | null {
  const base = path.split(/[\\/]/).pop() ?? "";
  const match = /^(\d+)_(transaction|settlement)_(\d{4})(\d{2})(\d{2})\.(?:txt|csv)$/i.exec(base);
  if (!match) return null;
  return { partner: match[1]!, kind: match[2]!.toLowerCase() as ReconFileKind, date: `${match[3]}-${match[4]}-${match[5]}` };
}
