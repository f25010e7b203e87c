import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buyerPays, eventually, sandboxPost, sandboxTrades, startHarness, type Harness } from "./helpers";

const MINUTE = 60_000;

async function clearFaults(h: Harness) {
  await fetch(`${h.sandbox.url}/sandbox/faults`, { method: "DELETE" });
}

describe("background sweep (core's sweepOpenTrades)", () => {
  let h: Harness;
  beforeAll(async () => {
    // Notifications go nowhere, so only the sweep can learn what happened at Alipay.
    h = await startHarness({ service: { notifyUrl: "http://127.0.0.1:9/alipay/notify" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("finds a QR payment whose notification never arrived", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "sw-1", amount: "8.00", mode: "qr" });
    await buyerPays(h.sandbox, "sw-1");
    expect((await h.api.get("/v1/orders/sw-1")).body.status).toBe("pending");
    h.clock.advance(MINUTE + 1_000);
    const decisions = await h.service.sweep();
    expect(decisions).toContainEqual(expect.objectContaining({ partnerTransId: "sw-1", type: "trade.paid", source: "sweep" }));
    expect((await h.api.get("/v1/orders/sw-1")).body).toMatchObject({ status: "paid", payment_inst: "ALIPAYHK" });
    await eventually("payment.succeeded", () => h.receiver.byType("payment.succeeded").find((e) => e.data.order_id === "sw-1"));
  });

  it("closes a QR code past its expiry: payment.canceled (expired)", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "sw-2", amount: "9.00", mode: "qr" });
    h.clock.advance(16 * MINUTE);
    await h.service.sweep();
    expect((await h.api.get("/v1/orders/sw-2")).body.status).toBe("canceled");
    expect((await sandboxTrades(h.sandbox)).find((t) => t.out_trade_no === "sw-2").status).toBe("TRADE_CLOSED");
    const event = await eventually("payment.canceled", () => h.receiver.byType("payment.canceled").find((e) => e.data.order_id === "sw-2"));
    expect(event.data).toMatchObject({ reason: "expired", reversed: false });
  });

  it("retries a refund whose outcome was unknown, with the same partner_refund_id", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "sw-3", amount: "30.00", mode: "barcode", buyer_code: "280000000000000001" });
    await sandboxPost(h.sandbox, "/sandbox/faults", { httpStatus: 502, service: "alipay.acquire.overseas.spot.refund" });
    const pending = await h.api.signed("POST", "/v1/returns", { order_id: "sw-3", return_id: "late-1", amount: "12.00" });
    expect(pending.status).toBe(201);
    expect(pending.body).toMatchObject({ status: "pending", order: { refundable_amount: "18.00" } });
    await clearFaults(h);
    h.clock.advance(MINUTE + 1_000);
    const decisions = await h.service.sweep();
    expect(decisions).toContainEqual(expect.objectContaining({ type: "refund.succeeded", platformRefundId: "late-1", source: "sweep" }));
    const order = (await h.api.get("/v1/orders/sw-3")).body;
    expect(order.refunds).toEqual([expect.objectContaining({ return_id: "late-1", status: "succeeded", partner_refund_id: pending.body.partner_refund_id })]);
    const trade = (await sandboxTrades(h.sandbox)).find((t) => t.out_trade_no === "sw-3");
    expect(trade.refunds).toHaveLength(1);
    await eventually("refund.succeeded", () => h.receiver.byType("refund.succeeded").find((e) => e.data.return_id === "late-1"));
  });

  it("settles a barcode charge left unresolved by the request", async () => {
    await sandboxPost(h.sandbox, "/sandbox/faults", { cancelRetryFlag: true });
    const open = await h.api.signed("POST", "/v1/orders", { order_id: "sw-4", amount: "4.00", mode: "barcode", buyer_code: "280000000000000009" });
    expect(open.status).toBe(202);
    expect(open.body.status).toBe("pending");
    await clearFaults(h);
    h.clock.advance(5 * MINUTE);
    await h.service.sweep();
    expect((await h.api.get("/v1/orders/sw-4")).body).toMatchObject({ status: "failed", failure_code: "CANCELED" });
    await eventually("payment.failed", () => h.receiver.byType("payment.failed").find((e) => e.data.order_id === "sw-4"));
  });
});
