import { describe, expect, it } from "vitest";
import { matchReconciliation } from "./match";
import type { StoreLedger, StoreOrder, StoreRefund } from "./orders";
import { loadStoreLedger } from "./orders";
import type { ReconRecord, ReconRecordType } from "./records";
import { fixture, readAll } from "./test-helpers";

function record(type: ReconRecordType, id: string, amount: number, extra: Partial<ReconRecord> = {}): ReconRecord {
  return {
    kind: "transaction",
    file: "t.txt",
    line: 3,
    partnerTransactionId: id,
    transactionId: `T-${id}`,
    type,
    rawType: type,
    amount,
    fee: Math.round(amount / 100),
    currency: "HKD",
    paymentTime: "2024-01-02 10:00:00",
    remark: "",
    secondaryMerchantIndustry: "",
    secondaryMerchantName: "",
    secondaryMerchantId: "",
    operatorName: "",
    orderScene: "",
    transCurrency: "HKD",
    transAmount: amount,
    transForexRate: "1",
    paymentInst: "ALIPAYHK",
    extra: null,
    ...extra,
  } as ReconRecord;
}

function order(id: string, amount: number, status: StoreOrder["status"] = "paid", date: string | null = "2024-01-02"): StoreOrder {
  return { id, amount, currency: "HKD", status, date };
}

function refund(id: string, amount: number, status: StoreRefund["status"] = "succeeded", date: string | null = "2024-01-02"): StoreRefund {
  return { id, orderId: null, amount, currency: "HKD", status, date };
}

describe("matchReconciliation", () => {
  it("matches the HK fixtures (transaction + settlement files) with the store export: no discrepancy, settlement totals", async () => {
    const transaction = await readAll(fixture("2088101122334455_transaction_20240102.txt"));
    const settlement = await readAll(fixture("2088101122334455_settlement_20240103.txt"));
    const ledger = await loadStoreLedger(fixture("store-orders.csv"));
    const report = await matchReconciliation([...transaction.records, ...settlement.records], ledger);
    expect(report.discrepancyCount).toBe(0);
    expect(report.matched.map((m) => [m.subject, m.id, m.alipayState])).toEqual([
      ["order", "order-1001", "paid"],
      ["order", "order-1002", "paid"],
      ["order", "order-1003", "paid"],
      ["order", "order-1004", "reversed"],
      ["refund", "refund-1001-1", "refunded"],
    ]);
    expect(report.totalsSource).toBe("settlement");
    expect(report.totals.feeTotal).toBe(144 + 70 + 360 - 24);
    expect(report.totals.byDay).toEqual([{ date: "2024-01-03", records: 4, payments: 47850, refunds: -2000, fees: 550, net: 11856 + 5780 + 29640 - 1976 }]);
  });

  it("finds orders paid in the store but missing from the file, only on the files' days", async () => {
    const report = await matchReconciliation([record("PAYMENT", "o-1", 1000)], {
      orders: [order("o-1", 1000), order("o-2", 500), order("o-3", 700, "paid", "2024-01-05"), order("o-4", 900, "pending")],
      refunds: [],
    });
    expect(report.missingFromFile.map((d) => [d.id, d.storeAmount, d.detail])).toEqual([
      ["o-2", 500, "paid in the store on 2024-01-02, no PAYMENT in the files"],
    ]);
    expect(report.outsidePeriod).toEqual({ orders: 1, refunds: 0 });
    expect(report.discrepancyCount).toBe(1);
    const all = await matchReconciliation(
      [record("PAYMENT", "o-1", 1000)],
      { orders: [order("o-3", 700, "paid", "2024-01-05")], refunds: [] },
      { days: "all" },
    );
    expect(all.missingFromFile.map((d) => d.id)).toEqual(["o-3"]);
  });

  it("counts an empty day's file through extraDays", async () => {
    const report = await matchReconciliation([], { orders: [order("o-9", 100, "paid", "2024-01-07")], refunds: [] }, { extraDays: ["2024-01-07"] });
    expect(report.missingFromFile.map((d) => d.id)).toEqual(["o-9"]);
  });

  it("finds orphan payments and refunds: money at Alipay with no store order", async () => {
    const report = await matchReconciliation([record("PAYMENT", "ghost", 4200), record("REFUND", "r-ghost", 100)], { orders: [], refunds: [] });
    expect(report.orphans.map((d) => [d.id, d.alipayType, d.alipayAmount, d.where])).toEqual([
      ["ghost", "PAYMENT", 4200, "t.txt:3"],
      ["r-ghost", "REFUND", 100, "t.txt:3"],
    ]);
  });

  it("finds amount and currency mismatches for orders and refunds", async () => {
    const report = await matchReconciliation(
      [record("PAYMENT", "o-1", 1000), record("PAYMENT", "o-2", 500, { currency: "CNY" }), record("REFUND", "r-1", 300)],
      { orders: [order("o-1", 1001), order("o-2", 500)], refunds: [refund("r-1", 200)] },
    );
    expect(report.amountMismatches.map((d) => [d.subject, d.id, d.detail])).toEqual([
      ["order", "o-1", "store HKD 10.01, Alipay HKD 10.00"],
      ["order", "o-2", "store HKD 5.00, Alipay CNY 5.00"],
      ["refund", "r-1", "store refund HKD 2.00, Alipay HKD 3.00"],
    ]);
  });

  it("finds refunds the store recorded that Alipay did not execute", async () => {
    const report = await matchReconciliation([record("PAYMENT", "o-1", 1000)], {
      orders: [order("o-1", 1000, "refunded")],
      refunds: [refund("r-1", 1000), refund("r-2", 50, "failed")],
    });
    expect(report.refundsNotExecuted.map((d) => [d.id, d.storeAmount])).toEqual([["r-1", 1000]]);
    expect(report.matched.map((m) => m.id)).toEqual(["o-1"]);
  });

  it("finds status mismatches: cancelled in store but paid at Alipay, paid in store but reversed", async () => {
    const report = await matchReconciliation(
      [record("PAYMENT", "o-1", 1000), record("PAYMENT", "o-2", 500), record("REVERSAL", "o-2", 500), record("REFUND", "r-1", 100)],
      { orders: [order("o-1", 1000, "canceled"), order("o-2", 500, "paid")], refunds: [refund("r-1", 100, "pending")] },
    );
    expect(report.statusMismatches.map((d) => [d.id, d.detail])).toEqual([
      ["o-1", "canceled in the store, paid at Alipay"],
      ["o-2", "paid in the store, REVERSAL at Alipay (money returned to the buyer)"],
      ["r-1", "refund pending in the store, executed at Alipay"],
    ]);
  });

  it("counts a record seen in both a transaction and a settlement file once, and flags a true duplicate", async () => {
    const inTransaction = record("PAYMENT", "o-1", 1000);
    const inSettlement = record("PAYMENT", "o-1", 1000, {
      kind: "settlement",
      file: "s.txt",
      settlement: 990,
      settlementTime: "2024-01-03 06:00:00",
      status: "L",
    } as Partial<ReconRecord>);
    const report = await matchReconciliation(
      [inTransaction, inSettlement, { ...inTransaction, line: 9 } as ReconRecord, { ...inSettlement, line: 7 } as ReconRecord],
      { orders: [order("o-1", 1000)], refunds: [] },
    );
    expect(report.matched.map((m) => m.id)).toEqual(["o-1"]);
    expect(report.duplicates.map((d) => [d.id, d.where])).toEqual([
      ["o-1", "t.txt:9"],
      ["o-1", "s.txt:7"],
    ]);
  });

  it("attaches a settlement-file cancel (R under the transaction id or the partner_trans_id) to its trade", async () => {
    const settled = { kind: "settlement", settlement: 990, settlementTime: "2024-01-03 06:00:00", status: "L" } as Partial<ReconRecord>;
    const payment = record("PAYMENT", "o-1", 1000, settled);
    for (const cancel of [record("REFUND", "T-o-1", 1000, { ...settled, transactionId: "T-o-1" }), record("REFUND", "o-1", 1000, settled)]) {
      const report = await matchReconciliation([payment, cancel], { orders: [order("o-1", 1000, "canceled")], refunds: [] });
      expect(report.discrepancyCount).toBe(0);
      expect(report.matched).toEqual([{ subject: "order", id: "o-1", amount: 1000, currency: "HKD", alipayState: "reversed", transactionId: "T-o-1" }]);
    }
  });

  it("keeps an R of the settlement file that the store knows as a refund a refund", async () => {
    const settled = { kind: "settlement", settlement: 990, settlementTime: "2024-01-03 06:00:00", status: "L" } as Partial<ReconRecord>;
    const report = await matchReconciliation([record("PAYMENT", "o-1", 1000, settled), record("REFUND", "r-1", 400, { ...settled, transactionId: "T-o-1" })], {
      orders: [order("o-1", 1000, "refunded")],
      refunds: [refund("r-1", 400)],
    });
    expect(report.matched.map((m) => [m.id, m.alipayState])).toEqual([
      ["o-1", "paid"],
      ["r-1", "refunded"],
    ]);
  });

  it("takes the store side from an adapter directly (no export file)", async () => {
    const ledger: StoreLedger = { orders: [order("o-1", 1000)], refunds: [] };
    const report = await matchReconciliation(
      (async function* () {
        yield record("PAYMENT", "o-1", 1000);
      })(),
      ledger,
    );
    expect(report.matched).toHaveLength(1);
  });
});
