/**
 * `Payments.apply`: the one place core's verified trade events become store changes. The sandbox
 * cannot report a payment of another amount, so the mismatch is applied here as core emits it.
 */
import { AlipayHkClient, systemClock, type TradeEvent } from "@alipayhk/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogLevel } from "../src/log";
import { Metrics } from "../src/metrics";
import { Payments } from "../src/payments";
import type { Db } from "../src/store/db";
import { migrate } from "../src/store/schema";
import { openSqlite } from "../src/store/sqlite";
import { Store } from "../src/store/store";

describe("apply(trade.mismatch): never paid, flagged for a person", () => {
  let db: Db;
  let store: Store;
  let payments: Payments;
  const logs: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }> = [];

  beforeEach(async () => {
    db = await openSqlite(":memory:");
    await migrate(db);
    store = new Store(db, { endpoints: ["https://platform.example/hooks"], partnerTransIdPrefix: "" });
    // The client is never called by apply (no gateway at this address).
    const client = new AlipayHkClient({
      partner: "2088101122136241",
      signType: "MD5",
      md5Key: "0123456789abcdef0123456789abcdef",
      gateway: "http://127.0.0.1:9/gateway.do",
    });
    payments = new Payments({
      client,
      store,
      clock: systemClock,
      logger: { log: (level, message, fields) => logs.push({ level, message, fields }) },
      metrics: new Metrics(),
      notifyUrl: "http://127.0.0.1:9/alipay/notify",
      qrExpiresInMinutes: 15,
      barcodeRecovery: {},
      refundRetry: {},
      sweepIntervalMs: 60_000,
      onEvents: () => {},
    });
    const now = Date.now();
    await store.reserveOrder({ orderId: "mm-1", mode: "qr", amount: 5000, currency: "HKD", description: "Order mm-1" }, now, now + 60_000, now + 900_000);
  });
  afterEach(async () => {
    logs.length = 0;
    await db.close();
  });

  const mismatch: TradeEvent = {
    type: "trade.mismatch",
    partnerTransId: "mm-1",
    source: "sweep",
    expectedAmount: 5000,
    reportedAmount: 1,
    reportedCurrency: "HKD",
    alipayTransId: "2026120122001400000000000009",
  };

  it("keeps the order unpaid, sets flag payment_mismatch, emits order.payment_mismatch once and logs at error level", async () => {
    await payments.apply([mismatch]);
    await payments.apply([mismatch]);
    const order = await store.getOrder("mm-1");
    expect(order).toMatchObject({ status: "pending", flag: "payment_mismatch" });
    expect(order!.paidAt).toBeUndefined();
    const events = await db.all<{ type: string; payload: string }>("SELECT type, payload FROM events");
    expect(events.map((e) => e.type)).toEqual(["order.payment_mismatch"]);
    expect(JSON.parse(events[0]!.payload).data).toMatchObject({
      order_id: "mm-1",
      status: "pending",
      flag: "payment_mismatch",
      expected_amount: "50.00",
      reported_amount: "0.01",
    });
    expect(logs.filter((l) => l.level === "error").map((l) => l.fields?.order_id)).toEqual(["mm-1", "mm-1"]);
    // A matching payment afterwards is applied as paid (the flag stays for the person).
    await payments.apply([{ type: "trade.paid", partnerTransId: "mm-1", source: "notification", amount: 5000, currency: "HKD" }]);
    expect(await store.getOrder("mm-1")).toMatchObject({ status: "paid", flag: "payment_mismatch" });
  });

  it("applies a batch in one transaction: a failing event leaves nothing of the batch", async () => {
    const broken: TradeEvent = { type: "trade.failed", partnerTransId: "mm-1", source: "barcode", code: "DECLINED" };
    await db.run("CREATE TRIGGER no_failed BEFORE UPDATE OF status ON orders WHEN NEW.status = 'failed' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
    await expect(payments.apply([mismatch, broken])).rejects.toThrow();
    expect(await store.getOrder("mm-1")).toMatchObject({ status: "pending" });
    expect((await store.getOrder("mm-1"))!.flag).toBeUndefined();
    expect(await db.all("SELECT * FROM events")).toEqual([]);
  });
});
