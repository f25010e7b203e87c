import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETRY_LADDER_MS } from "../src/index";
import { buyerPays, eventually, startHarness, startReceiver, type Harness, type Receiver } from "./helpers";

describe("outbound events: signed, retried with the same id, dead-lettered, redeliverable", () => {
  let h: Harness;
  let endpoint: Receiver;
  let perOrder: Receiver;
  const attempts = new Map<string, number>();
  beforeAll(async () => {
    // A short ladder (4 attempts, real milliseconds) for the dead-letter case.
    // The per-order endpoint listens on 127.0.0.1: allowed here by the service option.
    h = await startHarness({ service: { allowPrivateNotifyUrls: true }, webhooks: { ladderMs: [0, 20, 40, 80], timeScale: 1, pollIntervalMs: 20 } });
    endpoint = h.receiver;
    perOrder = await startReceiver(h.endpointSecret);
  });
  afterAll(async () => {
    await h?.close();
    await perOrder?.close();
  });
  it("the default ladder is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(DEFAULT_RETRY_LADDER_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it("a failing endpoint gets the same event id on every retry until it answers 2xx", async () => {
    endpoint.respond = (event) => {
      const n = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, n);
      return n < 3 ? 500 : 200;
    };
    await h.api.signed("POST", "/v1/orders", { order_id: "ob-1", amount: "1.00", mode: "qr" });
    await buyerPays(h.sandbox, "ob-1");
    const event = await eventually("delivered on the third attempt", () => endpoint.byType("payment.succeeded").find((e) => e.data.order_id === "ob-1"));
    expect(attempts.get(event.id)).toBe(3);
    expect(endpoint.badSignatures).toBe(0);
    const view = await eventually("recorded as delivered", async () => {
      const body = (await h.api.get(`/v1/events/${event.id}`)).body;
      return body.deliveries[0].status === "delivered" ? body : undefined;
    });
    expect(view.deliveries).toEqual([expect.objectContaining({ endpoint: endpoint.url, status: "delivered", attempts: 3, last_status: 200 })]);
  });

  it("after the ladder the delivery is dead; redelivery by the API sends it again with the same id", async () => {
    endpoint.respond = () => 503;
    await h.api.signed("POST", "/v1/orders", { order_id: "ob-2", amount: "2.00", mode: "qr" });
    await buyerPays(h.sandbox, "ob-2");
    const dead = await eventually("dead-lettered", async () => (await h.api.get("/v1/events?status=dead")).body.data.find((e: any) => e.order_id === "ob-2"));
    expect(dead.deliveries[0]).toMatchObject({ status: "dead", attempts: 4, last_status: 503, last_error: "HTTP 503" });

    endpoint.respond = () => 204;
    const redelivered = await h.api.signed("POST", `/v1/events/${dead.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    const received = await eventually("redelivered", () => endpoint.deliveries.find((e) => e.id === dead.id));
    expect(received.data).toMatchObject({ order_id: "ob-2", status: "paid" });
    await eventually("marked delivered", async () => (await h.api.get(`/v1/events/${dead.id}`)).body.deliveries[0].status === "delivered");
    expect((await h.api.signed("POST", "/v1/events/evt_nope/redeliver")).status).toBe(404);
  });

  it("an order's own notify endpoint receives its events too", async () => {
    await h.api.signed("POST", "/v1/orders", { order_id: "ob-3", amount: "3.00", mode: "barcode", buyer_code: "280000000000000001", notify: perOrder.url });
    const event = await eventually("per-order endpoint", () => perOrder.byType("payment.succeeded").find((e) => e.data.order_id === "ob-3"));
    expect(endpoint.deliveries.some((e) => e.id === event.id)).toBe(true);
    expect(perOrder.badSignatures).toBe(0);
  });
});
