import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeOrder } from "./fake-woocommerce/index.js";
import { eventually } from "./helpers.js";
import { startHarness, tradesOf, type Harness } from "./harness.js";

/**
 * The bridge end to end: the WooCommerce contract fake over HTTPS through the real client, the
 * Alipay HK sandbox as the gateway, and the bridge between them, each on loopback.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const wcOrder = (o: FakeOrder) => h.woo.shop.orders.get(o.id)!;
const notes = (o: FakeOrder) => wcOrder(o).notes.map((n) => n.note);
const sandboxTrade = (outTradeNo: string) => h.sandbox.trades().find((t) => t.out_trade_no === outTradeNo);

async function openPage(order: FakeOrder, key = order.orderKey) {
  return fetch(`${h.url}/pay/${order.id}?key=${encodeURIComponent(key)}`, { redirect: "manual" });
}

describe("hosted payment page and payment completion", () => {
  it("shows a QR made with precreate, and a paid notification completes the WooCommerce order", async () => {
    const order = h.order({ total: "88.00" });
    const page = await openPage(order);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("HKD 88.00");
    expect(html).toMatch(/<img id="qr" src="data:image\/png;base64,/);
    const [trade] = tradesOf(h, order);
    expect(trade).toMatchObject({ kind: "qr", status: "open", amountCents: 8800 });
    const remote = sandboxTrade(trade!.partnerTransId)!;
    expect(remote).toMatchObject({ status: "WAIT_BUYER_PAY", total_fee: "88.00", qr_code: trade!.qrCode });
    expect(remote.notify_url).toBe(`${h.url}/alipay/notify`);
    // The QR closes before WooCommerce's hold-stock window would cancel the order.
    expect(Date.parse(trade!.expiresAt!) - Date.now()).toBeLessThan(h.config.woo.holdStockMinutes * 60_000);

    h.sandbox.payTrade(trade!.partnerTransId);
    await eventually(() => wcOrder(order).status === "processing", "order processing");
    const paid = await h.bridge.woo.getOrder(order.id);
    expect(paid.transaction_id).toBe(sandboxTrade(trade!.partnerTransId)!.trade_no);
    expect(paid.date_paid_gmt).not.toBeNull();
    expect(paid.meta_data).toContainEqual(expect.objectContaining({ key: "alipayhk_out_trade_no", value: trade!.partnerTransId }));
    await eventually(() => notes(order).some((n) => n.startsWith("Alipay HK payment received: HKD 88.00")), "payment note");
    expect(wcOrder(order).notes.every((n) => !n.customerNote)).toBe(true);

    const again = await openPage(order);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(h.woo.thankYouUrl(wcOrder(order)));
  });

  it("refuses a wrong order key, an unknown order, a non-HKD order and an order of another gateway", async () => {
    const order = h.order();
    expect((await openPage(order, "wc_order_wrong")).status).toBe(404);
    expect((await fetch(`${h.url}/pay/999999?key=x`)).status).toBe(404);
    expect(tradesOf(h, order)).toHaveLength(0);
    const usd = h.order({ currency: "USD" });
    expect(await (await openPage(usd)).text()).toContain("Alipay HK takes HKD; this order is in USD.");
    const bacs = h.order({ paymentMethod: "bacs" });
    expect(await (await openPage(bacs)).text()).toContain("not paid with Alipay HK");
    expect(h.sandbox.trades().some((t) => t.subject === `Order #${usd.id}` || t.subject === `Order #${bacs.id}`)).toBe(false);
  });

  it("a page refresh shows the same QR; after expiry the old trade is closed at Alipay before a new one is made", async () => {
    const order = h.order();
    await openPage(order);
    await openPage(order);
    expect(tradesOf(h, order)).toHaveLength(1);
    const first = tradesOf(h, order)[0]!;

    h.clock.advance(16 * 60_000);
    try {
      await openPage(order);
    } finally {
      h.clock.advance(-16 * 60_000);
    }
    const [old, fresh] = tradesOf(h, order);
    expect(old).toMatchObject({ partnerTransId: first.partnerTransId, status: "closed" });
    expect(fresh).toMatchObject({ status: "open" });
    expect(sandboxTrade(first.partnerTransId)!.status).toBe("TRADE_CLOSED");
    expect(() => h.sandbox.payTrade(first.partnerTransId)).toThrow();
  });

  it("QR refresh after a paid-but-unnotified scan records the payment instead of making a second QR", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.front.dropNotify = true;
    try {
      h.sandbox.payTrade(trade!.partnerTransId);
      await eventually(() => h.front.dropped.some((p) => p.startsWith("/alipay/notify")), "dropped notification");
      h.clock.advance(16 * 60_000);
      const res = await openPage(order);
      expect(res.status).toBe(303);
    } finally {
      h.clock.advance(-16 * 60_000);
      h.front.dropNotify = false;
    }
    expect(tradesOf(h, order)).toHaveLength(1);
    expect(wcOrder(order).status).toBe("processing");
  });

  it("the page's status check sees a payment whose notification was lost", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.front.dropNotify = true;
    try {
      h.sandbox.payTrade(trade!.partnerTransId);
      const status = await eventually(async () => {
        const res = await fetch(`${h.url}/pay/${order.id}/status?key=${order.orderKey}`);
        const body = (await res.json()) as { state: string; redirect?: string };
        return body.state === "paid" ? body : null;
      }, "paid status");
      expect(status.redirect).toBe(h.woo.thankYouUrl(wcOrder(order)));
    } finally {
      h.front.dropNotify = false;
    }
    expect(wcOrder(order).transactionId).toBe(sandboxTrade(trade!.partnerTransId)!.trade_no);
    expect((await fetch(`${h.url}/pay/${order.id}/status?key=wrong`)).status).toBe(404);
  });

  it("duplicated notifications (same notify_id) record the payment once", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.sandbox.addFault({ notifyDuplicate: 2, partnerTransId: trade!.partnerTransId });
    h.sandbox.payTrade(trade!.partnerTransId);
    const mine = () => h.sandbox.notifications().filter((n) => n.outTradeNo === trade!.partnerTransId && n.kind === "payment");
    await eventually(() => mine().length === 3 && mine().every((n) => n.status === "delivered"), "original and two duplicates delivered");
    expect(new Set(mine().map((n) => n.notifyId)).size).toBe(1);
    expect(wcOrder(order).status).toBe("processing");
    expect(notes(order).filter((n) => n.startsWith("Alipay HK payment received"))).toHaveLength(1);
  });
});

describe("late and duplicate payments", () => {
  it("a payment after WooCommerce auto-cancelled the order (set_paid ignored) is given back at Alipay", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.woo.webhooks.mode = "manual"; // the cancellation webhook has not arrived yet
    try {
      h.woo.clock = () => new Date(Date.now() + 61 * 60_000);
      expect(h.woo.shop.cancelUnpaidOrders(60)).toContain(order.id);
      h.woo.clock = () => new Date();
      h.sandbox.payTrade(trade!.partnerTransId);
      await eventually(() => notes(order).some((n) => n.includes("Given back to the buyer at Alipay automatically")), "late payment returned");
    } finally {
      h.woo.webhooks.mode = "auto";
      h.woo.clock = () => new Date();
    }
    expect(h.bridge.store.getOrder(order.id)?.state).toBe("late_refunded");
    expect(h.bridge.store.getTrade(trade!.partnerTransId)?.status).toBe("reversed");
    // set_paid was sent and ignored; transaction_id is a plain field and was written.
    expect(wcOrder(order).transactionId).toBe(sandboxTrade(trade!.partnerTransId)!.trade_no);
    expect(wcOrder(order).status).toBe("cancelled");
    expect(wcOrder(order).datePaid).toBeNull();
    expect(sandboxTrade(trade!.partnerTransId)!.status).toBe("TRADE_CLOSED"); // reversed on the same day
    expect(notes(order).some((n) => n.includes("Given back to the buyer at Alipay automatically (cancelled the same day)"))).toBe(true);
    expect(notes(order)).toContain("Unpaid order cancelled - time limit reached. Order status changed from Pending payment to Cancelled.");
    const page = await (await openPage(order)).text();
    expect(page).toContain("returned to your Alipay account");
  });

  it("with LATE_PAYMENT_POLICY=flag the late payment is kept, noted and alerted", async () => {
    const flagged = await startHarness({ latePaymentPolicy: "flag" });
    try {
      const order = flagged.order();
      await fetch(flagged.payUrl(order));
      const [trade] = tradesOf(flagged, order);
      flagged.woo.webhooks.mode = "manual";
      flagged.woo.shop.updateOrder(order.id, { status: "cancelled" });
      flagged.sandbox.payTrade(trade!.partnerTransId);
      const wc = flagged.woo.shop.orders.get(order.id)!;
      await eventually(() => flagged.log.events.some((e) => e.level === "alert"), "alert");
      expect(flagged.bridge.store.getOrder(order.id)?.state).toBe("late_flagged");
      expect(wc.status).toBe("cancelled");
      expect(wc.notes.some((n) => n.note.includes("LATE_PAYMENT_POLICY=flag"))).toBe(true);
      expect(wc.meta).toContainEqual(expect.objectContaining({ key: "alipayhk_unrecorded_payment", value: trade!.partnerTransId }));
      expect(flagged.sandbox.trades().find((t) => t.out_trade_no === trade!.partnerTransId)!.status).toBe("TRADE_SUCCESS");
      expect(flagged.log.events.some((e) => e.level === "alert")).toBe(true);
    } finally {
      await flagged.close();
    }
  });

  it("a second paid trade for an already paid order is refunded automatically", async () => {
    const order = h.order({ total: "20.00" });
    await openPage(order);
    const [first] = tradesOf(h, order);
    h.sandbox.payTrade(first!.partnerTransId);
    await eventually(() => h.bridge.store.getOrder(order.id)?.state === "paid", "paid");
    // A second trade for the same order (an older bridge instance's QR, paid on another phone).
    const second = h.bridge.store.insertTrade({ partnerTransId: `wc${order.id}-9-dup`, orderId: order.id, kind: "qr", amountCents: 2000 });
    await h.bridge.alipay.precreate({ outTradeNo: second.partnerTransId, subject: "dup", totalFee: 2000, notifyUrl: `${h.url}/alipay/notify` });
    h.sandbox.payTrade(second.partnerTransId);
    await eventually(() => h.bridge.store.getTrade(second.partnerTransId)?.status === "reversed", "duplicate reversed");
    expect(sandboxTrade(second.partnerTransId)!.status).toBe("TRADE_CLOSED");
    expect(sandboxTrade(first!.partnerTransId)!.status).toBe("TRADE_SUCCESS");
    expect(h.bridge.store.getOrder(order.id)).toMatchObject({ state: "paid", paidTransId: first!.partnerTransId });
    await eventually(() => notes(order).some((n) => n.includes("the order was already paid by trade") && n.includes("Given back")), "duplicate note");
  });
});

describe("POS barcode", () => {
  const pay = (order: FakeOrder, code: string, token = h.token) =>
    fetch(`${h.url}/orders/${order.id}/barcode`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ buyer_code: code }),
    });

  it("charges the buyer's code and completes the order", async () => {
    const order = h.order({ createdVia: "admin" });
    const res = await pay(order, "280000000000000001");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; partnerTransId: string; orderStatus: string };
    expect(body).toMatchObject({ status: "paid", orderStatus: "processing" });
    expect(wcOrder(order).transactionId).toBe(sandboxTrade(body.partnerTransId)!.trade_no);
  });

  it("a declined code is a 402 and the order stays pending; a buyer confirming in the app is polled to paid", async () => {
    const order = h.order();
    const declined = await pay(order, "280000000000000003");
    expect(declined.status).toBe(402);
    expect(await declined.json()).toMatchObject({ status: "failed", code: "BUYER_BALANCE_NOT_ENOUGH" });
    expect(wcOrder(order).status).toBe("pending");
    const waiting = await pay(order, "280000000000000005");
    expect(waiting.status).toBe(200);
    expect(wcOrder(order).status).toBe("processing");
    expect(tradesOf(h, order).map((t) => t.status)).toEqual(["failed", "paid"]);
  });

  it("needs the API token and a well-formed code, and refuses a paid order", async () => {
    const order = h.order();
    expect((await pay(order, "280000000000000001", "wrong-token")).status).toBe(401);
    expect((await pay(order, "12")).status).toBe(400);
    // 16 digits, but not a wallet code (25-30...): refused before any trade is made.
    const notWallet = await pay(order, "1111111111111111");
    expect(notWallet.status).toBe(400);
    expect(await notWallet.json()).toMatchObject({ error: { code: "invalid_body", message: expect.stringMatching(/^buyer_code: /) } });
    expect(tradesOf(h, order)).toEqual([]);
    expect((await pay(order, "280000000000000001")).status).toBe(200);
    const again = await pay(order, "280000000000000001");
    expect(again.status).toBe(409);
    const body = (await again.json()) as { error: { code: string; message: string }; message: string };
    expect(body.error).toEqual({ code: "not_payable", message: `order ${order.id}: status processing does not take payment` });
    expect(body.message).toBe(body.error.message);
  });

  it("refuses, as JSON naming the reason, an unknown order, another gateway's order and another currency", async () => {
    const unknown = await fetch(`${h.url}/orders/999999/barcode`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
      body: JSON.stringify({ buyer_code: "280000000000000001" }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
    const cod = h.order({ paymentMethod: "cod" });
    const other = await pay(cod, "280000000000000001");
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: { code: "not_alipayhk", message: `order ${cod.id}: payment_method is "cod", not "alipayhk"` } });
    const usd = h.order({ currency: "USD" });
    expect(await (await pay(usd, "280000000000000001")).json()).toMatchObject({ error: { code: "currency" } });
    expect([...tradesOf(h, cod), ...tradesOf(h, usd)]).toEqual([]);
  });
});

describe("the bridge's HTTP layer", () => {
  it("answers an unknown path 404 and a wrong method 405 with Allow, as JSON errors", async () => {
    const missing = await fetch(`${h.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "route_not_found", message: "path: no route GET /nope" } });
    const wrong = await fetch(`${h.url}/alipay/notify`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });

  it("refuses an oversized refund call with 413 before reading the signature", async () => {
    const res = await fetch(`${h.url}/woocommerce/refund`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(70 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "body_too_large" } });
  });

  it("answers the page's status for a wrong key 404 as JSON, and HEAD /healthz with headers only", async () => {
    const order = h.order();
    await openPage(order);
    const status = await fetch(`${h.url}/pay/${order.id}/status?key=wrong`);
    expect(status.status).toBe(404);
    expect(await status.json()).toMatchObject({ error: { code: "not_found", message: "No such order, or the link is not valid." } });
    const head = await fetch(`${h.url}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});

describe("refunds and cancellations from WooCommerce", () => {
  async function paidOrder(total = "50.00"): Promise<{ order: FakeOrder; tradeId: string }> {
    const order = h.order({ total });
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.sandbox.payTrade(trade!.partnerTransId);
    await eventually(() => h.bridge.store.getOrder(order.id)?.state === "paid", "paid");
    return { order, tradeId: trade!.partnerTransId };
  }

  it("a manual WooCommerce refund reaches Alipay once, even with a duplicated webhook", async () => {
    const { order, tradeId } = await paidOrder();
    h.woo.webhooks.duplicateNextDeliveries(1);
    const refund = await h.woo.shop.adminManualRefund(order.id, "12.50", "damaged");
    await eventually(() => h.bridge.store.getRefundByWcId(refund.id)?.status === "succeeded", "refund executed");
    await eventually(() => h.woo.webhooks.deliveries.filter((d) => d.resourceId === order.id && d.status === 200).length >= 2, "duplicate delivered");
    await h.bridge.sync.syncOrder(order.id); // and once more by hand
    const remote = sandboxTrade(tradeId)!;
    expect(remote.refunds).toHaveLength(1);
    expect(remote.refunds[0]).toMatchObject({ refund_amount: "12.50", status: "SUCCESS" });
    await eventually(() => notes(order).some((n) => n.startsWith(`Refund #${refund.id} executed at Alipay HK: HKD 12.50`)), "refund note");
  });

  it("refunds missed by lost webhooks are found by the poll", async () => {
    const { order, tradeId } = await paidOrder("30.00");
    h.woo.webhooks.mode = "manual";
    h.front.dropWebhooks = true;
    let refundId = 0;
    try {
      refundId = (await h.woo.shop.adminManualRefund(order.id, "30.00")).id;
      await h.woo.webhooks.flush();
      expect(h.front.dropped.some((p) => p.startsWith("/woocommerce/webhook"))).toBe(true);
    } finally {
      h.front.dropWebhooks = false;
      h.woo.webhooks.mode = "auto";
    }
    expect(h.bridge.store.getRefundByWcId(refundId)).toBeUndefined();
    const report = await h.bridge.poll();
    expect(report.errors).toBe(0);
    expect(h.bridge.store.getRefundByWcId(refundId)?.status).toBe("succeeded");
    expect(sandboxTrade(tradeId)!.refunds.map((r) => r.refund_amount)).toEqual(["30.00"]);
    expect(wcOrder(order).status).toBe("refunded");
  });

  it("a refund Alipay refuses is noted and alerted, not retried forever", async () => {
    const { order, tradeId } = await paidOrder("10.00");
    await h.woo.shop.adminManualRefund(order.id, "4.00");
    await eventually(() => h.bridge.store.refundsForOrder(order.id)[0]?.status === "succeeded", "first refund");
    // A second WooCommerce refund beyond what Alipay still holds (WooCommerce itself allows it: 6.00 left).
    h.bridge.store.claimRefund({ refundKey: "bridge-made", orderId: order.id, partnerTransId: tradeId, wcRefundId: null, amountCents: 600, origin: "bridge" });
    await h.bridge.alipay.refund({ partnerTransId: tradeId, partnerRefundId: "manual-at-portal", amount: 600 });
    const refund = await h.woo.shop.adminManualRefund(order.id, "6.00");
    await eventually(() => h.bridge.store.getRefundByWcId(refund.id)?.status === "failed", "refused refund");
    await eventually(
      () => notes(order).some((n) => n.includes(`Refund #${refund.id} (HKD 6.00) was NOT executed at Alipay HK: REFUND_AMT_RESTRICTION`)),
      "refusal note",
    );
    expect(h.log.events.some((e) => e.level === "alert" && e.message === "refund refused by Alipay")).toBe(true);
  });

  it("the plugin's process_refund (api_refund true) executes the refund synchronously, once", async () => {
    const { order, tradeId } = await paidOrder("40.00");
    h.woo.shop.registerGateway({
      id: "alipayhk",
      title: "Alipay HK",
      supports: ["products", "refunds"],
      // What the PHP plugin's process_refund() does: POST the bridge, signed, and wait.
      processRefund: async ({ orderId, amount, reason, refundId }) => {
        const res = await h.pluginRefund({ order_id: orderId, refund_id: refundId, amount, reason });
        return res.status === 200 && res.body.status === "succeeded" ? true : { error: `Alipay HK refund not executed: ${String(res.body.message)}` };
      },
    });
    try {
      const refund = await h.bridge.woo.getOrder(order.id).then(() =>
        // Through the REST API as wp-admin's "Refund via Alipay HK" would: api_refund defaults to true.
        h.woo.shop.createRefund(order.id, { amount: "15.00", reason: "size" }),
      );
      expect(refund.refundedPayment).toBe(true);
      expect(sandboxTrade(tradeId)!.refunds.map((r) => r.refund_amount)).toEqual(["15.00"]);
      await h.bridge.sync.syncOrder(order.id);
      await h.bridge.poll();
      expect(sandboxTrade(tradeId)!.refunds).toHaveLength(1);

      const tooMuch = await h.woo.shop.createRefund(order.id, { amount: "25.01" }).catch((e: unknown) => e);
      expect(tooMuch).toMatchObject({ message: "Invalid refund amount." });
    } finally {
      h.woo.shop.gateways.delete("alipayhk");
    }
  });

  it("cancelling an unpaid order closes its open trade at Alipay", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    await h.bridge.woo.setStatus(order.id, "cancelled");
    await eventually(() => h.bridge.store.getTrade(trade!.partnerTransId)?.status === "closed", "closed");
    expect(sandboxTrade(trade!.partnerTransId)!.status).toBe("TRADE_CLOSED");
    expect(h.bridge.store.getOrder(order.id)?.state).toBe("cancelled");
  });

  it("cancelling a paid order reverses the trade on the day, and refunds what is left after it", async () => {
    const sameDay = await paidOrder("25.00");
    await h.bridge.woo.setStatus(sameDay.order.id, "cancelled");
    await eventually(() => h.bridge.store.getOrder(sameDay.order.id)?.state === "cancelled", "cancelled");
    expect(sandboxTrade(sameDay.tradeId)!.status).toBe("TRADE_CLOSED");
    await eventually(
      () => notes(sameDay.order).some((n) => n.includes("HKD 25.00 given back to the buyer at Alipay (trade cancelled the same day)")),
      "reversal note",
    );

    const later = await paidOrder("35.00");
    h.sandbox.advanceClock("25h");
    await h.bridge.woo.setStatus(later.order.id, "cancelled");
    await eventually(() => h.bridge.store.getOrder(later.order.id)?.state === "cancelled", "cancelled later");
    const remote = sandboxTrade(later.tradeId)!;
    // Past the day Alipay refuses the cancel; the bridge refunds instead (and a fully refunded trade closes).
    expect(remote).toMatchObject({ status: "TRADE_CLOSED", close_reason: "refunded" });
    expect(remote.refunds.map((r) => r.refund_amount)).toEqual(["35.00"]);
    // The note keeps the code Alipay refused the cancel with, for the record.
    expect(notes(later.order).some((n) => /HKD 35\.00 given back to the buyer at Alipay \(refunded; Alipay refused the cancel with [A-Z_]+\)/.test(n))).toBe(
      true,
    );
  });
});

describe("the poll backstop and restarts", () => {
  it("re-activates webhooks WooCommerce disabled, and re-creates deleted ones", async () => {
    const hooks = [...h.woo.webhooks.webhooks.values()];
    expect(hooks.map((w) => w.topic).sort()).toEqual(["order.created", "order.deleted", "order.updated"]);
    hooks[0]!.status = "disabled";
    h.woo.webhooks.webhooks.delete(hooks[1]!.id);
    const report = await h.bridge.poll();
    expect(report).toMatchObject({ webhooksReactivated: 1, webhooksCreated: 1 });
    expect([...h.woo.webhooks.webhooks.values()].every((w) => w.status === "active")).toBe(true);
    // Real WooCommerce pings on create, not on re-activation (its first ping had succeeded).
    expect(h.woo.webhooks.pings.filter((p) => p.webhookId === hooks[0]!.id)).toHaveLength(1);
    expect(h.woo.webhooks.pings.filter((p) => p.ok).length).toBeGreaterThanOrEqual(4);
  });

  it("a payment whose notification was lost and whose page was closed is found by the poll's sweep", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.front.dropNotify = true;
    try {
      h.sandbox.payTrade(trade!.partnerTransId);
      await eventually(() => h.front.dropped.some((p) => p.startsWith("/alipay/notify")), "dropped");
    } finally {
      h.front.dropNotify = false;
    }
    expect(wcOrder(order).status).toBe("pending");
    await h.bridge.poll();
    expect(wcOrder(order).status).toBe("processing");
  });

  it("an expired, unpaid QR is closed at Alipay by the sweep", async () => {
    const order = h.order();
    await openPage(order);
    const [trade] = tradesOf(h, order);
    h.clock.advance(16 * 60_000);
    try {
      await h.bridge.poll();
    } finally {
      h.clock.advance(-16 * 60_000);
    }
    expect(h.bridge.store.getTrade(trade!.partnerTransId)?.status).toBe("closed");
    expect(sandboxTrade(trade!.partnerTransId)!.status).toBe("TRADE_CLOSED");
  });
});

describe("restart", () => {
  it("keeps orders, trades and executed refunds across a restart (SQLite file)", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dbPath = join(mkdtempSync(join(tmpdir(), "alipayhk-woo-e2e-")), "bridge.sqlite");
    const r = await startHarness({ dbPath });
    try {
      const order = r.order({ total: "60.00" });
      await fetch(r.payUrl(order));
      const [trade] = tradesOf(r, order);
      r.sandbox.payTrade(trade!.partnerTransId);
      await eventually(() => r.bridge.store.getOrder(order.id)?.state === "paid", "paid");
      const refund = await r.woo.shop.adminManualRefund(order.id, "10.00");
      await eventually(() => r.bridge.store.getRefundByWcId(refund.id)?.status === "succeeded", "refunded");

      await r.restart();
      expect(r.bridge.store.getOrder(order.id)).toMatchObject({ state: "paid", paidTransId: trade!.partnerTransId });
      expect(r.bridge.store.getRefundByWcId(refund.id)?.status).toBe("succeeded");
      await r.bridge.poll();
      await r.bridge.sync.syncOrder(order.id);
      expect(r.sandbox.trades().find((t) => t.out_trade_no === trade!.partnerTransId)!.refunds).toHaveLength(1);
      const res = await fetch(r.payUrl(order), { redirect: "manual" });
      expect(res.status).toBe(303);
    } finally {
      await r.close();
    }
  });
});

describe("an order placed with the Checkout block (Store API)", () => {
  it("ignores the checkout-draft and its order.created hint, then ends on the same hosted QR page and completes once paid", async () => {
    const draft = h.woo.shop.storeApiDraft({ total: "12.30" });
    await h.woo.webhooks.flush();
    await h.bridge.poll();
    expect(h.bridge.store.getOrder(draft.id)).toBeUndefined();
    expect(tradesOf(h, draft)).toEqual([]);

    // What the plugin's process_payment() returns, followed by the block: the hosted page.
    const placed = h.woo.shop.storeApiCheckout(draft.id, {
      billingAddress: {
        first_name: "Chan",
        last_name: "Tai Man",
        address_1: "1 Queen's Road Central",
        city: "Central",
        state: "HONG KONG",
        country: "HK",
        email: "b@example.com",
      },
      paymentMethod: "alipayhk",
      processPayment: (o) => ({ result: "success", redirect: `${h.url}/pay/${o.id}?key=${encodeURIComponent(o.orderKey)}` }),
    });
    const redirect = (placed.body.payment_result as { redirect_url: string }).redirect_url;
    const page = await fetch(redirect);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("HKD 12.30");
    const [trade] = tradesOf(h, draft);
    h.sandbox.payTrade(trade!.partnerTransId);
    await eventually(() => wcOrder(draft).status === "processing", "processing");
  });
});
