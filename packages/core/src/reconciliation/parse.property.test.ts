import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { formatAmount } from "../amount";
import { ReconParseError } from "./errors";
import { HK_SETTLEMENT_COLUMNS, HK_TRANSACTION_COLUMNS } from "./layout";
import { UnsupportedEncodingError } from "./lines";
import { openReconciliationFile, type ReconParseOptions } from "./parse";
import type { ReconRecord } from "./records";
import { chunked } from "./test-helpers";

/** Characters a file may carry in its text columns: ASCII without the delimiter, and CJK that GBK encodes. */
const TEXT_CHARS = [..."abcXYZ019 -_.,:;/()&'\"#@!?%+=", ..."九龍茶餐廳旺角億街退款尖沙咀銅鑼灣"];
const text = fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 20 }).map((chars) => chars.join("").trim());
const cents = fc.integer({ min: 0, max: 10_000_000_000 });

interface Row {
  id: string;
  tid: string;
  amount: number;
  fee: number;
  rawType: string;
  minute: number;
  remark: string;
  name: string;
  store: string;
  scene: string;
  transAmount: number | null;
  inst: string;
  plainWhole: boolean;
}

const row: fc.Arbitrary<Row> = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  tid: fc.stringMatching(/^[0-9]{16,28}$/),
  amount: cents,
  fee: fc.integer({ min: 0, max: 100_000_000 }),
  rawType: fc.constantFrom("PAYMENT", "REVERSAL", "REVERSE", "REFUND", "CANCEL"),
  minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  remark: text,
  name: text,
  store: text,
  scene: fc.constantFrom("shopQrCode", ""),
  transAmount: fc.option(cents),
  inst: fc.constantFrom("ALIPAYHK", "ALIPAYCN"),
  plainWhole: fc.boolean(),
});

/** Amounts as files write them: "100" or "100.00" for whole amounts. */
function amountText(value: number, plainWhole: boolean): string {
  return plainWhole && value % 100 === 0 ? String(value / 100) : formatAmount(value);
}

function time(minute: number): string {
  return `2024-01-02 ${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}:07`;
}

function transactionLine(r: Row): string {
  return [
    r.id,
    r.tid,
    amountText(r.amount, r.plainWhole),
    amountText(r.fee, r.plainWhole),
    "HKD",
    time(r.minute),
    r.rawType,
    r.remark,
    "5812",
    r.name,
    "S1",
    r.store,
    r.scene,
    "HKD",
    r.transAmount === null ? "" : amountText(r.transAmount, r.plainWhole),
    "1",
    r.inst,
  ].join("|");
}

function settlementLine(r: Row): string {
  const settlement = Math.max(0, r.amount - r.fee);
  const type = r.rawType === "PAYMENT" ? "P" : "R";
  return [
    r.id,
    r.tid,
    amountText(r.amount, r.plainWhole),
    amountText(r.fee, r.plainWhole),
    amountText(settlement, r.plainWhole),
    "HKD",
    time(r.minute),
    "2024-01-03 06:00:00",
    type,
    "L",
    r.remark,
    "5812",
    r.name,
    "S1",
    r.store,
    r.scene,
    "HKD",
    r.transAmount === null ? "" : amountText(r.transAmount, r.plainWhole),
    "1",
    r.inst,
  ].join("|");
}

interface Encoding {
  bom: boolean;
  gbk: boolean;
  crlf: boolean;
}
const encoding: fc.Arbitrary<Encoding> = fc.record({ bom: fc.boolean(), gbk: fc.boolean(), crlf: fc.boolean() });

function fileBytes(lines: string[], how: Encoding): Buffer {
  const body = lines.join(how.crlf ? "\r\n" : "\n") + (how.crlf ? "\r\n" : "\n");
  if (how.gbk) return iconv.encode(body, "gbk");
  return Buffer.concat([Buffer.from(how.bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(body, "utf8")]);
}

async function parse(source: Parameters<typeof openReconciliationFile>[0], options: ReconParseOptions = {}) {
  const file = await openReconciliationFile(source, options);
  const records: ReconRecord[] = [];
  if (file.outcome === "records") for await (const record of file) records.push(record);
  return { file, records };
}

const NORMAL_TYPE: Record<string, string> = { PAYMENT: "PAYMENT", REVERSAL: "REVERSAL", REVERSE: "REVERSAL", REFUND: "REFUND", CANCEL: "CANCEL" };

describe("parser properties", () => {
  it("round-trips written HK transaction files exactly, in any encoding and chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 30 }),
        encoding,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        async (rows, how, sizes) => {
          const header = `Partner:2088000000000001|Payment_time:2024-01-02|Total_count:${rows.length}`;
          const bytes = fileBytes([header, HK_TRANSACTION_COLUMNS.join("|"), ...rows.map(transactionLine)], how);
          // GBK text that happens to be valid UTF-8 (e.g. a lone 沙) is ambiguous: auto reads it as UTF-8, the spec's default.
          const { file, records } = await parse(chunked(bytes, sizes), { fileName: "t.txt", encoding: how.gbk && isUtf8(bytes) ? "gbk" : "auto" });
          expect(file.outcome).toBe("records");
          expect(
            records.map((r) => [
              r.partnerTransactionId,
              r.transactionId,
              r.amount,
              r.fee,
              r.type,
              r.remark,
              r.secondaryMerchantName,
              r.operatorName,
              r.transAmount,
              r.paymentInst,
            ]),
          ).toEqual(rows.map((r) => [r.id, r.tid, r.amount, r.fee, NORMAL_TYPE[r.rawType], r.remark, r.name, r.store, r.transAmount, r.inst]));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("round-trips written HK settlement files exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), encoding, async (rows, how) => {
        const header = `Partner:2088000000000001|Settlement_time:2024-01-03|Total_count:${rows.length}`;
        const bytes = fileBytes([header, HK_SETTLEMENT_COLUMNS.join("|"), ...rows.map(settlementLine)], how);
        const { records } = await parse(bytes, { fileName: "s.txt", encoding: how.gbk && isUtf8(bytes) ? "gbk" : "auto" });
        expect(records.map((r) => [r.partnerTransactionId, r.amount, r.fee, r.kind === "settlement" ? r.settlement : null, r.type])).toEqual(
          rows.map((r) => [r.id, r.amount, r.fee, Math.max(0, r.amount - r.fee), r.rawType === "PAYMENT" ? "PAYMENT" : "REFUND"]),
        );
      }),
      { numRuns: 100 },
    );
  });

  it("never crashes or hangs on random bytes: a result or a ReconParseError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom<"throw" | "collect">("throw", "collect"), async (bytes, onError) => {
        try {
          const { file, records } = await parse(chunked(bytes, [97]), { onError, maxLineBytes: 512 });
          if (file.outcome === "records") expect(records.length).toBeLessThanOrEqual(file.dataLineCount);
        } catch (err) {
          expect(err instanceof ReconParseError || err instanceof UnsupportedEncodingError).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never crashes on mutated lines of a valid file; every data line is a record or a reported error", async () => {
    const mutation = fc.record({
      line: fc.nat(),
      at: fc.nat(),
      remove: fc.integer({ min: 0, max: 5 }),
      insert: fc.constantFrom("|", "||", "\n", "\r", "\r\n", "-", ".", "9".repeat(20), "x", "億", "\uFFFD", "\u0000", " ", "", "Partner:1|Total_count:9"),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 10 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        encoding,
        async (rows, mutations, how) => {
          const lines = [
            `Partner:2088000000000001|Payment_time:2024-01-02|Total_count:${rows.length}`,
            HK_TRANSACTION_COLUMNS.join("|"),
            ...rows.map(transactionLine),
          ];
          for (const m of mutations) {
            const i = 2 + (m.line % rows.length);
            const line = lines[i]!;
            const at = m.at % (line.length + 1);
            lines[i] = line.slice(0, at) + m.insert + line.slice(at + m.remove);
          }
          try {
            const { file, records } = await parse(fileBytes(lines, how), { onError: "collect", fileName: "m.txt" });
            if (file.outcome === "records") {
              // A line is either a record or an error (a record may also carry a header-date error).
              expect(records.length + file.errorCount).toBeGreaterThanOrEqual(file.dataLineCount);
              for (const error of file.errors) expect(error.message.startsWith("m.txt:")).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ReconParseError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
