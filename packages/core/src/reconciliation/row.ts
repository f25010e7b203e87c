import { AmountError, parseAmountLenient, type MinorUnits } from "../amount";
import { scanAmount } from "../amount-scan";
import { quoteInput } from "./errors";
import type { ReconField, ReconLayout } from "./layout";
import { TextBlock } from "./lines";
import type { ReconRecord, ReconRecordType } from "./records";

/** What is wrong with one line, before the parser adds the file name and line number. */
export class RowProblem {
  constructor(
    /** 1-based column, `null` for the whole line. */
    readonly column: number | null,
    readonly reason: string,
  ) {}
}

const RECORD_TYPES: Readonly<Record<string, ReconRecordType>> = {
  PAYMENT: "PAYMENT",
  P: "PAYMENT",
  REVERSAL: "REVERSAL",
  REVERSE: "REVERSAL",
  REFUND: "REFUND",
  R: "REFUND",
  CANCEL: "CANCEL",
};

const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[ T]([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?$/;

/**
 * Reads the lines of a block of text into records. The fields are found with `indexOf("|")` and
 * read where they are: amounts are scanned in place, a field becomes a string only when the record
 * keeps it, and short values a column repeats (currency, type, wallet, store) are shared rather than
 * copied for every row.
 */
export interface RowReader {
  /** Reads lines from `block` from now on (lines are read in order within a block). */
  use(block: TextBlock): void;
  /** Reads the line `block.text[start, end)` (without its line end) into a record; throws `RowProblem`. */
  read(start: number, end: number, file: string, line: number): ReconRecord;
}

/** Values up to this length are shared between rows (longer ones are cheap slices of the line's text anyway). */
const SHARED_MAX_LENGTH = 12;
/** Recent values kept per column. */
const SHARED_SLOTS = 4;
/** A column that missed more than half this many times, and more often than it hit (ids), stops looking. */
const SHARED_TRIAL = 64;

/**
 * Builds the reader for one layout. Column positions are looked up once per file, so reading a
 * line is a fixed sequence of field reads and checks, in the same order as the errors are reported.
 */
export function rowReader(layout: ReconLayout): RowReader {
  const at = (field: ReconField): number => layout.fields.indexOf(field);
  const width = layout.columns.length;
  const iPartner = at("partnerTransactionId");
  const iTransaction = at("transactionId");
  const iAmount = at("amount");
  const iFee = at("fee");
  const iSettlement = at("settlement");
  const iCurrency = at("currency");
  const iPaymentTime = at("paymentTime");
  const iSettlementTime = at("settlementTime");
  const iType = at("type");
  const iStatus = at("status");
  const iRemark = at("remark");
  const iIndustry = at("secondaryMerchantIndustry");
  const iMerchantName = at("secondaryMerchantName");
  const iMerchantId = at("secondaryMerchantId");
  const iOperator = at("operatorName");
  const iScene = at("orderScene");
  const iTransCurrency = at("transCurrency");
  const iTransAmount = at("transAmount");
  const iRate = at("transForexRate");
  const iInst = at("paymentInst");
  const extraColumns: number[] = [];
  layout.fields.forEach((field, i) => {
    if (field === null) extraColumns.push(i);
  });

  // The current block, its text, and where each field of the current line starts and ends.
  let block = new TextBlock("", null);
  let line = "";
  const starts = new Int32Array(width);
  const ends = new Int32Array(width);
  // Where the last search for "|" that ran past its line stopped (-1: no "|" in the rest of the
  // block, -2: none yet): a run of lines without enough "|" must not make each search the rest of
  // the block again.
  let pipeBeyond = -2;
  /** `text[s, e)` decoded and trimmed, as `split("|")` then `trim()` on the decoded line gives it. */
  const decodeTrimmed = (s: number, e: number): string => {
    const v = block.slice(s, e);
    return v.length > 0 && (mayTrim(v.charCodeAt(0)) || mayTrim(v.charCodeAt(v.length - 1))) ? v.trim() : v;
  };
  // Recent short values per column, by their text in the block (`keys`: the bytes as Latin-1 when
  // the block is not decoded) and as the record keeps them (`values`: decoded, trimmed).
  const keys: (string[] | null)[] = Array.from({ length: width }, () => []);
  const values: string[][] = Array.from({ length: width }, () => []);
  const misses = new Int32Array(width);
  const hits = new Int32Array(width);
  /** The field trimmed, as a string. */
  const value = (i: number): string => {
    const s = starts[i]!;
    const e = ends[i]!;
    if (s === e) return "";
    const slots = keys[i];
    const length = e - s;
    if (slots == null || length > SHARED_MAX_LENGTH) return decodeTrimmed(s, e);
    const first = line.charCodeAt(s);
    for (let k = 0; k < slots.length; k++) {
      const key = slots[k]!;
      if (key.length !== length || key.charCodeAt(0) !== first) continue;
      // A loop rather than `startsWith`: the keys are short and the loop is inlined.
      let same = 1;
      while (same < length && key.charCodeAt(same) === line.charCodeAt(s + same)) same++;
      if (same === length) {
        hits[i] = hits[i]! + 1;
        return values[i]![k]!;
      }
    }
    const v = decodeTrimmed(s, e);
    const missed = misses[i]! + 1;
    misses[i] = missed;
    const slot = slots.length < SHARED_SLOTS ? slots.length : missed % SHARED_SLOTS;
    slots[slot] = line.slice(s, e);
    values[i]![slot] = v;
    if (missed > SHARED_TRIAL / 2 && missed > hits[i]!) keys[i] = null;
    return v;
  };
  /** The field as `split("|")` on the decoded line would give it, for messages. */
  const raw = (i: number): string => block.slice(starts[i]!, ends[i]!);
  /** Whether a field is empty once trimmed; one starting with a plain ASCII character is not. */
  const isBlankSpan = (s: number, e: number): boolean => s === e || (!isPlain(line.charCodeAt(s)) && decodeTrimmed(s, e) === "");
  const isEmpty = (i: number): boolean => isBlankSpan(starts[i]!, ends[i]!);
  const text = (i: number): string => (i < 0 ? "" : value(i));
  const required = (i: number): string => {
    const v = value(i);
    if (v === "") throw new RowProblem(i + 1, "expected a value, got an empty field");
    return v;
  };
  const amount = (i: number): MinorUnits => {
    // Only "-", digits and "." get through the scan: nothing to trim or decode.
    const cents = scanAmount(line, starts[i]!, ends[i]!);
    if (!Number.isNaN(cents)) return cents;
    try {
      return parseAmountLenient(raw(i), layout.columns[i]);
    } catch (err) {
      if (err instanceof AmountError) throw new RowProblem(i + 1, `expected a decimal amount like 100 or 100.00, got ${quoteInput(raw(i))}`);
      throw err;
    }
  };
  const optionalAmount = (i: number): MinorUnits | null => (i < 0 || isEmpty(i) ? null : amount(i));
  const timestamp = (i: number): string => {
    const s = starts[i]!;
    if (ends[i]! - s === 19 && isPlainTimestamp(line, s)) return line.slice(s, s + 19);
    const v = value(i);
    if (!TIMESTAMP.test(v)) throw new RowProblem(i + 1, `expected a time YYYY-MM-DD HH:MM:SS, got ${quoteInput(raw(i))}`);
    return v;
  };

  const use = (next: TextBlock): void => {
    block = next;
    line = next.text;
    pipeBeyond = -2;
  };
  const read = (start: number, end: number, file: string, lineNo: number): ReconRecord => {
    // Field bounds, as `split("|")` would cut them; fields beyond the layout are only checked for content.
    const chars = line;
    let count = 0;
    let firstFilledExtra = -1;
    for (let s = start; ; ) {
      let pipe = pipeBeyond === -1 || pipeBeyond >= s ? pipeBeyond : chars.indexOf("|", s);
      if (pipe < 0 || pipe > end) {
        pipeBeyond = pipe;
        pipe = end;
      }
      if (count < width) {
        starts[count] = s;
        ends[count] = pipe;
      } else if (firstFilledExtra < 0 && !isBlankSpan(s, pipe)) {
        firstFilledExtra = count;
      }
      count++;
      if (pipe === end) break;
      s = pipe + 1;
    }
    // A trailing "|" (empty extra fields) is harmless; anything else beyond the layout is not.
    if (count < width) throw new RowProblem(count + 1, `expected ${width} columns separated by |, got ${count}`);
    if (firstFilledExtra >= 0) throw new RowProblem(firstFilledExtra + 1, `expected ${width} columns separated by |, got ${count}`);

    const rawType = required(iType);
    const type = RECORD_TYPES[rawType] ?? RECORD_TYPES[rawType.toUpperCase()];
    if (type === undefined) {
      throw new RowProblem(iType + 1, `expected PAYMENT, REVERSAL, REVERSE, REFUND, CANCEL, P or R, got ${quoteInput(rawType)}`);
    }
    const currency = required(iCurrency);
    if (!isCurrencyCode(currency)) throw new RowProblem(iCurrency + 1, `expected a currency code like HKD, got ${quoteInput(currency)}`);
    const partnerTransactionId = required(iPartner);
    const transactionId = required(iTransaction);
    const amountValue = amount(iAmount);
    const fee = optionalAmount(iFee) ?? 0;
    const paymentTime = timestamp(iPaymentTime);
    const transAmount = optionalAmount(iTransAmount);
    const extra = extraColumns.length === 0 ? null : extraValues(layout, extraColumns, value);
    // Two literals with the same key order (not a spread): records of a file share one shape.
    if (layout.kind === "transaction") {
      return {
        kind: "transaction",
        file,
        line: lineNo,
        partnerTransactionId,
        transactionId,
        type,
        rawType,
        amount: amountValue,
        fee,
        currency,
        paymentTime,
        remark: text(iRemark),
        secondaryMerchantIndustry: text(iIndustry),
        secondaryMerchantName: text(iMerchantName),
        secondaryMerchantId: text(iMerchantId),
        operatorName: text(iOperator),
        orderScene: text(iScene),
        transCurrency: text(iTransCurrency),
        transAmount,
        transForexRate: text(iRate),
        paymentInst: text(iInst),
        extra,
      };
    }
    const settlement = optionalAmount(iSettlement) ?? Math.abs(amountValue) - Math.abs(fee);
    const settlementTime = iSettlementTime < 0 || isEmpty(iSettlementTime) ? null : timestamp(iSettlementTime);
    return {
      kind: "settlement",
      file,
      line: lineNo,
      partnerTransactionId,
      transactionId,
      type,
      rawType,
      amount: amountValue,
      fee,
      currency,
      paymentTime,
      remark: text(iRemark),
      secondaryMerchantIndustry: text(iIndustry),
      secondaryMerchantName: text(iMerchantName),
      secondaryMerchantId: text(iMerchantId),
      operatorName: text(iOperator),
      orderScene: text(iScene),
      transCurrency: text(iTransCurrency),
      transAmount,
      transForexRate: text(iRate),
      paymentInst: text(iInst),
      extra,
      settlement,
      settlementTime,
      status: text(iStatus),
    };
  };
  return { use, read };
}

/** A printable ASCII character other than space: never trimmed, never part of a multi-byte character. */
function isPlain(c: number): boolean {
  return c > 32 && c < 0x7f;
}

/**
 * Whether `String.prototype.trim` could remove this character at a field's edge. Errs on the side of
 * yes (every control character, and every Unicode space): a yes only sends the field the slow way.
 */
function mayTrim(c: number): boolean {
  if (c <= 32) return true;
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    c === 0x180e ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `YYYY-MM-DD HH:MM:SS` (or with `T`) at `s`, a subset of `TIMESTAMP` checked without a regex. */
function isPlainTimestamp(t: string, s: number): boolean {
  const digit = (i: number): number => {
    const c = t.charCodeAt(s + i) - 48;
    return c >= 0 && c <= 9 ? c : -100;
  };
  const sep = t.charCodeAt(s + 10);
  if (t.charCodeAt(s + 4) !== 45 || t.charCodeAt(s + 7) !== 45 || (sep !== 32 && sep !== 84)) return false;
  if (t.charCodeAt(s + 13) !== 58 || t.charCodeAt(s + 16) !== 58) return false;
  if (digit(0) < 0 || digit(1) < 0 || digit(2) < 0 || digit(3) < 0) return false;
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const hour = digit(11) * 10 + digit(12);
  const minute = digit(14) * 10 + digit(15);
  const second = digit(17) * 10 + digit(18);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** `^[A-Z]{3}$` */
function isCurrencyCode(v: string): boolean {
  if (v.length !== 3) return false;
  for (let k = 0; k < 3; k++) {
    const c = v.charCodeAt(k);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

function extraValues(layout: ReconLayout, columns: readonly number[], value: (i: number) => string): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const i of columns) extra[layout.columns[i]!] = value(i);
  return extra;
}
