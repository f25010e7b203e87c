import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { ReconParseError } from "./errors";
import { UnsupportedEncodingError } from "./lines";
import { openReconciliationFile } from "./parse";
import { chunked, fixture, readAll } from "./test-helpers";

const HK_TRANSACTION = fixture("2088101122334455_transaction_20240102.txt");
const HK_SETTLEMENT = fixture("2088101122334455_settlement_20240103.txt");

const HK_COLUMNS =
  "Partner_transaction_id|Transaction_id|Transaction_amount|Charge_amount|Currency|Payment_time|Transaction_type|Remark|Secondary_merchant_industry|Secondary_merchant_name|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate|payment_inst";

function hkFile(rows: string[], header = `Partner:2088000000000001|Payment_time:2024-01-02|Total_count:${rows.length}`): string {
  return `${[header, HK_COLUMNS, ...rows].join("\n")}\n`;
}

const ROW = "o-1|2024010200001|12.30|0.15|HKD|2024-01-02 10:00:00|PAYMENT||5812|Shop|Central|shopQrCode|HKD|12.30|1|ALIPAYHK";

describe("openReconciliationFile: the spec's sample (global 15-column layout)", () => {
  it("reads the four sample rows with exact amounts from '100' and the spaced header date", async () => {
    const { file, records } = await readAll(fixture("spec-sample-transaction.txt"));
    expect(file.layout.name).toBe("global-transaction");
    expect(file.fileKind).toBe("transaction");
    expect(file.header).toMatchObject({ partner: "208800000000", date: "2013-12-02", dateField: "Payment_time", totalCount: 4 });
    expect(records.map((r) => [r.partnerTransactionId, r.transactionId, r.type, r.amount, r.fee, r.currency])).toEqual([
      ["0001", "201312020445", "PAYMENT", 10000, 300, "HKD"],
      ["0002", "201312020446", "REVERSAL", 10000, 300, "HKD"],
      ["0003", "201312020447", "CANCEL", 10000, 300, "HKD"],
      ["0004", "201312020448", "REFUND", 10000, 300, "HKD"],
    ]);
    expect(records[3]).toMatchObject({
      kind: "transaction",
      file: fixture("spec-sample-transaction.txt"),
      line: 6,
      remark: "Refund",
      paymentTime: "2013-12-02 10:45:09",
      secondaryMerchantIndustry: "5812",
      secondaryMerchantName: "xxx",
      operatorName: "xxx",
      orderScene: "shopQrCode",
      transCurrency: "TWD",
      transAmount: 10000,
      transForexRate: "0.031",
      paymentInst: "",
      extra: null,
    });
  });
});

describe("openReconciliationFile: layouts", () => {
  it("reads the HK transaction layout with payment_inst, 100.00-style amounts", async () => {
    const { file, records } = await readAll(HK_TRANSACTION);
    expect(file.layout.name).toBe("hk-transaction");
    expect(records).toHaveLength(5);
    expect(records[1]).toMatchObject({ partnerTransactionId: "order-1002", amount: 5850, fee: 70, paymentInst: "ALIPAYCN", orderScene: "" });
    expect(records.map((r) => r.type)).toEqual(["PAYMENT", "PAYMENT", "PAYMENT", "CANCEL", "REFUND"]);
  });

  it("reads the HK settlement layout: Settlement, Settlement_time, P/R types, status", async () => {
    const { file, records } = await readAll(HK_SETTLEMENT);
    expect(file.layout.name).toBe("hk-settlement");
    expect(file.fileKind).toBe("settlement");
    expect(file.header).toMatchObject({ date: "2024-01-03", dateField: "Settlement_time", totalCount: 4 });
    expect(records[0]).toMatchObject({
      kind: "settlement",
      type: "PAYMENT",
      rawType: "P",
      amount: 12000,
      fee: 144,
      settlement: 11856,
      settlementTime: "2024-01-03 06:00:00",
      status: "L",
      secondaryMerchantId: "S001",
    });
    expect(records[3]).toMatchObject({ type: "REFUND", rawType: "R", partnerTransactionId: "refund-1001-1", settlement: 1976 });
  });

  it("detects the headerless 17-column acquirer layout and computes its net settlement", async () => {
    const { file, records } = await readAll(fixture("acquirer-17.txt"));
    expect(file.layout.name).toBe("acquirer-17");
    expect(file.layout.headerless).toBe(true);
    expect(file.header).toBeNull();
    expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(records[1]).toMatchObject({
      kind: "settlement",
      amount: 1250,
      fee: 15,
      settlement: 1235,
      paymentInst: "ALIPAYCN",
      orderScene: "shopQrCode",
      secondaryMerchantId: "M-77",
    });
    expect(records[2]).toMatchObject({ type: "REFUND", remark: "customer changed mind", amount: 8800 });
  });

  it("accepts the wallet column named Issue, REVERSE as REVERSAL, and keeps unknown columns in extra", async () => {
    const text = [
      "Partner:2088000000000001|Payment_time:2024-01-02|Total_count:1",
      "partner_transaction_id|TRANSACTION_ID|Transaction_amount|Charge_amount|Currency|Payment_time|Transaction_type|Rmb_amount|Issue",
      "o-1|t-1|100.00|1.20|HKD|2024-01-02 10:00:00|REVERSE|87.10|ALIPAYCN",
    ].join("\n");
    const { file, records } = await readAll(Buffer.from(text));
    expect(file.layout.name).toBe("hk-transaction");
    expect(records[0]).toMatchObject({ type: "REVERSAL", rawType: "REVERSE", paymentInst: "ALIPAYCN", extra: { Rmb_amount: "87.10" } });
  });

  it("reads the HK documents' 17-column transaction layout with a header date in either documented form", async () => {
    const columns =
      "Partner_transaction_id|Transaction_id|Transaction_amount|Charge_amount|Currency|Payment_time|Transaction_type|Remark|Secondary_merchant_industry|Secondary_merchant_name|Secondary_merchant_id|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate|Issue";
    const row = "0001|201312020445|100|3|HKD|2013-12-02 10:45:42|PAYMENT||5812|xxx|1234|xxx|shopQrCode|TWD|100|0.031|ALIPAYCN";
    for (const [date, field] of [
      ["2013-12-02 00:00:00", "Payment_time"],
      [" 2013-12-02", "Payment_time"],
      ["2013-12-02 23:59:59", "Payment_time"],
    ] as const) {
      const { file, records } = await readAll(Buffer.from(`Partner:2088000000000001|${field}:${date}|Total_count:1\n${columns}\n${row}\n`));
      expect(file.layout.name).toBe("hk-transaction");
      expect(file.header).toMatchObject({ date: "2013-12-02", dateField: "Payment_time", totalCount: 1 });
      expect(records[0]).toMatchObject({ secondaryMerchantId: "1234", paymentInst: "ALIPAYCN", transCurrency: "TWD", amount: 10000, fee: 300 });
    }
  });

  it("refuses a header date that is neither form, naming the column", async () => {
    const bad = `Partner:2088000000000001|Payment_time:2013-12-02 25:00:00|Total_count:1\n${HK_COLUMNS}\n${ROW}\n`;
    await expect(readAll(Buffer.from(bad))).rejects.toThrow(/Payment_time.*expected a date YYYY-MM-DD or yyyy-MM-dd HH:mm:ss, got "2013-12-02 25:00:00"/);
  });

  it("reads a file that starts with the column names (no header line)", async () => {
    const { file, records } = await readAll(Buffer.from(`${HK_COLUMNS}\n${ROW}\n`));
    expect(file.header).toBeNull();
    expect(records).toHaveLength(1);
  });
});

describe("openReconciliationFile: encodings and line endings", () => {
  const text = hkFile(["o-1|t-1|12.30|0.15|HKD|2024-01-02 10:00:00|PAYMENT|茶餐廳 退款|5812|九龍茶餐廳|旺角|shopQrCode|HKD|12.30|1|ALIPAYHK"]);

  it("reads UTF-8 with a BOM", async () => {
    const { file, records } = await readAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(file.bom).toBe(true);
    expect(file.header?.partner).toBe("2088000000000001");
    expect(records[0]!.secondaryMerchantName).toBe("九龍茶餐廳");
  });

  it("reads GBK, detected, even where a GBK byte is 0x7C ('|')", async () => {
    // 億 is 0x83 0x7C in GBK: its second byte is the delimiter.
    expect([...iconv.encode("億", "gbk")]).toEqual([0x83, 0x7c]);
    const gbk = iconv.encode(text.replace("旺角", "億街"), "gbk");
    const { file, records } = await readAll(gbk);
    expect(file.encoding).toBe("gbk");
    expect(records[0]).toMatchObject({ remark: "茶餐廳 退款", secondaryMerchantName: "九龍茶餐廳", operatorName: "億街", amount: 1230 });
  });

  it("decides GBK for the whole file from its first 64 KiB, even for lines that alone look like UTF-8", async () => {
    // 沙 is C9 B3 in GBK, which is also valid UTF-8 ("ɳ"); the later 旺角 is not valid UTF-8.
    const rows = [ROW.replace("|Shop|", "|沙|"), ...Array.from({ length: 50 }, (_, i) => ROW.replace("o-1", `o-${i + 2}`)), ROW.replace("|Central|", "|旺角|")];
    const { file, records } = await readAll(chunked(iconv.encode(hkFile(rows), "gbk"), [64]));
    expect(file.encoding).toBe("gbk");
    expect(records[0]!.secondaryMerchantName).toBe("沙");
    expect(records.at(-1)!.operatorName).toBe("旺角");
  });

  it("reads a file whose only non-ASCII bytes are valid both ways as UTF-8, the spec's default", async () => {
    const { file, records } = await readAll(iconv.encode(hkFile([ROW.replace("|Shop|", "|沙|")]), "gbk"));
    expect(file.encoding).toBe("utf8");
    expect(records[0]!.secondaryMerchantName).toBe("ɳ");
  });

  it("reads GBK when told to", async () => {
    const { records } = await readAll(iconv.encode(text, "gbk"), { encoding: "gbk" });
    expect(records[0]!.operatorName).toBe("旺角");
  });

  it("reads CRLF line endings, and a last line without a newline", async () => {
    const crlf = text.trimEnd().replace(/\n/g, "\r\n");
    const { records } = await readAll(Buffer.from(crlf));
    expect(records[0]!.paymentInst).toBe("ALIPAYHK");
  });

  it("gives the same records whatever the chunk boundaries (BOM and CRLF split across chunks)", async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), iconv.encode(text.replace(/\n/g, "\r\n"), "gbk")]);
    const whole = (await readAll(bytes)).records;
    for (const sizes of [[1], [2, 3], [7, 1, 64]]) {
      const { records } = await readAll(chunked(bytes, sizes), { fileName: "x.txt" });
      expect(records.map(({ file: _, ...rest }) => rest)).toEqual(whole.map(({ file: _, ...rest }) => rest));
    }
  });

  it("reads a Node Readable stream", async () => {
    const { records } = await readAll(Readable.from([Buffer.from(hkFile([ROW, ROW.replace("o-1", "o-2")]))]));
    expect(records.map((r) => r.partnerTransactionId)).toEqual(["o-1", "o-2"]);
  });

  it("refuses UTF-16 with a clear error", async () => {
    await expect(openReconciliationFile(Buffer.from([0xff, 0xfe, 0x50, 0x00]))).rejects.toThrow(UnsupportedEncodingError);
  });
});

describe("openReconciliationFile: bad lines", () => {
  it("throws on a bad amount, naming the file, line and column", async () => {
    const bad = ROW.replace("12.30|0.15", "12.3O|0.15");
    const file = await openReconciliationFile(Buffer.from(hkFile([ROW, bad])), { fileName: "t.txt" });
    const read = async () => {
      for await (const _ of file as AsyncIterable<unknown>) void _;
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconParseError);
    expect(err).toMatchObject({ file: "t.txt", line: 4, column: 3, columnName: "Transaction_amount" });
    expect((err as Error).message).toBe('t.txt:4: column 3 (Transaction_amount): expected a decimal amount like 100 or 100.00, got "12.3O"');
  });

  it("collects bad lines and goes on, in collect mode", async () => {
    const rows = [
      ROW,
      ROW.replace("PAYMENT", "PAYOUT"),
      "o-3|t-3|1.00",
      ROW.replace("2024-01-02 10:00:00", "02/01/2024"),
      ROW.replace("|HKD|2024", "|hk$|2024"),
      ROW.replace("o-1", "o-6"),
    ];
    const { file, records } = await readAll(Buffer.from(hkFile(rows)), { fileName: "t.txt", onError: "collect" });
    expect(records.map((r) => r.partnerTransactionId)).toEqual(["o-1", "o-6"]);
    expect(file.errors.map((e) => [e.line, e.column, e.columnName])).toEqual([
      [4, 7, "Transaction_type"],
      [5, 4, "Charge_amount"],
      [6, 6, "Payment_time"],
      [7, 5, "Currency"],
    ]);
    expect(file.errors[1]!.reason).toBe("expected 16 columns separated by |, got 3");
    expect(file.dataLineCount).toBe(6);
  });

  it("keeps at most maxErrors errors but counts them all", async () => {
    const rows = Array.from({ length: 10 }, () => "garbage");
    const { file } = await readAll(Buffer.from(hkFile(rows)), { onError: "collect", maxErrors: 3 });
    expect(file.errors).toHaveLength(3);
    expect(file.errorCount).toBe(10);
  });

  it("reports and skips a line longer than maxLineBytes, in a file streamed in chunks", async () => {
    const long = "x".repeat(300_000);
    const { file, records } = await readAll(chunked(Buffer.from(hkFile([ROW, long, ROW])), [4096]), { onError: "collect", maxLineBytes: 100_000 });
    expect(records).toHaveLength(2);
    expect(file.errors).toHaveLength(1);
    expect(file.errors[0]).toMatchObject({ line: 4 });
    expect(file.errors[0]!.reason).toMatch(/^line of 300000 bytes/);
  });

  it("rejects a column-name line without the required columns", async () => {
    const text = "Partner:1|Payment_time:2024-01-02|Total_count:0\nPartner_transaction_id|Transaction_id|Currency\n";
    await expect(openReconciliationFile(Buffer.from(text), { fileName: "t.txt" })).rejects.toThrow(
      "t.txt:2: the column-name line lacks Transaction_amount, Payment_time, Transaction_type; expected the columns of spec §5.2/§5.3",
    );
  });

  it("rejects a header followed by something else than column names", async () => {
    const text = `Partner:1|Payment_time:2024-01-02|Total_count:1\n${ROW}\n`;
    await expect(openReconciliationFile(Buffer.from(text), { fileName: "t.txt" })).rejects.toThrow(/^t\.txt:2: expected the column-name line/);
  });

  it("rejects markup that is not Alipay's error envelope, naming its first line", async () => {
    await expect(openReconciliationFile(Buffer.from("\n<html>\n<body>502 Bad Gateway</body>\n</html>\n"), { fileName: "t.txt" })).rejects.toThrow(
      /^t\.txt:2: expected a header line/,
    );
  });

  it("rejects an unknown |-separated layout on line 1", async () => {
    await expect(openReconciliationFile(Buffer.from("a|b|c\n"), { fileName: "t.txt" })).rejects.toThrow(/^t\.txt:1: expected a header line/);
  });
});

describe("openReconciliationFile: the header against the records", () => {
  it("reports a Total_count that does not match the records", async () => {
    const text = hkFile([ROW, ROW], "Partner:2088000000000001|Payment_time:2024-01-02|Total_count:3");
    const { file } = await readAll(Buffer.from(text), { fileName: "t.txt", onError: "collect" });
    expect(file.errors.map((e) => e.message)).toEqual(["t.txt:1: the header says Total_count:3, the file has 2 records"]);
    await expect(readAll(Buffer.from(text), { fileName: "t.txt" })).rejects.toThrow("Total_count:3");
  });

  it("reports a record dated on another day than the header", async () => {
    const other = ROW.replace("2024-01-02 10:00:00", "2024-01-03 00:00:01");
    const { file, records } = await readAll(Buffer.from(hkFile([ROW, other])), { fileName: "t.txt", onError: "collect" });
    expect(records).toHaveLength(2);
    expect(file.errors.map((e) => e.message)).toEqual([
      't.txt:4: column 6 (Payment_time): expected a time on 2024-01-02 (the header\'s Payment_time), got "2024-01-03 00:00:01"',
    ]);
  });

  it("checks the header against Alipay's file name (partner and date)", async () => {
    const text = hkFile([ROW], "Partner:2088000000000009|Payment_time:2024-01-05|Total_count:1");
    const { file } = await readAll(Buffer.from(text), { fileName: "/sftp/2088000000000001_transaction_20240102.txt", onError: "collect" });
    expect(file.errors.map((e) => e.reason)).toEqual([
      "the header says partner 2088000000000009, the file name 2088000000000001",
      "the header says 2024-01-05, the file name 2024-01-02",
      'expected a time on 2024-01-05 (the header\'s Payment_time), got "2024-01-02 10:00:00"',
    ]);
  });

  it("checks the partner against expectedPartner", async () => {
    await expect(openReconciliationFile(Buffer.from(hkFile([ROW])), { fileName: "t.txt", expectedPartner: "2088999" })).rejects.toThrow(
      "t.txt:1: column 1 (Partner): expected partner 2088999, the header says 2088000000000001",
    );
  });

  it("skips the checks with checkHeader: false", async () => {
    const text = hkFile([ROW.replace("2024-01-02 10", "2024-01-09 10")], "Partner:1|Payment_time:2024-01-02|Total_count:7");
    const { file, records } = await readAll(Buffer.from(text), { checkHeader: false });
    expect(records).toHaveLength(1);
    expect(file.errorCount).toBe(0);
  });

  it("reads a header whose fields come in another order", async () => {
    const { file } = await readAll(Buffer.from(hkFile([ROW], "Total_count:1|Payment_time:2024-01-02|Partner:2088000000000001")));
    expect(file.header).toMatchObject({ partner: "2088000000000001", date: "2024-01-02", totalCount: 1 });
  });

  it("reports a bad Total_count in the header", async () => {
    await expect(
      openReconciliationFile(Buffer.from(hkFile([ROW], "Partner:1|Payment_time:2024-01-02|Total_count:four")), { fileName: "t.txt" }),
    ).rejects.toThrow('t.txt:1: column 3 (Total_count): expected a whole number of records, got "four"');
  });
});

describe("openReconciliationFile: no data, and Alipay error bodies", () => {
  it("an empty file is no-data", async () => {
    expect(await openReconciliationFile(fixture("empty.txt"))).toMatchObject({ outcome: "no-data", reason: "empty", header: null });
    expect(await openReconciliationFile(Buffer.from("\r\n\n  \n"))).toMatchObject({ outcome: "no-data", reason: "empty" });
  });

  it("a header with Total_count:0 and no records is no-data, with its header", async () => {
    const result = await openReconciliationFile(Buffer.from(hkFile([], "Partner:2088000000000001|Payment_time:2024-01-02|Total_count:0")));
    expect(result).toMatchObject({
      outcome: "no-data",
      reason: "no-records",
      header: { date: "2024-01-02", totalCount: 0 },
      layout: { name: "hk-transaction" },
    });
    expect(await openReconciliationFile(Buffer.from("Partner:2088000000000001|Payment_time:2024-01-02|Total_count:0\n"))).toMatchObject({
      outcome: "no-data",
      reason: "no-records",
    });
  });

  it("a header that promises records and ends is an error, not no-data", async () => {
    await expect(openReconciliationFile(Buffer.from("Partner:1|Payment_time:2024-01-02|Total_count:2\n"), { fileName: "t.txt" })).rejects.toThrow(
      "t.txt:1: the header says Total_count:2 but the file ends after it",
    );
    await expect(openReconciliationFile(Buffer.from(hkFile([], "Partner:1|Payment_time:2024-01-02|Total_count:2")), { fileName: "t.txt" })).rejects.toThrow(
      "t.txt:1: the header says Total_count:2 but the file has no records",
    );
  });

  it('a "no data" text is no-data', async () => {
    expect(await openReconciliationFile(Buffer.from("No data\n"))).toMatchObject({ outcome: "no-data", reason: "no-data-text" });
  });

  it("a plain-text error body is alipay-error, with its code", async () => {
    expect(await openReconciliationFile(fixture("alipay-error.txt"))).toMatchObject({
      outcome: "alipay-error",
      code: "ILLEGAL_PARTNER",
      message: "ILLEGAL_PARTNER",
    });
    expect(await openReconciliationFile(Buffer.from("Error: ILLEGAL_SIGN, please check your key\n"))).toMatchObject({
      outcome: "alipay-error",
      code: "ILLEGAL_SIGN",
      message: "Error: ILLEGAL_SIGN, please check your key",
    });
  });

  it("an XML is_success=F envelope is alipay-error", async () => {
    const xml = '<?xml version="1.0" encoding="GBK"?>\n<alipay>\n  <is_success>F</is_success>\n  <error>ILLEGAL_PARTNER</error>\n</alipay>\n';
    expect(await openReconciliationFile(Buffer.from(xml))).toMatchObject({ outcome: "alipay-error", code: "ILLEGAL_PARTNER" });
  });
});

describe("openReconciliationFile: iteration", () => {
  it("records can be read once", async () => {
    const { file } = await readAll(Buffer.from(hkFile([ROW])));
    await expect(async () => {
      for await (const _ of file) void _;
    }).rejects.toThrow(/records can be read once/);
  });

  it("stops reading when the consumer stops, and close() releases an unread file", async () => {
    const file = await openReconciliationFile(HK_TRANSACTION);
    if (file.outcome !== "records") throw new Error("expected records");
    for await (const record of file) {
      expect(record.partnerTransactionId).toBe("order-1001");
      break;
    }
    expect(file.recordCount).toBe(1);
    const unread = await openReconciliationFile(HK_TRANSACTION);
    if (unread.outcome === "records") await unread.close();
  });

  it("reports progress in bytes read", async () => {
    const seen: number[] = [];
    await readAll(HK_TRANSACTION, { onProgress: (bytes) => seen.push(bytes) });
    expect(seen.at(-1)).toBe(readFileSync(HK_TRANSACTION).length);
  });
});
