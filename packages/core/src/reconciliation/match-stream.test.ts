import { describe, expect, it } from "vitest";
import { matchReconciliation, type ReconDiscrepancy, type ReconMatch, type ReconMatchOptions } from "./match";
import { matchReconciliationStream } from "./match-stream";
import { loadStoreLedger, type StoreLedger, type StoreOrder, type StoreRefund } from "./orders";
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

const settled = (extra: Partial<ReconRecord> = {}): Partial<ReconRecord> =>
  ({ kind: "settlement", file: "s.txt", settlement: 990, settlementTime: "2024-01-03 06:00:00", status: "L", ...extra }) as Partial<ReconRecord>;

function order(id: string, amount: number, status: StoreOrder["status"] = "paid", date: string | null = "2024-01-02"): StoreOrder {
  return { id, amount, currency: "HKD", status, date };
}

function refund(id: string, amount: number, status: StoreRefund["status"] = "succeeded", date: string | null = "2024-01-02"): StoreRefund {
  return { id, orderId: null, amount, currency: "HKD", status, date };
}

const canonical = (items: readonly (ReconMatch | ReconDiscrepancy)[]): string[] => items.map((item) => JSON.stringify(item)).sort();

/** Runs both matchers and expects the same findings (as sets: the streaming one reports partition by partition). */
async function expectSameAsInMemory(records: ReconRecord[], ledger: StoreLedger, options: ReconMatchOptions = {}, partitions: readonly number[] = [1, 3, 16]) {
  const before = await matchReconciliation(records, ledger, options);
  for (const count of partitions) {
    const matched: ReconMatch[] = [];
    const found: ReconDiscrepancy[] = [];
    // The ledger as async cursors, as an adapter would pass it.
    const cursor = async function* <T>(items: readonly T[]) {
      yield* items;
    };
    const summary = await matchReconciliationStream(
      (async function* () {
        yield* records;
      })(),
      { orders: cursor(ledger.orders), refunds: cursor(ledger.refunds) },
      { matched: (m) => void matched.push(m), discrepancy: async (d) => void found.push(d) },
      { ...options, partitions: count },
    );
    expect(canonical(matched)).toEqual(canonical(before.matched));
    for (const [kind, list] of [
      ["missing_from_file", before.missingFromFile],
      ["orphan", before.orphans],
      ["amount_mismatch", before.amountMismatches],
      ["refund_not_executed", before.refundsNotExecuted],
      ["status_mismatch", before.statusMismatches],
      ["duplicate", before.duplicates],
    ] as const) {
      expect(canonical(found.filter((d) => d.kind === kind)), kind).toEqual(canonical(list));
    }
    expect(summary).toEqual({
      days: before.days,
      records: before.records,
      storeOrders: before.storeOrders,
      storeRefunds: before.storeRefunds,
      matched: before.matched.length,
      missingFromFile: before.missingFromFile.length,
      orphans: before.orphans.length,
      amountMismatches: before.amountMismatches.length,
      refundsNotExecuted: before.refundsNotExecuted.length,
      statusMismatches: before.statusMismatches.length,
      duplicates: before.duplicates.length,
      outsidePeriod: before.outsidePeriod,
      totals: before.totals,
      totalsSource: before.totalsSource,
      discrepancyCount: before.discrepancyCount,
    });
  }
  return before;
}

/** A seeded mix of every situation the matcher knows, over `n` orders. */
function generated(n: number, seed: number): { records: ReconRecord[]; ledger: StoreLedger } {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const records: ReconRecord[] = [];
  const orders: StoreOrder[] = [];
  const refunds: StoreRefund[] = [];
  let line = 3;
  const add = (r: ReconRecord) => records.push({ ...r, line: line++ } as ReconRecord);
  for (let i = 0; i < n; i++) {
    const id = `o-${i}`;
    const amount = 100 + Math.floor(random() * 10_000);
    const roll = random();
    const day = random() < 0.9 ? "2024-01-02" : "2024-01-05";
    if (roll < 0.4) {
      add(record("PAYMENT", id, amount));
      orders.push(order(id, amount));
    } else if (roll < 0.45) {
      add(record("PAYMENT", id, amount));
      orders.push(order(id, amount + 1)); // amount mismatch
    } else if (roll < 0.5) {
      orders.push(order(id, amount, "paid", day)); // missing from file, maybe outside the period
    } else if (roll < 0.55) {
      add(record("PAYMENT", id, amount)); // orphan
    } else if (roll < 0.6) {
      add(record("PAYMENT", id, amount));
      add(record("PAYMENT", id, amount, settled())); // echo: counts once
      orders.push(order(id, amount));
    } else if (roll < 0.63) {
      add(record("PAYMENT", id, amount));
      add(record("PAYMENT", id, amount)); // duplicate
      orders.push(order(id, amount));
    } else if (roll < 0.68) {
      add(record("PAYMENT", id, amount));
      add(record(random() < 0.5 ? "REVERSAL" : "CANCEL", id, amount));
      orders.push(order(id, amount, random() < 0.5 ? "canceled" : "paid"));
    } else if (roll < 0.72) {
      // Settlement cancel under the transaction id, or under the order id.
      add(record("PAYMENT", id, amount, settled()));
      add(random() < 0.5 ? record("REFUND", `T-${id}`, amount, settled({ transactionId: `T-${id}` })) : record("REFUND", id, amount, settled()));
      orders.push(order(id, amount, "canceled"));
    } else if (roll < 0.8) {
      const refundId = `${id}-r1`;
      const part = Math.floor(amount / 2);
      add(record("PAYMENT", id, amount));
      add(record("REFUND", refundId, part, { transactionId: `T-${id}` }));
      orders.push(order(id, amount, "refunded"));
      const which = random();
      refunds.push(refund(refundId, which < 0.1 ? part + 5 : part, which > 0.9 ? "pending" : "succeeded"));
    } else if (roll < 0.84) {
      add(record("PAYMENT", id, amount));
      orders.push(order(id, amount, "refunded"));
      refunds.push(refund(`${id}-r1`, 50, "succeeded", day)); // not executed
    } else if (roll < 0.88) {
      add(record("PAYMENT", id, amount));
      orders.push(order(id, amount, "canceled")); // status mismatch
    } else if (roll < 0.9) {
      add(record("REVERSAL", id, amount)); // cancel without its payment, found by the order id
      orders.push(order(id, amount, "canceled"));
    } else if (roll < 0.92) {
      add(record("REFUND", `${id}-ghost`, 100)); // orphan refund
    } else if (roll < 0.94) {
      orders.push(order(id, amount, random() < 0.5 ? "pending" : "failed"));
    } else if (roll < 0.96) {
      // Settlement R the store knows as a refund stays a refund.
      add(record("PAYMENT", id, amount, settled()));
      add(record("REFUND", `${id}-r1`, 40, settled({ transactionId: `T-${id}` })));
      orders.push(order(id, amount, "refunded"));
      refunds.push(refund(`${id}-r1`, 40));
    } else {
      add(record("PAYMENT", id, amount, { currency: "CNY" }));
      orders.push(order(id, amount)); // currency mismatch
    }
  }
  // A few orders twice in the store, and records out of order.
  orders.push(...orders.slice(0, 3));
  for (let i = records.length - 1; i > 0; i -= 7) {
    const j = Math.floor(random() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  return { records, ledger: { orders, refunds } };
}

describe("matchReconciliationStream (bounded memory)", () => {
  it("finds the same as matchReconciliation on generated data with every kind of finding", async () => {
    for (const seed of [1, 7, 42]) {
      const { records, ledger } = generated(1500, seed);
      const report = await expectSameAsInMemory(records, ledger, {}, [1, 7, 64]);
      // The data holds every kind, so the comparison covers every kind.
      for (const list of [
        report.matched,
        report.missingFromFile,
        report.orphans,
        report.amountMismatches,
        report.refundsNotExecuted,
        report.statusMismatches,
        report.duplicates,
      ]) {
        expect(list.length).toBeGreaterThan(0);
      }
      expect(report.outsidePeriod.orders + report.outsidePeriod.refunds).toBeGreaterThan(0);
    }
  });

  it("finds the same with days: all and extraDays", async () => {
    const { records, ledger } = generated(400, 3);
    await expectSameAsInMemory(records, ledger, { days: "all" });
    await expectSameAsInMemory(records, ledger, { extraDays: ["2024-01-05"] });
  });

  it("matches the HK fixtures the same way", async () => {
    const transaction = await readAll(fixture("2088101122334455_transaction_20240102.txt"));
    const settlement = await readAll(fixture("2088101122334455_settlement_20240103.txt"));
    const ledger = await loadStoreLedger(fixture("store-orders.csv"));
    const report = await expectSameAsInMemory([...transaction.records, ...settlement.records], ledger);
    expect(report.discrepancyCount).toBe(0);
  });

  // The edge cases of match.test.ts, through both matchers.
  it.each([
    [
      "missing from file, only on the files' days",
      [record("PAYMENT", "o-1", 1000)],
      { orders: [order("o-1", 1000), order("o-2", 500), order("o-3", 700, "paid", "2024-01-05"), order("o-4", 900, "pending")], refunds: [] },
      {},
    ],
    ["days: all", [record("PAYMENT", "o-1", 1000)], { orders: [order("o-3", 700, "paid", "2024-01-05")], refunds: [] }, { days: "all" }],
    ["an empty day's file through extraDays", [], { orders: [order("o-9", 100, "paid", "2024-01-07")], refunds: [] }, { extraDays: ["2024-01-07"] }],
    ["orphans", [record("PAYMENT", "ghost", 4200), record("REFUND", "r-ghost", 100)], { orders: [], refunds: [] }, {}],
    [
      "amount and currency mismatches",
      [record("PAYMENT", "o-1", 1000), record("PAYMENT", "o-2", 500, { currency: "CNY" }), record("REFUND", "r-1", 300)],
      { orders: [order("o-1", 1001), order("o-2", 500)], refunds: [refund("r-1", 200)] },
      {},
    ],
    [
      "refunds not executed",
      [record("PAYMENT", "o-1", 1000)],
      { orders: [order("o-1", 1000, "refunded")], refunds: [refund("r-1", 1000), refund("r-2", 50, "failed")] },
      {},
    ],
    [
      "status mismatches",
      [record("PAYMENT", "o-1", 1000), record("PAYMENT", "o-2", 500), record("REVERSAL", "o-2", 500), record("REFUND", "r-1", 100)],
      { orders: [order("o-1", 1000, "canceled"), order("o-2", 500, "paid")], refunds: [refund("r-1", 100, "pending")] },
      {},
    ],
    [
      "echo counted once, true duplicates flagged",
      [
        record("PAYMENT", "o-1", 1000),
        record("PAYMENT", "o-1", 1000, settled()),
        record("PAYMENT", "o-1", 1000, { line: 9 }),
        record("PAYMENT", "o-1", 1000, settled({ line: 7 })),
      ],
      { orders: [order("o-1", 1000)], refunds: [] },
      {},
    ],
    [
      "settlement cancel under the transaction id",
      [record("PAYMENT", "o-1", 1000, settled()), record("REFUND", "T-o-1", 1000, settled({ transactionId: "T-o-1" }))],
      { orders: [order("o-1", 1000, "canceled")], refunds: [] },
      {},
    ],
    [
      "settlement cancel under the partner_trans_id",
      [record("PAYMENT", "o-1", 1000, settled()), record("REFUND", "o-1", 1000, settled())],
      { orders: [order("o-1", 1000, "canceled")], refunds: [] },
      {},
    ],
    [
      "settlement R the store knows as a refund",
      [record("PAYMENT", "o-1", 1000, settled()), record("REFUND", "r-1", 400, settled({ transactionId: "T-o-1" }))],
      { orders: [order("o-1", 1000, "refunded")], refunds: [refund("r-1", 400)] },
      {},
    ],
  ] as [string, ReconRecord[], StoreLedger, ReconMatchOptions][])("%s", async (_name, records, ledger, options) => {
    await expectSameAsInMemory(records, ledger, options);
  });

  it("leaves no spill file behind", async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-match-stream-test-"));
    try {
      const { records, ledger } = generated(50, 5);
      await matchReconciliationStream(records, ledger, {}, { tempDir: dir });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("matchReconciliationStream when the input fails", () => {
  it("passes the source's error on and leaves no spill file behind", async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-match-stream-fail-"));
    try {
      const records = (async function* () {
        yield record("PAYMENT", "o-1", 1000);
        throw new Error("the SFTP download broke");
      })();
      await expect(matchReconciliationStream(records, { orders: [], refunds: [] }, {}, { tempDir: dir })).rejects.toThrow("the SFTP download broke");
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
