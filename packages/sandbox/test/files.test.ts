/**
 * Reconciliation files from the ledger: the exact HK layout, fees at the configured rate, served at
 * /sandbox/files and written to a folder; and read back by core's parser.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReconciliationFile, type ReconRecord } from "@alipayhk/core/reconciliation";
import { startSandbox, type RunningSandbox } from "../src/index";
import { admin, callGateway } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "alipayhk-files-"));
let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ startTime: "2024-01-02T10:00:00+08:00", feeRate: 0.015, filesDir: dir });
  const extend = JSON.stringify({
    secondary_merchant_name: "Mika|Coffee",
    secondary_merchant_id: "M1",
    secondary_merchant_industry: "5812",
    store_name: "Central",
  });
  // A QR payment, paid with ALIPAYCN.
  await callGateway(sandbox, {
    service: "alipay.acquire.precreate",
    out_trade_no: "QR-1",
    subject: "Beans",
    product_code: "OVERSEAS_MBARCODE_PAY",
    total_fee: "100.00",
    currency: "HKD",
    extend_params: extend,
  });
  // Each step at an exact instant, so the files' times do not depend on how fast the machine is.
  sandbox.setClock("2024-01-02T10:01:00+08:00");
  sandbox.payTrade("QR-1", { wallet: "ALIPAYCN" });
  // A barcode payment with two partial refunds.
  sandbox.setClock("2024-01-02T10:02:00+08:00");
  const spot = {
    service: "alipay.acquire.overseas.spot.pay",
    alipay_seller_id: sandbox.partner,
    trans_name: "Cup",
    currency: "HKD",
    identity_code_type: "barcode",
    buyer_identity_code: "280000000000000001",
  };
  await callGateway(sandbox, { ...spot, partner_trans_id: "BC-1", trans_amount: "33.33" });
  for (const [id, amount, at] of [
    ["BC-1-R1", "11.11", "2024-01-02T10:03:00.000+08:00"],
    ["BC-1-R2", "22.22", "2024-01-02T10:03:00.200+08:00"],
  ]) {
    sandbox.setClock(at!);
    await callGateway(sandbox, {
      service: "alipay.acquire.overseas.spot.refund",
      partner_trans_id: "BC-1",
      partner_refund_id: id!,
      refund_amount: amount!,
      currency: "HKD",
      is_sync: "Y",
      refund_reson: "size",
    });
  }
  // A barcode payment cancelled the same day, and one that failed (no record).
  sandbox.setClock("2024-01-02T10:03:00.400+08:00");
  await callGateway(sandbox, { ...spot, partner_trans_id: "BC-2", trans_amount: "10.00" });
  sandbox.setClock("2024-01-02T10:03:00.600+08:00");
  await callGateway(sandbox, { service: "alipay.acquire.cancel", out_trade_no: "BC-2" });
  await callGateway(sandbox, { ...spot, partner_trans_id: "BC-3", trans_amount: "10.00", buyer_identity_code: "280000000000000003" });
  // Next day: one more payment.
  sandbox.setClock("2024-01-03T10:03:00+08:00");
  await callGateway(sandbox, { ...spot, partner_trans_id: "BC-4", trans_amount: "1.00" });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const P = "2088101122136241";

describe("reconciliation files", () => {
  it("lists the files of the days with records", async () => {
    const files = await admin<string[]>(sandbox, "GET", "/sandbox/files");
    expect(files.json).toEqual([
      `${P}_settlement_20240102.txt`,
      `${P}_settlement_20240103.txt`,
      `${P}_transaction_20240102.txt`,
      `${P}_transaction_20240103.txt`,
    ]);
  });

  it("writes the transaction file in the HK layout", async () => {
    const text = await (await fetch(`${sandbox.url}/sandbox/files/${P}_transaction_20240102.txt`)).text();
    expect(text.split("\n")).toEqual([
      `Partner:${P}|Payment_time:2024-01-02 00:00:00|Total_count:6`,
      "Partner_transaction_id|Transaction_id|Transaction_amount|Charge_amount|Currency|Payment_time|Transaction_type|Remark|Secondary_merchant_industry|Secondary_merchant_name|Secondary_merchant_id|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate|Issue",
      // A | inside a value cannot split the line.
      `QR-1|${tradeNo("QR-1")}|100.00|1.50|HKD|2024-01-02 10:01:00|PAYMENT||5812|Mika Coffee|M1|Central|shopQrCode|HKD|100.00|1|ALIPAYCN`,
      // 33.33 at 1.5% = 0.49995 → 0.50; the refunds give back 0.17 + 0.33 = exactly that.
      `BC-1|${tradeNo("BC-1")}|33.33|0.50|HKD|2024-01-02 10:02:00|PAYMENT|||||||HKD|33.33|1|ALIPAYHK`,
      `BC-1-R1|${tradeNo("BC-1")}|11.11|0.17|HKD|2024-01-02 10:03:00|REFUND|size||||||HKD|11.11|1|ALIPAYHK`,
      `BC-1-R2|${tradeNo("BC-1")}|22.22|0.33|HKD|2024-01-02 10:03:00|REFUND|size||||||HKD|22.22|1|ALIPAYHK`,
      `BC-2|${tradeNo("BC-2")}|10.00|0.15|HKD|2024-01-02 10:03:00|PAYMENT|||||||HKD|10.00|1|ALIPAYHK`,
      `BC-2|${tradeNo("BC-2")}|10.00|0.15|HKD|2024-01-02 10:03:00|CANCEL|Cancel||||||HKD|10.00|1|ALIPAYHK`,
      "",
    ]);
  });

  it("writes the settlement file in the HK layout: no header line, 20 columns ending Issue (P/R, Status L, Settlement = Amount - Fee)", async () => {
    const text = await (await fetch(`${sandbox.url}/sandbox/files/${P}_settlement_20240103.txt`)).text();
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      "Partner_transaction_id|Transaction_id|Amount|Fee|Settlement|Currency|Payment_time|Settlement_time|Type|Status|Remarks|Secondary_merchant_industry|Secondary_merchant_name|Secondary_merchant_id|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate|Issue",
    );
    expect(lines[1]).toBe(`BC-4|${tradeNo("BC-4")}|1.00|0.02|0.98|HKD|2024-01-03 10:03:00|2024-01-03 10:03:00|P|L|||||||HKD|1.00|1|ALIPAYHK`);
    expect(lines.at(-1)).toBe("");
  });

  it("round-trips through core's reconciliation parser, fees summing back to zero for refunded and cancelled trades", async () => {
    for (const kind of ["transaction", "settlement"] as const) {
      const name = `${P}_${kind}_20240102.txt`;
      // Served bytes, not the folder: the folder is written shortly after each change (tested below).
      const bytes = Buffer.from(await (await fetch(`${sandbox.url}/sandbox/files/${name}`)).arrayBuffer());
      const file = await openReconciliationFile(bytes, { fileName: name, expectedPartner: P });
      expect(file.outcome).toBe("records");
      if (file.outcome !== "records") return;
      expect(file.layout.name).toBe(kind === "transaction" ? "hk-transaction" : "hk-settlement");
      const records: ReconRecord[] = [];
      for await (const record of file) records.push(record);
      expect(file.errorCount).toBe(0);
      expect(records.map((r) => `${r.partnerTransactionId}:${r.type}:${r.amount}:${r.fee}:${r.paymentInst}`)).toEqual([
        "QR-1:PAYMENT:10000:150:ALIPAYCN",
        "BC-1:PAYMENT:3333:50:ALIPAYHK",
        "BC-1-R1:REFUND:1111:17:ALIPAYHK",
        "BC-1-R2:REFUND:2222:33:ALIPAYHK",
        "BC-2:PAYMENT:1000:15:ALIPAYHK",
        `BC-2:${kind === "transaction" ? "CANCEL" : "REFUND"}:1000:15:ALIPAYHK`,
      ]);
    }
  });

  it("writes the files into filesDir", async () => {
    await sandbox.close();
    expect(readdirSync(dir).sort()).toEqual([
      `${P}_settlement_20240102.txt`,
      `${P}_settlement_20240103.txt`,
      `${P}_transaction_20240102.txt`,
      `${P}_transaction_20240103.txt`,
    ]);
    expect(readFileSync(join(dir, `${P}_transaction_20240103.txt`), "utf8")).toContain("BC-4|");
  });

  it("serves a day without records as a header with Total_count:0, and 404 for other names", async () => {
    const local = await startSandbox({ startTime: "2024-01-02T10:00:00+08:00" });
    try {
      expect(await (await fetch(`${local.url}/sandbox/files/${P}_transaction_20231231.txt`)).text()).toMatch(
        /^Partner:2088101122136241\|Payment_time:2023-12-31 00:00:00\|Total_count:0\n/,
      );
      expect((await fetch(`${local.url}/sandbox/files/${P}_transaction_20231332.txt`)).status).toBe(404);
      expect((await fetch(`${local.url}/sandbox/files/2088999999999999_transaction_20240102.txt`)).status).toBe(404);
    } finally {
      await local.close();
    }
  });
});

function tradeNo(id: string): string {
  return sandbox.trades().find((t) => t.out_trade_no === id)!.trade_no;
}
