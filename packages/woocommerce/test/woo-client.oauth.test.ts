import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WooClient } from "../src/woo/client.js";
import { FakeWooCommerce, fixture } from "./fake-woocommerce/index.js";
import { clientFor } from "./helpers.js";

/**
 * Plain HTTP: `@woocommerce/woocommerce-rest-api` signs every request with OAuth 1.0a
 * (HMAC-SHA256, parameters in the query string), and the fake checks it with WooCommerce's own
 * server algorithm.
 */
let now = new Date();
let woo: FakeWooCommerce;
let client: WooClient;

beforeAll(async () => {
  woo = await FakeWooCommerce.start({ protocol: "http", now: () => now });
  client = clientFor(woo);
});
afterAll(async () => {
  await woo.close();
});

describe("OAuth 1.0a over plain HTTP", () => {
  it("signs GET, PUT and POST requests that WooCommerce's check accepts, including list parameters", async () => {
    const order = woo.shop.seedOrder();
    expect((await client.getOrder(order.id)).id).toBe(order.id);
    expect(woo.requests.at(-1)).toMatchObject({ auth: "oauth", status: 200 });
    const page = await client.listOrders({ status: ["pending", "failed"], include: [order.id], modifiedAfter: new Date(0).toISOString(), perPage: 5 });
    expect(page.items.map((o) => o.id)).toEqual([order.id]);
    const paid = await client.markPaid(order.id, { transactionId: "2021011922001456571412147507", meta: { alipayhk_trade_no: "x/y z&1" } });
    expect(paid.status).toBe("processing");
    const note = await client.addNote(order.id, "Paid: 100% via Alipay HK / 支付宝");
    expect(note.note).toBe("Paid: 100% via Alipay HK / 支付宝");
  });

  it("a wrong consumer secret gives the fixture's 401 Invalid signature", async () => {
    const expected = fixture("error.oauth-invalid-signature.401.json") as { code: string; message: string };
    const bad = clientFor(woo, { consumerSecret: "cs_not_the_right_secret_000000000000000000" });
    const err = await bad.getOrder(1).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: expected.code });
    expect((err as { detail: string }).detail).toBe(expected.message);
    expect(JSON.stringify(err)).not.toContain("cs_not_the_right");
  });

  it("a replayed request (same nonce) is refused", async () => {
    const order = woo.shop.seedOrder();
    await client.getOrder(order.id);
    const signed = woo.requests.at(-1)!;
    const replay = await fetch(`${woo.url}${signed.path}${signed.search}`);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ code: "woocommerce_rest_authentication_error", message: "Invalid nonce - nonce has already been used." });
  });

  it("a timestamp outside WooCommerce's 15-minute window is refused", async () => {
    const order = woo.shop.seedOrder();
    now = new Date(Date.now() + 20 * 60_000); // the shop's clock runs 20 minutes ahead of ours
    try {
      const err = await client.getOrder(order.id).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 401, code: "woocommerce_rest_authentication_error" });
      expect((err as { detail: string }).detail).toBe("Invalid timestamp.");
    } finally {
      now = new Date();
    }
  });

  it("Basic auth is not accepted without TLS", async () => {
    const res = await fetch(`${woo.url}/wp-json/wc/v3/orders`, {
      headers: { Authorization: `Basic ${Buffer.from(`${woo.key.consumerKey}:${woo.key.consumerSecret}`).toString("base64")}` },
    });
    expect(res.status).toBe(401);
    expect((await res.json()) as { code: string }).toMatchObject({ code: "woocommerce_rest_cannot_view" });
  });
});
