import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, sandboxPost, sandboxTrades, startHarness, type Harness } from "./helpers";

/** Each magic buyer code of the sandbox, and what the POS must be told. */
const OUTCOMES = [
  { code: "280000000000000001", what: "paid (AlipayHK)", status: "paid", event: "payment.succeeded", data: { payment_inst: "ALIPAYHK" } },
  { code: "280000000000000002", what: "paid (Alipay CN)", status: "paid", event: "payment.succeeded", data: { payment_inst: "ALIPAYCN" } },
  { code: "280000000000000003", what: "declined: balance", status: "failed", event: "payment.failed", data: { code: "BUYER_BALANCE_NOT_ENOUGH" } },
  { code: "280000000000000004", what: "declined: wallet", status: "failed", event: "payment.failed", data: { code: "NOT_SUPPORT_PAYMENT_INST" } },
  { code: "280000000000000005", what: "user paying, then paid", status: "paid", event: "payment.succeeded", data: {} },
  { code: "280000000000000006", what: "unknown but charged", status: "paid", event: "payment.succeeded", data: {} },
  { code: "280000000000000007", what: "unknown, not charged", status: "failed", event: "payment.failed", data: { code: "CANCELED" } },
  { code: "280000000000000008", what: "no reply, charged", status: "paid", event: "payment.succeeded", data: {} },
  { code: "280000000000000009", what: "unknown, cancel retried", status: "failed", event: "payment.failed", data: { code: "CANCELED" } },
  { code: "280000000000000010", what: "buyer never confirms", status: "failed", event: "payment.failed", data: { code: "CANCELED" } },
] as const;

describe("barcode orders: every magic outcome through core's recovery flow", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(OUTCOMES)("$code: $what → $status", async ({ code, status, event, data }) => {
    const orderId = `pos-${code.slice(-2)}`;
    const response = await h.api.signed("POST", "/v1/orders", {
      order_id: orderId,
      amount: "88.00",
      mode: "barcode",
      buyer_code: code,
      description: "Lunch set",
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ order_id: orderId, mode: "barcode", status, partner_trans_id: orderId, amount: "88.00" });
    expect(response.body.qr_code).toBeUndefined();
    const received = await eventually(event, () => h.receiver.byType(event).find((e) => e.data.order_id === orderId));
    expect(received.data).toMatchObject({ order_id: orderId, partner_trans_id: orderId, status, ...data });
    // One event per outcome: nothing contradicting it.
    expect(h.receiver.deliveries.filter((e) => e.data.order_id === orderId).map((e) => e.type)).toEqual([event]);
  });

  it("a retry after a failed charge uses a fresh trade id; a paid order is never charged twice", async () => {
    const declined = await h.api.signed("POST", "/v1/orders", { order_id: "pos-retry", amount: "20.00", mode: "barcode", buyer_code: "280000000000000003" });
    expect(declined.body).toMatchObject({ status: "failed", partner_trans_id: "pos-retry", attempt: 1, failure_code: "BUYER_BALANCE_NOT_ENOUGH" });
    const paid = await h.api.signed("POST", "/v1/orders", { order_id: "pos-retry", amount: "20.00", mode: "barcode", buyer_code: "280000000000000001" });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: "paid", partner_trans_id: "pos-retry:2", attempt: 2 });
    const again = await h.api.signed("POST", "/v1/orders", { order_id: "pos-retry", amount: "20.00", mode: "barcode", buyer_code: "280000000000000001" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "paid", partner_trans_id: "pos-retry:2" });
    const trades = (await sandboxTrades(h.sandbox)).filter((t) => JSON.stringify(t).includes("pos-retry"));
    expect(trades).toHaveLength(2);
  });
});

describe("barcode: the buyer confirms in the wallet while the POS waits", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ service: { barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 20_000 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("USER_PAYING → the buyer pays on the wallet page → paid", async () => {
    const pending = h.api.signed("POST", "/v1/orders", { order_id: "pos-wait", amount: "9.90", mode: "barcode", buyer_code: "280000000000000010" });
    await eventually("the trade at the sandbox", async () => (await sandboxTrades(h.sandbox)).some((t) => JSON.stringify(t).includes('"pos-wait"')));
    await sandboxPost(h.sandbox, "/sandbox/trades/pos-wait/pay", { wallet: "ALIPAYHK" });
    const response = await pending;
    expect(response.body).toMatchObject({ status: "paid", partner_trans_id: "pos-wait" });
    await eventually("payment.succeeded", () => h.receiver.byType("payment.succeeded").find((e) => e.data.order_id === "pos-wait"));
  });
});
