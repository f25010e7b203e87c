import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buyerPays, eventually, sandboxPost, sandboxTrades, startHarness, type Harness } from "./helpers";

async function paidQrOrder(h: Harness, orderId: string, amount: string) {
  const created = await h.api.signed("POST", "/v1/orders", { order_id: orderId, amount, mode: "qr" });
  expect(created.status).toBe(201);
  await buyerPays(h.sandbox, orderId);
  await eventually(`${orderId} paid`, async () => (await h.api.get(`/v1/orders/${orderId}`)).body.status === "paid");
}

const trade = async (h: Harness, outTradeNo: string) => (await sandboxTrades(h.sandbox)).find((t) => t.out_trade_no === outTradeNo);

describe("returns: partial refunds through refundReturn", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await paidQrOrder(h, "shop-2001", "100.00");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refunds part of a paid order, then another part, each with a signed refund.succeeded", async () => {
    const first = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-1", amount: "30.00", reason: "damaged" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ order_id: "shop-2001", return_id: "ret-1", amount: "30.00", status: "succeeded" });
    expect(first.body.partner_refund_id).toMatch(/^Rret-1-[0-9a-f]{32}$/);
    expect(first.body.order).toMatchObject({ refunded_amount: "30.00", refundable_amount: "70.00" });

    const second = await h.api.bearer("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-2", amount: 50 });
    expect(second.body).toMatchObject({ status: "succeeded", amount: "50.00" });

    const events = await eventually("two refund events", () =>
      h.receiver.byType("refund.succeeded").length === 2 ? h.receiver.byType("refund.succeeded") : undefined,
    );
    expect(events.map((e) => e.data.return_id).sort()).toEqual(["ret-1", "ret-2"]);
    expect(events.find((e) => e.data.return_id === "ret-1")!.data).toMatchObject({
      order_id: "shop-2001",
      amount: "30.00",
      currency: "HKD",
      status: "succeeded",
    });
    expect((await trade(h, "shop-2001")).refunded).toBe("80.00");
  });

  it("the same return again is the same refund, never a second one", async () => {
    const again = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-1", amount: "30.00" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ return_id: "ret-1", status: "succeeded" });
    const changed = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-1", amount: "31.00" });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toMatchObject({ code: "return_conflict" });
    expect((await trade(h, "shop-2001")).refunds).toHaveLength(2);
  });

  it("a refund above what is left is refused with 422 and changes nothing", async () => {
    const before = await h.api.get("/v1/orders/shop-2001");
    const response = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-3", amount: "20.01" });
    expect(response.status).toBe(422);
    const exceeds = "amount: expected at most 20.00 (what is left to refund of order shop-2001), got 20.01";
    expect(response.body).toEqual({ error: { code: "amount_exceeds_refundable", message: exceeds }, message: exceeds });
    expect((await h.api.get("/v1/orders/shop-2001")).body).toEqual(before.body);
    expect((await trade(h, "shop-2001")).refunds).toHaveLength(2);
    // The rest is still refundable.
    const rest = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2001", return_id: "ret-3", amount: "20.00" });
    expect(rest.body).toMatchObject({ status: "succeeded", order: { refunded_amount: "100.00", refundable_amount: "0.00" } });
  });

  it("an unpaid or unknown order cannot be refunded", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "shop-2002", amount: "10.00", mode: "qr" });
    const unpaid = await h.api.signed("POST", "/v1/returns", { order_id: "shop-2002", return_id: "r", amount: "1.00" });
    expect(unpaid.status).toBe(409);
    expect(unpaid.body.error.code).toBe("order_not_paid");
    const unknown = await h.api.signed("POST", "/v1/returns", { order_id: "nope", return_id: "r", amount: "1.00" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: "order_not_found", message: 'order_id: no order "nope"' }, message: 'order_id: no order "nope"' });
  });
});

describe("cancel through cancelOrder", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("an unpaid QR order is closed: payment.canceled, the QR can no longer be paid", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "c-1", amount: "15.00", mode: "qr" });
    const canceled = await h.api.signed("POST", "/v1/orders/c-1/cancel");
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: "canceled", reversed: false });
    expect((await trade(h, "c-1")).status).toBe("TRADE_CLOSED");
    const event = await eventually("payment.canceled", () => h.receiver.byType("payment.canceled").find((e) => e.data.order_id === "c-1"));
    expect(event.data).toMatchObject({ status: "canceled", reversed: false, reason: "canceled" });
    await expect(buyerPays(h.sandbox, "c-1")).rejects.toThrow();
    // Cancelling again is a no-op.
    const again = await h.api.signed("POST", "/v1/orders/c-1/cancel", {});
    expect(again.body.status).toBe("canceled");
    expect(h.receiver.byType("payment.canceled").filter((e) => e.data.order_id === "c-1")).toHaveLength(1);
  });

  it("a paid order is reversed on its day", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "c-2", amount: "42.00", mode: "barcode", buyer_code: "280000000000000001" });
    const canceled = await h.api.signed("POST", "/v1/orders/c-2/cancel");
    expect(canceled.body).toMatchObject({ status: "canceled", reversed: true });
    expect((await trade(h, "c-2")).close_reason).toBe("reversed");
    await eventually("payment.canceled (reversed)", () =>
      h.receiver.byType("payment.canceled").find((e) => e.data.order_id === "c-2" && e.data.reversed === true),
    );
  });

  it("a partly refunded order is refunded for the rest (refundFallback)", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "c-3", amount: "60.00", mode: "barcode", buyer_code: "280000000000000001" });
    await h.api.signed("POST", "/v1/returns", { order_id: "c-3", return_id: "r-1", amount: "10.00" });
    const canceled = await h.api.signed("POST", "/v1/orders/c-3/cancel");
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: "canceled", refunded_amount: "60.00" });
    expect(canceled.body.refunds.map((r: { return_id: string; amount: string }) => [r.return_id, r.amount])).toEqual([
      ["r-1", "10.00"],
      ["~cancel", "50.00"],
    ]);
    expect((await trade(h, "c-3")).refunded).toBe("60.00");
    await eventually("refund.succeeded for the rest", () =>
      h.receiver.byType("refund.succeeded").find((e) => e.data.order_id === "c-3" && e.data.amount === "50.00"),
    );
  });

  it("after the payment's day, a cancel refunds the whole amount", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "c-4", amount: "33.30", mode: "barcode", buyer_code: "280000000000000002" });
    await sandboxPost(h.sandbox, "/sandbox/clock", { advance: "25h" });
    const canceled = await h.api.signed("POST", "/v1/orders/c-4/cancel");
    expect(canceled.body).toMatchObject({ status: "canceled", reversed: false, refunded_amount: "33.30" });
    expect((await trade(h, "c-4")).refunded).toBe("33.30");
    const types = await eventually("refund and cancel events", () => {
      const seen = h.receiver.deliveries
        .filter((e) => e.data.order_id === "c-4")
        .map((e) => e.type)
        .sort();
      return seen.length === 3 ? seen : undefined;
    });
    expect(types).toEqual(["payment.canceled", "payment.succeeded", "refund.succeeded"]);
  });

  it("an unknown order cannot be cancelled", async () => {
    const response = await h.api.signed("POST", "/v1/orders/ghost/cancel");
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("order_not_found");
  });
});
