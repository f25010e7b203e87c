import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { AmountError, parseAmountLenient } from "../amount";
import { isBlank } from "./cursor";
import { quoteInput } from "./errors";
import { HK_SETTLEMENT_COLUMNS, HK_TRANSACTION_COLUMNS, readColumnLine, type ReconLayout } from "./layout";
import { openReconciliationFile } from "./parse";
import type { ReconRecord, ReconRecordType } from "./records";
import { chunked } from "./test-helpers";

// The parser reads fields in place, shares repeated values and decodes UTF-8 only where a field
// needs it. This is the obvious way it must agree with, record for record and error for error:
// decode the whole text, split it into lines and each line at "|", trim every field.

const RECORD_TYPES: Record<string, ReconRecordType> = {
  PAYMENT: "PAYMENT",
  P: "PAYMENT",
  REVERSAL: "REVERSAL",
  REVERSE: "REVERSAL",
  REFUND: "REFUND",
  R: "REFUND",
  CANCEL: "CANCEL",
};
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[ T]([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?$/;

class Problem {
  constructor(
    readonly column: number | null,
    readonly reason: string,
  ) {}
}

function referenceRecord(layout: ReconLayout, fields: string[], file: string, line: number): ReconRecord {
  const width = layout.columns.length;
  const at = (name: string) => layout.fields.indexOf(name as never);
  if (fields.length < width) throw new Problem(fields.length + 1, `expected ${width} columns separated by |, got ${fields.length}`);
  for (let i = width; i < fields.length; i++) {
    if (fields[i]!.trim() !== "") throw new Problem(i + 1, `expected ${width} columns separated by |, got ${fields.length}`);
  }
  const text = (name: string) => (at(name) < 0 ? "" : fields[at(name)]!.trim());
  const required = (name: string) => {
    const value = text(name);
    if (value === "") throw new Problem(at(name) + 1, "expected a value, got an empty field");
    return value;
  };
  const amount = (name: string) => {
    const i = at(name);
    try {
      return parseAmountLenient(fields[i]!, layout.columns[i]);
    } catch (err) {
      if (err instanceof AmountError) throw new Problem(i + 1, `expected a decimal amount like 100 or 100.00, got ${quoteInput(fields[i]!)}`);
      throw err;
    }
  };
  const optionalAmount = (name: string) => (at(name) < 0 || text(name) === "" ? null : amount(name));
  const timestamp = (name: string) => {
    const value = text(name);
    if (!TIMESTAMP.test(value)) throw new Problem(at(name) + 1, `expected a time YYYY-MM-DD HH:MM:SS, got ${quoteInput(fields[at(name)]!)}`);
    return value;
  };
  const rawType = required("type");
  const type = RECORD_TYPES[rawType] ?? RECORD_TYPES[rawType.toUpperCase()];
  if (type === undefined) throw new Problem(at("type") + 1, `expected PAYMENT, REVERSAL, REVERSE, REFUND, CANCEL, P or R, got ${quoteInput(rawType)}`);
  const currency = required("currency");
  if (!/^[A-Z]{3}$/.test(currency)) throw new Problem(at("currency") + 1, `expected a currency code like HKD, got ${quoteInput(currency)}`);
  const partnerTransactionId = required("partnerTransactionId");
  const transactionId = required("transactionId");
  const amountValue = amount("amount");
  const fee = optionalAmount("fee") ?? 0;
  const paymentTime = timestamp("paymentTime");
  const transAmount = optionalAmount("transAmount");
  const base = {
    file,
    line,
    partnerTransactionId,
    transactionId,
    type,
    rawType,
    amount: amountValue,
    fee,
    currency,
    paymentTime,
    remark: text("remark"),
    secondaryMerchantIndustry: text("secondaryMerchantIndustry"),
    secondaryMerchantName: text("secondaryMerchantName"),
    secondaryMerchantId: text("secondaryMerchantId"),
    operatorName: text("operatorName"),
    orderScene: text("orderScene"),
    transCurrency: text("transCurrency"),
    transAmount,
    transForexRate: text("transForexRate"),
    paymentInst: text("paymentInst"),
    extra: null,
  };
  if (layout.kind === "transaction") return { kind: "transaction", ...base };
  const settlement = optionalAmount("settlement") ?? Math.abs(amountValue) - Math.abs(fee);
  const settlementTime = at("settlementTime") < 0 || text("settlementTime") === "" ? null : timestamp("settlementTime");
  return { kind: "settlement", ...base, settlement, settlementTime, status: text("status") };
}

/** Records and error messages of a decoded file whose first two lines are the header and the column names. */
function reference(text: string, file: string): { records: ReconRecord[]; errors: string[] } {
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  const columns = readColumnLine(lines[1]!.split("|"));
  if (columns === null || !columns.ok) throw new Error("bad column line in the test");
  const layout = columns.layout;
  const records: ReconRecord[] = [];
  const errors: string[] = [];
  for (let i = 2; i < lines.length; i++) {
    if (isBlank(lines[i]!)) continue;
    try {
      records.push(referenceRecord(layout, lines[i]!.split("|"), file, i + 1));
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      const name = err.column === null ? null : (layout.columns[err.column - 1] ?? null);
      errors.push(`${file}:${i + 1}${err.column === null ? "" : `: column ${err.column}${name ? ` (${name})` : ""}`}: ${err.reason}`);
    }
  }
  return { records, errors };
}

// Field values that go near every edge: Unicode spaces trim() removes, CJK and accents (multi-byte
// in UTF-8 and GBK), control characters it keeps, and values a column repeats.
const PIECES = [
  "a",
  "Z",
  "0",
  "7",
  "-",
  ".",
  " ",
  "\t",
  "\u3000",
  "\u00a0",
  "\u2003",
  "\ufeff",
  "\u0001",
  "é",
  "旺",
  "角店",
  "九龍",
  "億",
  "HKD",
  "hkd",
  "P",
  "R",
  "REFUND",
  "payment",
  "12.30",
  "100",
  "2024-01-02 10:00:00",
  "2024-01-02T9:05",
  "2024-13-02 10:00:00",
  "ALIPAYHK",
  "|",
  "",
];
const field = fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }).map((parts) => parts.join(""));

function validFields(columns: readonly string[], i: number): string[] {
  const values: Record<string, string> = {
    Partner_transaction_id: `order-${i % 7}`,
    Transaction_id: `2024010222${1_000_000_000 + i}`,
    Transaction_amount: i % 3 === 0 ? "100" : "12.30",
    Amount: "12.30",
    Charge_amount: "0.15",
    Fee: "0.15",
    Settlement: "12.15",
    Currency: "HKD",
    Payment_time: "2024-01-02 10:00:00",
    Settlement_time: i % 4 === 0 ? "" : "2024-01-03 06:00:00",
    Transaction_type: ["PAYMENT", "REFUND", "CANCEL", "REVERSE"][i % 4]!,
    Type: ["P", "R"][i % 2]!,
    Status: "L",
    Secondary_merchant_name: ["九龍茶餐廳", "Bakery & Café", " 旺角店 ", "Tea House"][i % 4]!,
    Operator_name: ["Central", "銅鑼灣店", "\u3000尖沙咀\u3000"][i % 3]!,
    Trans_currency: "HKD",
    Trans_amount: i % 5 === 0 ? "" : "12.30",
    Trans_forex_rate: "1",
    Issue: i % 2 === 0 ? "ALIPAYHK" : "ALIPAYCN",
  };
  return columns.map((name) => values[name] ?? "");
}

const edit = fc.record({ row: fc.nat(), column: fc.nat(), value: field, kind: fc.constantFrom("set", "set", "append", "drop", "extra") });

function fileText(columns: readonly string[], rows: number, edits: readonly (typeof edit extends fc.Arbitrary<infer T> ? T : never)[], crlf: boolean): string {
  const lines = Array.from({ length: rows }, (_, i) => validFields(columns, i));
  for (const e of edits) {
    const fields = lines[e.row % rows]!;
    const at = e.column % fields.length;
    if (e.kind === "set") fields[at] = e.value;
    else if (e.kind === "append") fields[at] = fields[at] + e.value;
    else if (e.kind === "drop") fields.splice(at, 1);
    else fields.push(e.value);
  }
  const header = `Partner:2088000000000001|Payment_time:2024-01-02|Total_count:${rows}`;
  return [header, columns.join("|"), ...lines.map((fields) => fields.join("|")), ""].join(crlf ? "\r\n" : "\n");
}

async function parsed(bytes: Buffer, sizes: number[], encoding: "auto" | "gbk", batched: boolean) {
  const file = await openReconciliationFile(chunked(bytes, sizes), { fileName: "x.txt", onError: "collect", checkHeader: false, encoding, maxErrors: 10_000 });
  if (file.outcome !== "records") throw new Error(`expected records, got ${file.outcome}`);
  const records: ReconRecord[] = [];
  if (batched) for await (const batch of file.batches()) records.push(...batch);
  else for await (const record of file) records.push(record);
  return { records, errors: file.errors.map((e) => e.message) };
}

describe("the parser agrees with splitting and trimming each decoded line", () => {
  for (const [kind, columns] of [
    ["transaction", HK_TRANSACTION_COLUMNS],
    ["settlement", HK_SETTLEMENT_COLUMNS],
  ] as const) {
    it(`on edited ${kind} files in UTF-8 (with or without BOM) and GBK, any chunking, one at a time or in batches`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 120 }),
          fc.array(edit, { maxLength: 25 }),
          fc.record({ gbk: fc.boolean(), bom: fc.boolean(), crlf: fc.boolean(), batched: fc.boolean() }),
          fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 4 }),
          async (rows, edits, how, sizes) => {
            const text = fileText(columns, rows, edits, how.crlf);
            let bytes: Buffer;
            if (how.gbk) {
              bytes = iconv.encode(text, "gbk");
              fc.pre(iconv.decode(bytes, "gbk") === text); // only text GBK can carry
            } else {
              bytes = Buffer.concat([Buffer.from(how.bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, "utf8")]);
            }
            const got = await parsed(bytes, sizes, how.gbk ? "gbk" : "auto", how.batched);
            expect(got).toEqual(reference(text, "x.txt"));
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
