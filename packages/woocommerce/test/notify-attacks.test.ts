import { buildSignedNotification } from "@alipayhk/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeOrder } from "./fake-woocommerce/index.js";
import { eventually } from "./helpers.js";
import { startHarness, tradesOf, type Harness } from "./harness.js";

/**
 * Attacks on the bridge's Alipay notify route, end to end (the sandbox as the gateway, the
 * WooCommerce contract fake over HTTPS). Every refused notification must leave everything as it
 * was: the bridge's store, the WooCommerce order and its notes, the buyer's pay page.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const OTHER_PARTNER = "2088999988887777";

async function openOrder(total = "50.00"): Promise<{ order: FakeOrder; tradeId: string }> {
  const order = h.order({ total });
  const page = await fetch(`${h.url}/pay/${order.id}?key=${encodeURIComponent(order.orderKey)}`);
  expect(page.status).toBe(200);
  const [trade] = tradesOf(h, order);
  return { order, tradeId: trade!.partnerTransId };
}

function sign(fields: Record<string, string>): string {
  return buildSignedNotification(fields, { signType: "MD5", md5Key: h.sandbox.md5Key });
}

function paidFields(tradeId: string, total: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    notify_id: `n-${Math.random().toString(36).slice(2)}`,
    notify_type: "trade_status_sync",
    notify_time: "2026-12-01 12:00:00",
    out_trade_no: tradeId,
    trade_no: "2026120122001999",
    trade_status: "TRADE_SUCCESS",
    total_fee: total,
    currency: "HKD",
    seller_id: h.sandbox.partner,
    ...extra,
  };
}

async function post(body: string): Promise<Response> {
  return fetch(`${h.url}/alipay/notify`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=GBK" }, body });
}

/** Everything a notification could change, for before/after comparison. */
function snapshot(order: FakeOrder) {
  const wc = h.woo.shop.orders.get(order.id)!;
  return JSON.stringify({
    bridgeOrder: h.bridge.store.getOrder(order.id),
    trades: h.bridge.store.tradesForOrder(order.id),
    refunds: h.bridge.store.refundsForOrder(order.id),
    wcStatus: wc.status,
    wcPaid: wc.datePaid ?? null,
    notes: wc.notes.map((n) => n.note),
  });
}

async function pageStatus(order: FakeOrder): Promise<string> {
  const res = await fetch(`${h.url}/pay/${order.id}/status?key=${encodeURIComponent(order.orderKey)}`);
  return ((await res.json()) as { state: string }).state;
}

describe("the notify route refuses what it cannot verify, and changes nothing", () => {
  const cases: Array<[string, (tradeId: string) => string]> = [
    ["forged (a wrong key)", (id) => buildSignedNotification(paidFields(id, "50.00"), { signType: "MD5", md5Key: "ffffffffffffffffffffffffffffffff" })],
    ["tampered (amount changed after signing)", (id) => sign(paidFields(id, "0.01")).replace("total_fee=0.01", "total_fee=50.00")],
    ["cross-partner (genuinely signed, another seller_id)", (id) => sign(paidFields(id, "50.00", { seller_id: OTHER_PARTNER }))],
    [
      "no seller_id",
      (id) => {
        const { seller_id: _s, ...f } = paidFields(id, "50.00");
        return sign(f);
      },
    ],
    ["re-split subject", (id) => sign(paidFields(id, "0.01", { subject: `x&out_trade_no=${id}&total_fee=50.00&trade_status=TRADE_SUCCESS&zz=` }))],
    [
      "missing total_fee",
      (id) => {
        const { total_fee: _t, ...f } = paidFields(id, "50.00");
        return sign(f);
      },
    ],
    ["unreadable total_fee", (id) => sign(paidFields(id, "fifty"))],
    ["another amount", (id) => sign(paidFields(id, "0.01"))],
    ["another currency", (id) => sign(paidFields(id, "50.00", { currency: "USD" }))],
    ["a trade this bridge did not make", () => sign(paidFields("wc999-1-abcdef", "50.00"))],
    ["a repeated field", (id) => `${sign(paidFields(id, "50.00"))}&total_fee=50.00`],
    ["an unknown field", (id) => `${sign(paidFields(id, "50.00"))}&zz=1`],
    ["paid, but Alipay's query shows it unpaid (a replay)", (id) => sign(paidFields(id, "50.00"))],
  ];
  for (const [name, build] of cases) {
    it(name, async () => {
      const { order, tradeId } = await openOrder();
      const before = snapshot(order);
      const res = await post(build(tradeId));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await res.text()).not.toBe("success");
      expect(snapshot(order)).toBe(before);
      expect(await pageStatus(order)).toBe("waiting");
    });
  }

  it("TRADE_CLOSED replayed for an open order is refused; the buyer can still pay and the order ends paid", async () => {
    const { order, tradeId } = await openOrder();
    const before = snapshot(order);
    const res = await post(sign(paidFields(tradeId, "50.00", { trade_status: "TRADE_CLOSED" })));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(snapshot(order)).toBe(before);
    expect(await pageStatus(order)).toBe("waiting");
    h.sandbox.payTrade(tradeId);
    await eventually(() => h.woo.shop.orders.get(order.id)!.status === "processing", "order paid after the refused close");
  });

  it("a genuine notification, replayed after it was applied, changes nothing more", async () => {
    const { order, tradeId } = await openOrder();
    h.sandbox.payTrade(tradeId);
    await eventually(
      () =>
        h.bridge.store.getOrder(order.id)?.state === "paid" &&
        h.woo.shop.orders.get(order.id)!.notes.some((n) => n.note.startsWith("Alipay HK payment received")),
      "paid",
    );
    const after = snapshot(order);
    const trade = h.sandbox.trades().find((t) => t.out_trade_no === tradeId)!;
    const replay = await post(sign(paidFields(tradeId, "50.00", { trade_no: String(trade.trade_no) })));
    expect(replay.status).toBe(200);
    expect(snapshot(order)).toBe(after);
  });
});

describe("refunds: identical resends and corrections", () => {
  async function paidOrder(total: string): Promise<{ order: FakeOrder; tradeId: string }> {
    const { order, tradeId } = await openOrder(total);
    h.sandbox.payTrade(tradeId);
    await eventually(() => h.bridge.store.getOrder(order.id)?.state === "paid", "paid");
    return { order, tradeId };
  }

  it("a refund whose replies are lost stays pending; the poll resends it unchanged (reason included) once the live request is over, and Alipay refunds once", async () => {
    const { order, tradeId } = await paidOrder("30.00");
    // Every reply to this trade's refund is lost after the gateway committed it.
    h.sandbox.addFault({ dropReplyAfterCommit: true, service: "alipay.acquire.overseas.spot.refund", partnerTransId: tradeId });
    const refund = await h.woo.shop.adminManualRefund(order.id, "12.00", "damaged box");
    await eventually(
      () => h.bridge.store.getRefundByWcId(refund.id)?.tries === 1 && h.bridge.store.getRefundByWcId(refund.id)?.lastError !== null,
      "first attempt over",
    );
    expect(h.bridge.store.getRefundByWcId(refund.id)).toMatchObject({ status: "pending", reason: "damaged box" });
    // Not picked up while the live request might still be in flight.
    await h.bridge.sync.poll();
    expect(h.bridge.store.getRefundByWcId(refund.id)?.status).toBe("pending");
    h.sandbox.clearFaults();
    h.clock.advance(10 * 60_000);
    try {
      await h.bridge.sync.poll();
    } finally {
      h.clock.advance(-10 * 60_000);
    }
    expect(h.bridge.store.getRefundByWcId(refund.id)?.status).toBe("succeeded");
    const remote = h.sandbox.trades().find((t) => t.out_trade_no === tradeId)!;
    expect(remote.refunds.filter((r) => r.status === "SUCCESS")).toHaveLength(1);
    expect(remote.refunded).toBe("12.00");
    await eventually(() => h.woo.shop.orders.get(order.id)!.notes.some((n) => n.note.includes("went through after a retry")), "retry note");
  });
});
