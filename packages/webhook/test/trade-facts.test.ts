/**
 * Issue 11, trusted trade facts: refunds keep and resend their full content, the sweep leaves a
 * refund to its live request, a later success corrects a failure, cancelled ids are watched for
 * late charges, and signed text / notify URLs / webhook ids are checked at the API edge.
 */
import { buildSignedNotification } from "@alipayhk/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateHostReason, publicOnlyLookup, type Resolver } from "../src/api/notify-url";
import { buyerPays, eventually, sandboxPost, sandboxTrades, startHarness, startReceiver, startSandbox, type Harness } from "./helpers";

const MINUTE = 60_000;
const trade = async (h: Harness, outTradeNo: string) => (await sandboxTrades(h.sandbox)).find((t) => t.out_trade_no === outTradeNo);
const clearFaults = (h: Harness) => fetch(`${h.sandbox.url}/sandbox/faults`, { method: "DELETE" });

async function paidQrOrder(h: Harness, orderId: string, amount: string) {
  expect((await h.api.signed("POST", "/v1/orders", { order_id: orderId, amount, mode: "qr" })).status).toBe(201);
  await buyerPays(h.sandbox, orderId);
  await eventually(`${orderId} paid`, async () => (await h.api.get(`/v1/orders/${orderId}`)).body.status === "paid");
}

describe("refunds: full content kept, resent identically, never raced, corrected", () => {
  let h: Harness;
  beforeAll(async () => {
    // A 30 s gateway timeout: a live refund may run 3 × 30 s + backoff, longer than the 60 s sweep period.
    const sandbox = await startSandbox({ notifyTimeScale: 0.001, barcodeWaitMs: 300 });
    h = await startHarness({
      sandboxInstance: sandbox,
      service: { alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl, timeoutMs: 30_000 } },
    });
  });
  afterAll(async () => {
    await h?.close();
    await h?.sandbox.close();
  });

  it("a refund whose replies are lost stays pending with its reason; the sweep resends the same content and it succeeds once", async () => {
    await paidQrOrder(h, "rf-1", "40.00");
    // Alipay executes every attempt (same partner_refund_id) but no reply arrives.
    await sandboxPost(h.sandbox, "/sandbox/faults", { dropReplyAfterCommit: true, service: "alipay.acquire.overseas.spot.refund" });
    const pending = await h.api.signed("POST", "/v1/returns", { order_id: "rf-1", return_id: "ret-1", amount: "15.00", reason: "damaged box" });
    expect(pending.status).toBe(201);
    expect(pending.body).toMatchObject({ status: "pending", reason: "damaged box" });
    expect(h.receiver.byType("refund.failed")).toHaveLength(0);
    await clearFaults(h);
    h.clock.advance(MINUTE + 1_000);
    const events = await h.service.sweep();
    // Had the sweep sent another reason, the gateway would answer CONTEXT_INCONSISTENT and it would stay pending.
    expect(events).toContainEqual(expect.objectContaining({ type: "refund.succeeded", platformRefundId: "ret-1", source: "sweep" }));
    const order = (await h.api.get("/v1/orders/rf-1")).body;
    expect(order.refunds).toEqual([expect.objectContaining({ return_id: "ret-1", status: "succeeded", reason: "damaged box" })]);
    const refunds = (await trade(h, "rf-1")).refunds;
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ refund_amount: "15.00", status: "SUCCESS" });
  });

  it("the sweep does not take a refund while its live request may still be running", async () => {
    await paidQrOrder(h, "rf-2", "20.00");
    // The gateway is slow: the live request is still waiting for its reply.
    await sandboxPost(h.sandbox, "/sandbox/faults", { latencyMs: 1_500, service: "alipay.acquire.overseas.spot.refund", once: true });
    const live = h.api.signed("POST", "/v1/returns", { order_id: "rf-2", return_id: "ret-2", amount: "5.00", reason: "slow" });
    await eventually("refund reserved", async () => (await h.api.get("/v1/orders/rf-2")).body.refunds.length === 1);
    // More than the sweep period passes on the service's clock, less than the live request's budget.
    h.clock.advance(MINUTE + 1_000);
    const events = await h.service.sweep();
    expect(events.filter((e) => e.partnerTransId === "rf-2")).toEqual([]);
    expect((await live).body).toMatchObject({ status: "succeeded", reason: "slow" });
    expect((await trade(h, "rf-2")).refunds).toHaveLength(1);
  });

  it("a refund reported failed that went through after all becomes succeeded, with a correcting refund.succeeded", async () => {
    await paidQrOrder(h, "rf-3", "30.00");
    // Past the refund period on the Alipay side: the refund is refused (REFUNDMENT_VALID_DATE_EXCEED).
    await sandboxPost(h.sandbox, "/sandbox/clock", { advance: "400d" });
    const failed = await h.api.signed("POST", "/v1/returns", { order_id: "rf-3", return_id: "ret-3", amount: "10.00", reason: "late" });
    expect(failed.body).toMatchObject({ status: "failed", code: "REFUNDMENT_VALID_DATE_EXCEED" });
    await eventually("refund.failed", () => h.receiver.byType("refund.failed").find((e) => e.data.return_id === "ret-3"));
    await sandboxPost(h.sandbox, "/sandbox/clock", { set: new Date().toISOString() });
    // Alipay then reports the refund successful; the notification is confirmed by resending the stored request.
    const body = buildSignedNotification(
      {
        notify_time: "2026-12-01 12:00:00",
        notify_type: "trade_status_sync",
        notify_id: "refund-n-1",
        out_trade_no: "rf-3",
        partner_trans_id: "rf-3",
        partner_refund_id: failed.body.partner_refund_id,
        refund_amount: "10.00",
        currency: "HKD",
        refund_status: "REFUND_SUCCESS",
      },
      { signType: "MD5", md5Key: h.sandbox.md5Key },
    );
    const answer = await fetch(`${h.url}/alipay/notify`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(await answer.text()).toBe("success");
    const order = (await h.api.get("/v1/orders/rf-3")).body;
    expect(order.refunds).toEqual([expect.objectContaining({ return_id: "ret-3", status: "succeeded", reason: "late" })]);
    const corrected = await eventually("correcting refund.succeeded", () => h.receiver.byType("refund.succeeded").find((e) => e.data.return_id === "ret-3"));
    expect(corrected.data).toMatchObject({ status: "succeeded", corrects: "refund.failed", amount: "10.00", reason: "late" });
    expect((await trade(h, "rf-3")).refunds).toHaveLength(1);
  });
});

describe("late charges: a barcode id cancelled before the gateway knew it is watched", () => {
  let h: Harness;
  beforeAll(async () => {
    const sandbox = await startSandbox({ notifyTimeScale: 0.001, barcodeWaitMs: 300 });
    h = await startHarness({
      sandboxInstance: sandbox,
      service: {
        alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl, timeoutMs: 1_000 },
        barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 300, cancelRetryMs: 50 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await h?.sandbox.close();
  });

  it("the delayed charge is found by the sweep, given back and reported; a retry under a new id still pays", async () => {
    // The charge request reaches the gateway only after the client gave up, queried and cancelled.
    await sandboxPost(h.sandbox, "/sandbox/faults", { latencyMs: 2_500, service: "alipay.acquire.overseas.spot.pay", once: true });
    const first = await h.api.signed("POST", "/v1/orders", { order_id: "lc-1", amount: "7.00", mode: "barcode", buyer_code: "280000000000000001" });
    expect(first.body).toMatchObject({ status: "failed", failure_code: "CANCELED", partner_trans_id: "lc-1" });
    const watches = await h.service.store.watchesOf("lc-1");
    expect(watches).toEqual([expect.objectContaining({ partnerTransId: "lc-1", orderId: "lc-1", amount: 700 })]);
    expect(watches[0]!.until).toBeGreaterThan(h.clock.now().getTime());
    // The delayed request lands: money under the cancelled id.
    await eventually("late charge at the gateway", async () => (await trade(h, "lc-1"))?.status === "TRADE_SUCCESS", 10_000);

    // The cashier retries: a fresh id, paid.
    const retry = await h.api.signed("POST", "/v1/orders", { order_id: "lc-1", amount: "7.00", mode: "barcode", buyer_code: "280000000000000001" });
    expect(retry.body).toMatchObject({ status: "paid", partner_trans_id: "lc-1:2", attempt: 2 });

    h.clock.advance(MINUTE + 1_000);
    const events = await h.service.sweep();
    expect(events).toContainEqual(expect.objectContaining({ type: "late_charge.found", partnerTransId: "lc-1", resolution: "reversed" }));
    expect((await trade(h, "lc-1")).close_reason).toBe("reversed");
    const late = await eventually("order.late_charge", () => h.receiver.byType("order.late_charge").find((e) => e.data.order_id === "lc-1"));
    expect(late.data).toMatchObject({ partner_trans_id: "lc-1", order_partner_trans_id: "lc-1:2", amount: "7.00", resolution: "reversed" });
    expect(await h.service.store.watchesOf("lc-1")).toEqual([]);
    // The order itself is the retry's: paid once.
    expect((await h.api.get("/v1/orders/lc-1")).body).toMatchObject({ status: "paid", partner_trans_id: "lc-1:2" });
  });

  it("a watched id that stays empty leaves the watch when its time is over", async () => {
    await sandboxPost(h.sandbox, "/sandbox/faults", { httpStatus: 502, service: "alipay.acquire.overseas.spot.pay", once: true });
    const order = await h.api.signed("POST", "/v1/orders", { order_id: "lc-2", amount: "3.00", mode: "barcode", buyer_code: "280000000000000001" });
    expect(order.body).toMatchObject({ status: "failed", failure_code: "CANCELED" });
    expect(await h.service.store.watchesOf("lc-2")).toHaveLength(1);
    h.clock.advance(10 * MINUTE);
    const events = await h.service.sweep();
    expect(events).toContainEqual(expect.objectContaining({ type: "watch.ended", partnerTransId: "lc-2" }));
    expect(await h.service.store.watchesOf("lc-2")).toEqual([]);
  });
});

describe("the API edge: signed text, notify URLs, webhook-id", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a description or refund reason with & or = is refused with 400 naming the field, and nothing is created", async () => {
    const order = await h.api.signed("POST", "/v1/orders", { order_id: "txt-1", amount: "5.00", mode: "qr", description: "Tea & cakes" });
    expect(order.status).toBe(400);
    expect(order.body.error).toEqual({ code: "invalid_request", message: expect.stringMatching(/^description: must not contain "&" or "="/) });
    expect((await h.api.get("/v1/orders/txt-1")).status).toBe(404);
    expect(await trade(h, "txt-1")).toBeUndefined();
    const reason = await h.api.signed("POST", "/v1/returns", { order_id: "txt-1", return_id: "r", amount: "1.00", reason: "x=1" });
    expect(reason.status).toBe(400);
    expect(reason.body.error.message).toMatch(/^reason: must not contain "&" or "="/);
  });

  it("per-order notify URLs on loopback, private, link-local or unique-local hosts are refused", async () => {
    const hosts = [
      "http://localhost:8080/x",
      "http://127.0.0.1/x",
      "http://0.0.0.0/x",
      "http://10.1.2.3/x",
      "http://172.16.0.1/x",
      "http://192.168.1.1/x",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/x",
      "http://[fc00::1]/x",
      "http://[fd12:3456::1]/x",
      "http://[fe80::1]/x",
      "http://[::ffff:127.0.0.1]/x",
      "http://[::ffff:10.0.0.1]/x",
      "http://2130706433/x",
    ];
    for (const [i, notify] of hosts.entries()) {
      const response = await h.api.signed("POST", "/v1/orders", { order_id: `nu-${i}`, amount: "1.00", mode: "qr", notify });
      expect([notify, response.status]).toEqual([notify, 400]);
      expect(response.body.error.message).toMatch(/^notify: expected a URL on a public host, got /);
    }
    expect((await h.api.get("/v1/orders?limit=200")).body.data.filter((o: { order_id: string }) => o.order_id.startsWith("nu-"))).toEqual([]);
    // Public addresses and DNS names pass the check.
    for (const host of ["93.184.216.34", "[2606:2800:220:1::1]", "hooks.example.com", "[::ffff:93.184.216.34]"])
      expect([host, privateHostReason(host)]).toEqual([host, undefined]);
  });

  it("a per-order notify URL whose name resolves to a private address is never connected to", async () => {
    // As if a DNS name had passed the API check and then resolved to this machine: the order is
    // stored directly with a `localhost` URL (the API refuses that name itself).
    const internal = await startReceiver(h.endpointSecret);
    const port = new URL(internal.url).port;
    try {
      const now = h.clock.now().getTime();
      await h.service.store.reserveOrder(
        { orderId: "dns-1", mode: "qr", amount: 100, currency: "HKD", description: "Order dns-1", notifyUrl: `http://localhost:${port}/hooks` },
        now,
        now + MINUTE,
        now + 15 * MINUTE,
      );
      await h.service.store.markCanceled("dns-1", { reason: "canceled", reversed: false, from: ["pending"] }, now);
      const event = (await h.api.get("/v1/events?order_id=dns-1")).body.data[0];
      const blocked = await eventually("the private delivery refused", async () => {
        const deliveries = (await h.api.get(`/v1/events/${event.id}`)).body.deliveries as Array<{ endpoint: string; last_error?: string; status: string }>;
        return deliveries.find((d) => d.endpoint.includes("localhost") && d.last_error === "EPRIVATEADDRESS");
      });
      expect(blocked).toBeDefined();
      // The operator's configured endpoint (also on this machine) is trusted and got it.
      await eventually("configured endpoint delivered", () => h.receiver.byType("payment.canceled").find((e) => e.data.order_id === "dns-1"));
      expect(internal.deliveries).toEqual([]);
    } finally {
      await internal.close();
    }
    // The resolver's answer decides, on every connection.
    const answering =
      (address: string, family: number): Resolver =>
      (_host, _options, callback) =>
        callback(null, [{ address, family }]);
    const look = (resolver: Resolver, all: boolean) =>
      new Promise<{ error?: NodeJS.ErrnoException; address?: unknown }>((resolve) =>
        publicOnlyLookup(resolver)(
          "hooks.example.com",
          { all } as never,
          ((error: NodeJS.ErrnoException | null, address: unknown) => resolve({ error: error ?? undefined, address })) as never,
        ),
      );
    for (const [address, family] of [
      ["10.0.0.7", 4],
      ["fd00::7", 6],
      ["::ffff:169.254.169.254", 6],
    ] as const) {
      expect((await look(answering(address, family), true)).error?.code).toBe("EPRIVATEADDRESS");
    }
    expect(await look(answering("93.184.216.34", 4), false)).toEqual({ error: undefined, address: "93.184.216.34" });
    expect(await look(answering("93.184.216.34", 4), true)).toEqual({ error: undefined, address: [{ address: "93.184.216.34", family: 4 }] });
  });

  it("a webhook-id longer than 255 characters is refused like an Idempotency-Key", async () => {
    const response = await h.api.signed("POST", "/v1/orders", { order_id: "wid-1", amount: "1.00", mode: "qr" }, { id: `msg_${"x".repeat(252)}` });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: "invalid_webhook_id", message: "webhook-id: expected 1 to 255 characters" },
      message: "webhook-id: expected 1 to 255 characters",
    });
    expect((await h.api.get("/v1/orders/wid-1")).status).toBe(404);
    const ok = await h.api.signed("POST", "/v1/orders", { order_id: "wid-1", amount: "1.00", mode: "qr" }, { id: `msg_${"x".repeat(251)}` });
    expect(ok.status).toBe(201);
  });
});
