import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buyerPays, eventually, sandboxTrades, startHarness, type Harness } from "./helpers";

describe("QR orders end to end (sandbox over HTTP, SQLite)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("creates a QR order, the buyer pays, the platform receives a signed payment.succeeded", async () => {
    const created = await h.api.signed("POST", "/v1/orders", {
      order_id: "qr-1001",
      amount: "12.30",
      currency: "HKD",
      description: "Coffee beans",
      mode: "qr",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      order_id: "qr-1001",
      status: "pending",
      partner_trans_id: "qr-1001",
      amount: "12.30",
      qr_image_url: `${h.url}/v1/orders/qr-1001/qr.svg`,
    });
    expect(created.body.qr_code).toMatch(/^https:\/\/qr\.alipay\.com\//);
    expect(Date.parse(created.body.expires_at)).toBeGreaterThan(Date.now());

    const svg = await fetch(created.body.qr_image_url);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(await svg.text()).toMatch(/^<svg/);

    // The sandbox knows the trade under the same out_trade_no.
    const trade = (await sandboxTrades(h.sandbox)).find((t) => t.out_trade_no === "qr-1001");
    expect(trade).toBeDefined();

    await buyerPays(h.sandbox, "qr-1001", "ALIPAYCN");
    const event = await eventually("payment.succeeded", () => h.receiver.byType("payment.succeeded").find((e) => e.data.order_id === "qr-1001"));
    expect(event.data).toMatchObject({
      order_id: "qr-1001",
      partner_trans_id: "qr-1001",
      amount: "12.30",
      currency: "HKD",
      status: "paid",
      payment_inst: "ALIPAYCN",
    });
    expect(event.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(h.receiver.badSignatures).toBe(0);

    const order = await h.api.get("/v1/orders/qr-1001");
    expect(order.body).toMatchObject({ status: "paid", payment_inst: "ALIPAYCN", refunded_amount: "0.00", refundable_amount: "12.30", refunds: [] });
    expect(order.body.alipay_trans_id).toMatch(/^\d{28}$/);
  });

  it("the same order again keeps its trade: same partner_trans_id and QR code, no second trade", async () => {
    const first = await h.api.bearer("POST", "/v1/orders", { order_id: "qr-1002", amount: 50, mode: "qr" });
    const again = await h.api.bearer("POST", "/v1/orders", { order_id: "qr-1002", amount: 50, mode: "qr" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.partner_trans_id).toBe(first.body.partner_trans_id);
    expect(again.body.qr_code).toBe(first.body.qr_code);
    expect(first.body.amount).toBe("50.00");
    const trades = (await sandboxTrades(h.sandbox)).filter((t) => t.out_trade_no === "qr-1002");
    expect(trades).toHaveLength(1);
  });

  it("lists orders and events for the admin page", async () => {
    const orders = await h.api.get("/v1/orders?limit=1");
    expect(orders.status).toBe(200);
    expect(orders.body.data).toHaveLength(1);
    expect(orders.body.next_cursor).toEqual(expect.any(String));
    const next = await h.api.get(`/v1/orders?limit=1&cursor=${orders.body.next_cursor}`);
    expect(next.body.data[0].order_id).not.toBe(orders.body.data[0].order_id);

    const events = await h.api.get("/v1/events?order_id=qr-1001");
    expect(events.body.data).toHaveLength(1);
    const [event] = events.body.data;
    expect(event).toMatchObject({ type: "payment.succeeded", order_id: "qr-1001", payload: { type: "payment.succeeded", data: { order_id: "qr-1001" } } });
    await eventually("delivered", async () => (await h.api.get(`/v1/events/${event.id}`)).body.deliveries[0].status === "delivered");
  });

  it("serves health, metrics and the OpenAPI document", async () => {
    const health = await fetch(`${h.url}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok", store: "sqlite" });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('alipayhk_webhook_http_requests_total{route="/v1/orders",method="POST",status="201"}');
    expect(metrics).toContain("alipayhk_webhook_deliveries{status=");
    const openapi = (await (await fetch(`${h.url}/openapi.json`)).json()) as any;
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(["/v1/orders", "/v1/orders/{order_id}/cancel", "/v1/returns", "/v1/events/{event_id}/redeliver", "/alipay/notify"]),
    );
    expect(Object.keys(openapi.webhooks)).toEqual([
      "payment.succeeded",
      "payment.failed",
      "payment.canceled",
      "refund.succeeded",
      "refund.failed",
      "order.payment_mismatch",
      "order.late_charge",
    ]);
  });
});
