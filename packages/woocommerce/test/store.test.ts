import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BridgeStore } from "../src/store.js";

describe("BridgeStore (SQLite)", () => {
  it("creates its schema once and keeps everything across a restart", () => {
    const path = join(mkdtempSync(join(tmpdir(), "alipayhk-woo-store-")), "nested", "bridge.sqlite");
    const first = new BridgeStore({ path });
    expect(first.schemaVersion).toBe(2);
    first.upsertOrder({ orderId: 727, orderKey: "wc_order_abc", amountCents: 2935 });
    first.insertTrade({
      partnerTransId: "woo727-1",
      orderId: 727,
      kind: "qr",
      amountCents: 2935,
      qrCode: "https://qr.alipay.com/x",
      expiresAt: "2026-01-01T00:15:00.000Z",
    });
    first.claimRefund({ refundKey: "wc-727-900", orderId: 727, partnerTransId: "woo727-1", wcRefundId: 900, amountCents: 1000, origin: "woocommerce" });
    first.recordNotification("n-1", "woo727-1", "TRADE_SUCCESS");
    first.setSetting("poll.cursor", "2026-01-01T00:00:00Z");
    first.close();

    const second = new BridgeStore({ path });
    expect(second.schemaVersion).toBe(2);
    expect(second.getOrder(727)).toMatchObject({ orderKey: "wc_order_abc", amountCents: 2935, state: "awaiting" });
    expect(second.getTrade("woo727-1")).toMatchObject({ orderId: 727, kind: "qr", status: "open", qrCode: "https://qr.alipay.com/x" });
    expect(second.getRefundByWcId(900)).toMatchObject({ refundKey: "wc-727-900", status: "pending" });
    expect(second.recordNotification("n-1", "woo727-1", "TRADE_SUCCESS")).toBe(false);
    expect(second.getSetting("poll.cursor")).toBe("2026-01-01T00:00:00Z");
    second.close();
  });

  it("records only the first of two paid trades for an order", () => {
    const store = new BridgeStore({ path: ":memory:" });
    store.upsertOrder({ orderId: 1, orderKey: "k", amountCents: 100 });
    expect(store.claimPayment(1, "woo1-1")).toBe(true);
    expect(store.claimPayment(1, "woo1-1")).toBe(true); // the same trade again (a repeated notification)
    expect(store.claimPayment(1, "woo1-2")).toBe(false); // a second payment loses
    expect(store.getOrder(1)!.paidTransId).toBe("woo1-1");
  });

  it("claims a refund once per key and per WooCommerce refund id", () => {
    const store = new BridgeStore({ path: ":memory:" });
    const input = { refundKey: "wc-1-5", orderId: 1, partnerTransId: "woo1-1", wcRefundId: 5, amountCents: 100, origin: "woocommerce" as const };
    expect(store.claimRefund(input).created).toBe(true);
    expect(store.claimRefund(input).created).toBe(false);
    const again = store.claimRefund({ ...input, refundKey: "other-key" });
    expect(again).toMatchObject({ created: false, record: { refundKey: "wc-1-5" } });
    store.updateRefund("wc-1-5", { status: "succeeded", partnerRefundId: "R5-abc", addTry: true });
    expect(store.getRefund("wc-1-5")).toMatchObject({ status: "succeeded", partnerRefundId: "R5-abc", tries: 1 });
    expect(store.refundsInStatus("pending")).toEqual([]);
  });

  it("keeps an order's state once it left awaiting, even if the amount is upserted again", () => {
    const store = new BridgeStore({ path: ":memory:" });
    store.upsertOrder({ orderId: 2, orderKey: "k", amountCents: 100 });
    store.setOrderState(2, "paid", "woo2-1");
    store.upsertOrder({ orderId: 2, orderKey: "k", amountCents: 999 });
    expect(store.getOrder(2)).toMatchObject({ state: "paid", amountCents: 100, paidTransId: "woo2-1" });
    store.insertTrade({ partnerTransId: "woo2-1", orderId: 2, kind: "barcode", amountCents: 100 });
    store.insertTrade({ partnerTransId: "woo2-2", orderId: 2, kind: "qr", amountCents: 100 });
    store.updateTrade("woo2-1", { status: "paid", alipayTransId: "2026..." });
    expect(store.countTrades(2)).toBe(2);
    expect(store.tradesInStatus("open").map((t) => t.partnerTransId)).toEqual(["woo2-2"]);
    expect(store.tradesForOrder(2).map((t) => t.status)).toEqual(["paid", "open"]);
  });
});
