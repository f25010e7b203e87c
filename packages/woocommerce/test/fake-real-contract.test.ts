import { readFileSync } from "node:fs";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWooCommerce } from "./fake-woocommerce/index.js";

/** The contract fake answers as the real WooCommerce did (fixtures/woocommerce-real). */
const real = (path: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/woocommerce-real/${path}`, import.meta.url), "utf8")) as { status: number; body: unknown };

let woo: FakeWooCommerce;
beforeAll(async () => {
  woo = await FakeWooCommerce.start({ protocol: "https" });
});
afterAll(async () => {
  await woo?.close();
});

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, woo.url);
    const req = request(
      u,
      {
        method,
        ca: woo.caPem,
        headers: {
          authorization: `Basic ${Buffer.from(`${woo.key.consumerKey}:${woo.key.consumerSecret}`).toString("base64")}`,
          "content-type": "application/json",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("refund answers, as WooCommerce 9.4.3 gave them", () => {
  it("an id that is no refund: 404 woocommerce_rest_shop_order_refund_invalid_id", async () => {
    const order = woo.shop.seedOrder({ status: "processing" });
    const want = real("wc-9.4.3/error.refund-unknown-id.404.json");
    expect(await call("GET", `/wp-json/wc/v3/orders/${order.id}/refunds/999999`)).toEqual({ status: want.status, body: want.body });
  });

  it("a refund of another order: HTTP 500 with data 404", async () => {
    const a = woo.shop.seedOrder({ status: "processing", total: "20.00" });
    const b = woo.shop.seedOrder({ status: "processing" });
    const refund = await woo.shop.createRefund(a.id, { amount: "1.00", apiRefund: false });
    const want = real("wc-9.4.3/error.refund-of-another-order.404.json");
    expect(await call("GET", `/wp-json/wc/v3/orders/${b.id}/refunds/${refund.id}`)).toEqual({ status: want.status, body: want.body });
  });

  it("an over-refund and a refund on an unknown order, as 7.8.2 answered", async () => {
    const order = woo.shop.seedOrder({ status: "processing", total: "10.00" });
    const over = real("wc-7.8.2/error.refund-invalid-amount.500.json");
    expect(await call("POST", `/wp-json/wc/v3/orders/${order.id}/refunds`, { amount: "99.00", api_refund: false })).toEqual({
      status: over.status,
      body: over.body,
    });
    const unknown = real("wc-7.8.2/error.refund-invalid-order-id.500.json");
    expect(await call("POST", "/wp-json/wc/v3/orders/999999/refunds", { amount: "1.00" })).toEqual({ status: unknown.status, body: unknown.body });
  });

  it("a refund made through the gateway carries refunded_payment true and the fields the real one has", async () => {
    const want = real("wc-9.4.3/refund.create.via-gateway.201.json") as { body: Record<string, unknown> };
    const order = woo.shop.seedOrder({ status: "processing", total: "12.30" });
    const got = await call("POST", `/wp-json/wc/v3/orders/${order.id}/refunds`, { amount: "2.30", api_refund: false });
    expect(got.status).toBe(201);
    for (const key of ["id", "date_created", "date_created_gmt", "amount", "reason", "refunded_by", "refunded_payment", "meta_data", "line_items"]) {
      expect(Object.keys(want.body)).toContain(key);
      expect(Object.keys(got.body as object)).toContain(key);
    }
  });
});

describe("webhooks to a refused port, as WooCommerce 9.4.3 kept them", () => {
  it("POST /webhooks answers 201, the ping never goes out (pending_delivery stays), refused deliveries count as failures", async () => {
    const table = JSON.parse(readFileSync(new URL("./fixtures/woocommerce-real/wc-9.4.3/webhooks.table.refused-port-8787.json", import.meta.url), "utf8")) as {
      rows: Array<{ delivery_url: string; status: string; failure_count: string; pending_delivery: string }>;
    };
    const refusedReal = table.rows.filter((r) => r.delivery_url.includes(":8787/"));
    expect(refusedReal.every((r) => r.status === "active" && r.pending_delivery === "1")).toBe(true);
    expect(refusedReal.some((r) => Number(r.failure_count) > 0)).toBe(true);

    const created = await call("POST", "/wp-json/wc/v3/webhooks", {
      name: "x",
      topic: "order.updated",
      delivery_url: "http://127.0.0.1:8787/woocommerce/webhook",
      secret: "s",
    });
    expect(created.status).toBe(201);
    const hook = woo.webhooks.webhooks.get((created.body as { id: number }).id)!;
    await woo.webhooks.flush();
    const order = woo.shop.seedOrder();
    await call("PUT", `/wp-json/wc/v3/orders/${order.id}`, { status: "on-hold" });
    await woo.webhooks.flush();
    expect(hook.status).toBe("active");
    expect(hook.pendingDelivery).toBe(true);
    expect(hook.failureCount).toBe(1);
    expect(woo.webhooks.pings.filter((p) => p.webhookId === hook.id)).toEqual([{ webhookId: hook.id, status: 0, ok: false, refused: true }]);
  });
});

describe("the Store API checkout (the Checkout block), as WooCommerce 9.4.3 ran it", () => {
  it("starts as checkout-draft with order.created; a Hong Kong address without a region is refused as the real one was; placing it follows process_payment's redirect", async () => {
    const d = woo.shop.storeApiDraft({ total: "12.30" });
    expect(d.status).toBe("checkout-draft");
    expect(d.createdVia).toBe("store-api");
    const address = {
      first_name: "Chan",
      last_name: "Tai Man",
      address_1: "1 Queen's Road Central",
      city: "Central",
      country: "HK",
      email: "buyer@example.com",
    };
    const redirectOf = (o: { id: number; orderKey: string }) => ({ result: "success" as const, redirect: `http://127.0.0.1:80/pay/${o.id}?key=${o.orderKey}` });

    const refused = woo.shop.storeApiCheckout(d.id, { billingAddress: address, paymentMethod: "alipayhk", processPayment: redirectOf });
    const wantRefused = real("wc-9.4.3/store-api.checkout.hk-without-state.400.json");
    expect(refused).toEqual({ status: wantRefused.status, body: wantRefused.body });
    expect(woo.shop.orders.get(d.id)!.status).toBe("checkout-draft");

    const placed = woo.shop.storeApiCheckout(d.id, {
      billingAddress: { ...address, state: "HONG KONG" },
      paymentMethod: "alipayhk",
      processPayment: redirectOf,
    });
    const wantPlaced = real("wc-9.4.3/store-api.checkout.alipayhk.200.json") as {
      status: number;
      body: { status: string; payment_method: string; payment_result: { payment_status: string; redirect_url: string } };
    };
    expect(placed.status).toBe(wantPlaced.status);
    expect(placed.body).toMatchObject({ status: wantPlaced.body.status, payment_method: wantPlaced.body.payment_method });
    const result = placed.body.payment_result as { payment_status: string; redirect_url: string; payment_details: unknown };
    expect(result.payment_status).toBe(wantPlaced.body.payment_result.payment_status);
    expect(result.redirect_url).toMatch(/^http:\/\/127\.0\.0\.1:80\/pay\/\d+\?key=wc_order_/);
    expect(wantPlaced.body.payment_result.redirect_url).toMatch(/^http:\/\/127\.0\.0\.1:80\/pay\/\d+\?key=wc_order_/);
    expect(Object.keys(result).sort()).toEqual(Object.keys(wantPlaced.body.payment_result).sort());
  });
});
