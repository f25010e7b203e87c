import { describe, expect, it } from "vitest";
import { AmountError } from "../amount";
import { fixture, readAll } from "./test-helpers";
import type { ReconRecord } from "./records";
import { ReconTotalsBuilder, totalRecords } from "./totals";

describe("totalRecords", () => {
  it("counts and sums the spec sample per type; the type gives the direction of amounts and fees", async () => {
    const { records } = await readAll(fixture("spec-sample-transaction.txt"));
    const totals = await totalRecords(records);
    expect(totals).toMatchObject({
      records: 4,
      countByType: { PAYMENT: 1, REVERSAL: 1, CANCEL: 1, REFUND: 1 },
      amountByType: { PAYMENT: 10000, REVERSAL: 10000, CANCEL: 10000, REFUND: 10000 },
      feeCharged: 300,
      feeReturned: 900,
      feeTotal: -600,
      netAmount: -20000,
      netSettlement: -19400,
    });
  });

  it("totals the HK transaction file per payment day", async () => {
    const { records } = await readAll(fixture("2088101122334455_transaction_20240102.txt"));
    const totals = await totalRecords(records);
    // payments 120 + 58.50 + 300; out: cancel 45 + refund 20; fees 1.44 + 0.70 + 3.60 − 0.54 − 0.24
    expect(totals.byDay).toEqual([{ date: "2024-01-02", records: 5, payments: 47850, refunds: -6500, fees: 496, net: 47850 - 6500 - 496 }]);
    expect(totals.feeTotal).toBe(496);
  });

  it("uses the Settlement column and the settlement day for settlement records", async () => {
    const { records } = await readAll(fixture("2088101122334455_settlement_20240103.txt"));
    const totals = await totalRecords(records);
    expect(totals.netSettlement).toBe(11856 + 5780 + 29640 - 1976);
    expect(totals.byDay.map((d) => d.date)).toEqual(["2024-01-03"]);
  });

  it("treats a refund written as a negative amount like a positive one", async () => {
    const refund = { kind: "transaction", type: "REFUND", amount: -2000, fee: -24, paymentTime: "2024-01-02 10:00:00" } as ReconRecord;
    const totals = await totalRecords([refund]);
    expect(totals).toMatchObject({ amountByType: { REFUND: 2000 }, netAmount: -2000, feeTotal: -24, netSettlement: -1976 });
  });

  it("refuses to round a total beyond 2^53 cents", () => {
    const big = { kind: "transaction", type: "PAYMENT", amount: Number.MAX_SAFE_INTEGER - 1, fee: 0, paymentTime: "2024-01-02 10:00:00" } as ReconRecord;
    const builder = new ReconTotalsBuilder();
    builder.add(big);
    expect(() => builder.add(big)).toThrow(AmountError);
  });
});
