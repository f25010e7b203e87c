import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginSignature } from "../src/plugin-auth.js";
import type { FakeOrder } from "./fake-woocommerce/index.js";
import { eventually } from "./helpers.js";
import { startHarness, tradesOf, type Harness } from "./harness.js";

/**
 * Issue 11: `POST /woocommerce/refund` executes only a refund WooCommerce has, for that order and
 * that amount (read back over REST), and only when the WordPress plugin signed the call. The POS
 * bearer token and the plugin's secret are separate credentials.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  h.woo.webhooks.mode = "manual"; // no webhook hints: a recorded refund waits until the test asks
});
afterAll(async () => {
  await h?.close();
});

const sandboxRefunds = (tradeId: string) => h.sandbox.trades().find((t) => t.out_trade_no === tradeId)!.refunds;

async function paidOrder(total: string): Promise<{ order: FakeOrder; tradeId: string }> {
  const order = h.order({ total });
  await fetch(h.payUrl(order));
  const [trade] = tradesOf(h, order);
  h.sandbox.payTrade(trade!.partnerTransId);
  await eventually(() => h.bridge.store.getOrder(order.id)?.state === "paid", "paid");
  return { order, tradeId: trade!.partnerTransId };
}

describe("POST /woocommerce/refund refuses what WooCommerce does not hold", () => {
  it("refuses an unknown refund id, another amount and another order's refund with 4xx JSON; nothing reaches Alipay", async () => {
    const a = await paidOrder("50.00");
    const b = await paidOrder("30.00");
    // A refund WooCommerce holds for order A (recorded, not yet executed).
    const wcRefund = await h.woo.shop.createRefund(a.order.id, { amount: "10.00", reason: "test", apiRefund: false });
    const refundsBefore = h.bridge.store.refundsForOrder(a.order.id).length + h.bridge.store.refundsForOrder(b.order.id).length;

    const unknown = await h.pluginRefund({ order_id: a.order.id, refund_id: 987654, amount: "10.00" });
    const unknownMessage = `refund_id: WooCommerce has no refund 987654 on order ${a.order.id}; nothing executed`;
    // The one error body of every alipayhk server; the top-level message is what older plugins read.
    expect(unknown).toEqual({ status: 404, body: { error: { code: "unknown_refund", message: unknownMessage }, message: unknownMessage } });

    const otherAmount = await h.pluginRefund({ order_id: a.order.id, refund_id: wcRefund.id, amount: "50.00" });
    const otherAmountMessage = `amount: WooCommerce's refund ${wcRefund.id} is HKD 10.00, not HKD 50.00; nothing executed`;
    expect(otherAmount).toEqual({ status: 409, body: { error: { code: "amount_mismatch", message: otherAmountMessage }, message: otherAmountMessage } });

    const otherOrder = await h.pluginRefund({ order_id: b.order.id, refund_id: wcRefund.id, amount: "10.00" });
    expect(otherOrder.status).toBe(404);
    expect(otherOrder.body.error).toMatchObject({ code: "unknown_refund" });

    const malformed = await h.pluginRefund({ order_id: a.order.id, refund_id: "x", amount: "10.00" });
    const malformedMessage = "order_id and refund_id: expected WooCommerce ids";
    expect(malformed).toEqual({ status: 400, body: { error: { code: "invalid_body", message: malformedMessage }, message: malformedMessage } });

    expect(sandboxRefunds(a.tradeId)).toEqual([]);
    expect(sandboxRefunds(b.tradeId)).toEqual([]);
    expect(h.bridge.store.refundsForOrder(a.order.id).length + h.bridge.store.refundsForOrder(b.order.id).length).toBe(refundsBefore);
    expect(h.woo.shop.orders.get(a.order.id)!.refunds.map((r) => r.id)).toEqual([wcRefund.id]);

    // The genuine call executes it, once, whatever retries follow.
    const ok = await h.pluginRefund({ order_id: a.order.id, refund_id: wcRefund.id, amount: "10.00", reason: "test" });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe("succeeded");
    expect((await h.pluginRefund({ order_id: a.order.id, refund_id: wcRefund.id, amount: "10.00" })).status).toBe(200);
    expect(sandboxRefunds(a.tradeId).map((r) => r.refund_amount)).toEqual(["10.00"]);
  });

  it("refuses a refund the bridge itself recorded in WooCommerce", async () => {
    const a = await paidOrder("20.00");
    const own = await h.bridge.woo.createRecordedRefund(a.order.id, { amount: "5.00", reason: "bridge", meta: { alipayhk_refund_key: "cancel-x" } });
    const res = await h.pluginRefund({ order_id: a.order.id, refund_id: own.id, amount: "5.00" });
    const message = `refund_id: refund ${own.id} was recorded by the bridge itself; nothing executed`;
    expect(res).toEqual({ status: 409, body: { error: { code: "bridge_refund", message }, message } });
    expect(sandboxRefunds(a.tradeId)).toEqual([]);
  });
});

describe("separate credentials for the POS and the WordPress plugin", () => {
  it("the refund route refuses the POS bearer token, an unsigned call, another key and a stale timestamp", async () => {
    const a = await paidOrder("15.00");
    const wcRefund = await h.woo.shop.createRefund(a.order.id, { amount: "15.00", apiRefund: false });
    const body = { order_id: a.order.id, refund_id: wcRefund.id, amount: "15.00" };

    const bearer = await h.pluginRefund(body, { unsigned: true, bearer: h.token });
    expect(bearer.status).toBe(401);
    expect(bearer.body.error).toMatchObject({ code: "unauthorized" });
    expect((await h.pluginRefund(body, { unsigned: true })).status).toBe(401);
    expect((await h.pluginRefund(body, { secret: h.token })).status).toBe(401);
    const mismatch = "X-AlipayHK-Signature: does not match (is the plugin's Bridge secret the bridge's WOO_PLUGIN_SECRET?)";
    expect((await h.pluginRefund(body, { secret: "another-secret-0123456789abcdef-0123456" })).body).toEqual({
      error: { code: "unauthorized", message: mismatch },
      message: mismatch,
    });

    const text = JSON.stringify(body);
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const res = await fetch(`${h.url}/woocommerce/refund`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-alipayhk-timestamp": String(stale),
        "x-alipayhk-signature": pluginSignature(h.pluginSecret, "v1", stale, "POST", "/woocommerce/refund", text),
      },
      body: text,
    });
    expect(res.status).toBe(401);
    // A signature over another body does not carry over.
    const ts = Math.floor(Date.now() / 1000);
    const swapped = await fetch(`${h.url}/woocommerce/refund`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-alipayhk-timestamp": String(ts),
        "x-alipayhk-signature": pluginSignature(h.pluginSecret, "v1", ts, "POST", "/woocommerce/refund", JSON.stringify({ ...body, amount: "1.00" })),
      },
      body: text,
    });
    expect(swapped.status).toBe(401);
    expect(sandboxRefunds(a.tradeId)).toEqual([]);
    expect(h.bridge.store.refundsForOrder(a.order.id)).toEqual([]);
  });

  it("the POS route refuses the plugin's secret as a bearer token", async () => {
    const order = h.order();
    const res = await fetch(`${h.url}/orders/${order.id}/barcode`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.pluginSecret}`, "content-type": "application/json" },
      body: JSON.stringify({ buyer_code: "280000000000000001" }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "missing or wrong bearer token" }, message: "missing or wrong bearer token" });
    expect(tradesOf(h, order)).toEqual([]);
  });

  it("the transaction link opens only with the plugin's signature and before it expires", async () => {
    const a = await paidOrder("12.00");
    const path = `/woocommerce/orders/${a.order.id}/payment`;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const good = await fetch(`${h.url}${path}?expires=${exp}&signature=${pluginSignature(h.pluginSecret, "v1-link", exp, "GET", path, "")}`);
    expect(good.status).toBe(200);
    expect(await good.text()).toContain(a.tradeId);
    const forged = await fetch(`${h.url}${path}?expires=${exp}&signature=${pluginSignature(h.token, "v1-link", exp, "GET", path, "")}`);
    expect(forged.status).toBe(401);
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await fetch(`${h.url}${path}?expires=${past}&signature=${pluginSignature(h.pluginSecret, "v1-link", past, "GET", path, "")}`);
    expect(expired.status).toBe(401);
  });
});
