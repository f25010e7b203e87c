import { Agent, request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WooClient } from "../src/woo/client.js";
import { WooError } from "../src/woo/errors.js";
import { WooCommerceRestApiCtor } from "../src/woo/rest-api.js";
import { asOrder } from "../src/woo/shapes.js";
import { FakeWooCommerce, fixture } from "./fake-woocommerce/index.js";
import { clientFor } from "./helpers.js";

/**
 * The wrapped client through the real `@woocommerce/woocommerce-rest-api` 1.0.2 over HTTPS (Basic
 * auth, certificate checked against a throwaway CA), against the REST v3 contract fake.
 */
let woo: FakeWooCommerce;
let client: WooClient;

beforeAll(async () => {
  woo = await FakeWooCommerce.start({
    protocol: "https",
    keys: [
      { consumerKey: "ck_rw0000000000000000000000000000000000001", consumerSecret: "cs_rw0000000000000000000000000000000000001", permissions: "read_write" },
      { consumerKey: "ck_ro0000000000000000000000000000000000002", consumerSecret: "cs_ro0000000000000000000000000000000000002", permissions: "read" },
    ],
  });
  client = clientFor(woo);
});
afterAll(async () => {
  await woo.close();
});

describe("orders over HTTPS with Basic auth", () => {
  it("reads an order as typed, shape-checked data, with money as 2-dp strings", async () => {
    const seeded = woo.shop.seedOrder({ total: "88.50" });
    const order = await client.getOrder(seeded.id);
    expect(order).toMatchObject({ id: seeded.id, status: "pending", currency: "HKD", total: "88.50", payment_method: "alipayhk", transaction_id: "" });
    expect(order.order_key).toMatch(/^wc_order_/);
    expect(order.date_paid_gmt).toBeNull();
    expect(order.payment_url).toContain(`order-pay/${seeded.id}/`);
    expect(woo.requests.at(-1)).toMatchObject({ method: "GET", auth: "basic", status: 200 });
  });

  it("keeps every key of the docs' order example (fixture) and adds the newer ones", async () => {
    const seeded = woo.shop.seedOrder();
    const order = await client.getOrder(seeded.id);
    for (const key of Object.keys(fixture("order.retrieve.response.json"))) expect(order).toHaveProperty(key);
    expect(order).toHaveProperty("needs_payment", true);
  });

  it("maps an unknown order to WooCommerce's 404 error (fixture error.invalid-order-id.404.json)", async () => {
    const expected = fixture<{ code: string; message: string }>("error.invalid-order-id.404.json");
    const err = await client.getOrder(999_999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WooError);
    expect(err).toMatchObject({ status: 404, code: expected.code, request: "GET orders/999999" });
    expect((err as WooError).detail).toBe(expected.message);
  });

  it("answers a wrong path with rest_no_route (fixture error.wp-rest-no-route.404.json)", async () => {
    const api = new WooCommerceRestApiCtor({ url: woo.url, ...woo.key, axiosConfig: { httpsAgent: new Agent({ ca: woo.caPem }) } });
    const err = (await api.get("ordersz").catch((e: unknown) => e)) as { response: { status: number; data: unknown } };
    expect(err.response.status).toBe(404);
    expect(err.response.data).toEqual(fixture("error.wp-rest-no-route.404.json"));
  });

  it("honours dp: money strings with the requested decimals", async () => {
    const seeded = woo.shop.seedOrder({ total: "12.30" });
    const api = new WooCommerceRestApiCtor({ url: woo.url, ...woo.key, axiosConfig: { httpsAgent: new Agent({ ca: woo.caPem }) } });
    const res = await api.get(`orders/${seeded.id}`, { dp: "3" });
    expect(res.data.total).toBe("12.300");
  });
});

describe("set_paid as WooCommerce applies it", () => {
  it("completes a pending order: processing, date_paid, transaction_id and meta", async () => {
    const seeded = woo.shop.seedOrder();
    const order = await client.markPaid(seeded.id, {
      transactionId: "2021011922001456571412147507",
      meta: { alipayhk_trade_no: "2021011922001456571412147507" },
    });
    expect(order.status).toBe("processing");
    expect(order.transaction_id).toBe("2021011922001456571412147507");
    expect(order.date_paid_gmt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(order.meta_data).toContainEqual(expect.objectContaining({ key: "alipayhk_trade_no", value: "2021011922001456571412147507" }));
    expect(order.needs_payment).toBe(false);
  });

  it("completes a virtual, downloadable order straight to completed", async () => {
    const seeded = woo.shop.seedOrder({ virtual: true });
    expect((await client.markPaid(seeded.id, { transactionId: "T1" })).status).toBe("completed");
  });

  it("completes a failed order (a retry after a failed attempt)", async () => {
    const seeded = woo.shop.seedOrder({ status: "failed" });
    expect((await client.markPaid(seeded.id, { transactionId: "T2" })).status).toBe("processing");
  });

  it.each(["cancelled", "on-hold", "processing", "refunded"])("ignores set_paid on a %s order and still answers 200", async (status) => {
    const seeded = woo.shop.seedOrder({ status });
    const order = await client.markPaid(seeded.id, { transactionId: "LATE-1" });
    expect(order.status).toBe(status);
    expect(order.date_paid_gmt).toBeNull();
    // transaction_id is a plain prop: written even though the payment was not recorded.
    expect(order.transaction_id).toBe("LATE-1");
    expect(woo.requests.at(-1)).toMatchObject({ method: "PUT", status: 200 });
  });

  it("ignores set_paid on a pending order whose total is 0", async () => {
    const seeded = woo.shop.seedOrder({ total: "0.00" });
    const order = await client.markPaid(seeded.id, { transactionId: "ZERO" });
    expect(order.status).toBe("pending");
    expect(order.date_paid_gmt).toBeNull();
  });

  it("rejects a status outside the enum with 400 rest_invalid_param", async () => {
    const seeded = woo.shop.seedOrder();
    const err = await client.updateOrder(seeded.id, { status: "paid" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: "rest_invalid_param" });
    expect((err as WooError).detail).toBe("Invalid parameter(s): status");
  });

  it("writes internal notes, and WooCommerce's own status-change notes appear", async () => {
    const seeded = woo.shop.seedOrder();
    await client.setStatus(seeded.id, "cancelled");
    const note = await client.addNote(seeded.id, "Alipay HK: trade closed");
    expect(note).toMatchObject({ note: "Alipay HK: trade closed", customer_note: false });
    const notes = await client.listNotes(seeded.id);
    expect(notes.map((n) => n.note)).toEqual(["Alipay HK: trade closed", "Order status changed from Pending payment to Cancelled."]);
    expect(await client.listNotes(seeded.id, "customer")).toEqual([]);
  });
});

describe("refunds", () => {
  it("api_refund defaults to true: 500 when the order's payment_method names no registered gateway", async () => {
    const seeded = woo.shop.seedOrder();
    const api = new WooCommerceRestApiCtor({ url: woo.url, ...woo.key, axiosConfig: { httpsAgent: new Agent({ ca: woo.caPem }) } });
    const err = (await api.post(`orders/${seeded.id}/refunds`, { amount: "5.00" }).catch((e: unknown) => e)) as { response: { status: number; data: unknown } };
    expect(err.response.status).toBe(500);
    expect(err.response.data).toEqual({
      code: "woocommerce_rest_cannot_create_order_refund",
      message: "The payment gateway for this order does not exist.",
      data: 500,
    });
    expect((await client.listRefunds(seeded.id)).length).toBe(0);
  });

  it("a registered gateway without refunds support gives the fixture's error (data is the bare number 500)", async () => {
    const expected = fixture<Record<string, unknown>>("error.refund-gateway-not-supported.500.json");
    const seeded = woo.shop.seedOrder({ paymentMethod: "bacs" });
    const api = new WooCommerceRestApiCtor({ url: woo.url, ...woo.key, axiosConfig: { httpsAgent: new Agent({ ca: woo.caPem }) } });
    const err = (await api.post(`orders/${seeded.id}/refunds`, { amount: "5.00" }).catch((e: unknown) => e)) as { response: { data: unknown } };
    expect(err.response.data).toEqual({ code: expected.code, message: expected.message, data: expected.data });
    const mapped = await client.createRecordedRefund(seeded.id, { amount: "99999.00" }).catch((e: unknown) => e);
    expect(mapped).toMatchObject({ status: 500, code: "woocommerce_rest_cannot_create_order_refund" });
  });

  it("records a refund with api_refund false, shows it negative on the order, refuses over-refunds, and a full refund sets refunded", async () => {
    const seeded = woo.shop.seedOrder({ total: "29.35" });
    await client.markPaid(seeded.id, { transactionId: "T" });
    const r1 = await client.createRecordedRefund(seeded.id, { amount: "10.00", reason: "Customer request", meta: { alipayhk_partner_refund_id: "x" } });
    expect(r1).toMatchObject({ amount: "10.00", reason: "Customer request", refunded_payment: false });
    expect(r1.meta_data).toContainEqual(expect.objectContaining({ key: "alipayhk_partner_refund_id", value: "x" }));
    let order = await client.getOrder(seeded.id);
    expect(order.refunds).toEqual([{ id: r1.id, reason: "Customer request", total: "-10.00" }]);
    expect(order.status).toBe("processing");

    const over = await client.createRecordedRefund(seeded.id, { amount: "19.36" }).catch((e: unknown) => e);
    expect(over).toMatchObject({ status: 500, code: "woocommerce_rest_cannot_create_order_refund" });
    expect((over as WooError).detail).toBe("Invalid refund amount.");

    await client.createRecordedRefund(seeded.id, { amount: "19.35" });
    order = await client.getOrder(seeded.id);
    expect(order.status).toBe("refunded");
    expect((await client.listRefunds(seeded.id)).map((r) => r.amount)).toEqual(["19.35", "10.00"]);
    expect((await client.getRefund(seeded.id, r1.id)).id).toBe(r1.id);
  });

  it("a manual switch to refunded creates the remainder refund with no gateway and a note", async () => {
    const seeded = woo.shop.seedOrder({ total: "50.00" });
    await client.markPaid(seeded.id, { transactionId: "T" });
    await client.createRecordedRefund(seeded.id, { amount: "20.00" });
    await client.setStatus(seeded.id, "refunded");
    const refunds = await client.listRefunds(seeded.id);
    expect(refunds[0]).toMatchObject({ amount: "30.00", reason: "Order fully refunded.", refunded_payment: false });
    const notes = await client.listNotes(seeded.id);
    expect(notes.some((n) => n.note.includes("issue a refund through your payment gateway"))).toBe(true);
  });

  it("a negative amount is refused", async () => {
    const seeded = woo.shop.seedOrder();
    const err = await client.createRecordedRefund(seeded.id, { amount: "-1.00" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "woocommerce_rest_invalid_order_refund" });
  });
});

describe("pagination", () => {
  it("reads X-WP-Total / X-WP-TotalPages, follows pages, and sends a Link header", async () => {
    const fresh = await FakeWooCommerce.start({ protocol: "https" });
    try {
      const c = clientFor(fresh);
      for (let i = 0; i < 23; i++) fresh.shop.seedOrder({ status: i % 2 ? "pending" : "processing" });
      const page = await c.listOrders({ perPage: 10, page: 2 });
      expect(page).toMatchObject({ total: 23, totalPages: 3 });
      expect(page.items).toHaveLength(10);
      const api = new WooCommerceRestApiCtor({ url: fresh.url, ...fresh.key, axiosConfig: { httpsAgent: new Agent({ ca: fresh.caPem }) } });
      const raw = await api.get("orders", { per_page: "10", page: "2" });
      expect(raw.headers.link).toMatch(/page=1>; rel="prev", <[^>]+page=3>; rel="next"/);
      expect((await api.get("orders")).data).toHaveLength(10); // WooCommerce's default page size
      expect(await c.listAllOrders({ perPage: 10 })).toHaveLength(23);
      expect(await c.listAllOrders({ status: "pending", perPage: 4 })).toHaveLength(11);
      expect(await c.listAllOrders({ status: ["pending", "processing"] })).toHaveLength(23);
      const over = await c.listOrders({ perPage: 101 }).catch((e: unknown) => e);
      expect(over).toMatchObject({ status: 400, code: "rest_invalid_param" });
    } finally {
      await fresh.close();
    }
  });

  it("filters by modified_after in GMT", async () => {
    let now = new Date("2026-01-10T00:00:00Z");
    const fresh = await FakeWooCommerce.start({ protocol: "https", now: () => now });
    try {
      const c = clientFor(fresh);
      const old = fresh.shop.seedOrder();
      now = new Date("2026-01-10T01:00:00Z");
      const recent = fresh.shop.seedOrder();
      const page = await c.listOrders({ modifiedAfter: "2026-01-10T00:30:00.000Z" });
      expect(page.items.map((o) => o.id)).toEqual([recent.id]);
      expect(page.items[0]!.date_modified_gmt).toBe("2026-01-10T01:00:00");
      expect(page.items[0]!.date_modified).toBe("2026-01-10T09:00:00"); // site-local, Hong Kong
      expect(old.id).toBeLessThan(recent.id);
    } finally {
      await fresh.close();
    }
  });
});

describe("authentication and errors never carry keys", () => {
  it("a wrong consumer key: 401 woocommerce_rest_authentication_error, no key in the error", async () => {
    const bad = clientFor(woo, { consumerKey: "ck_wrongwrongwrongwrongwrongwrongwrong0001", consumerSecret: "cs_supersecretsupersecretsupersecret00001" });
    const err = (await bad.getOrder(1).catch((e: unknown) => e)) as WooError;
    expect(err).toMatchObject({ status: 401, code: "woocommerce_rest_authentication_error" });
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    expect(text).not.toContain("ck_wrong");
    expect(text).not.toContain("cs_supersecret");
    expect(Object.keys(err)).not.toContain("config");
  });

  it("a read-only key cannot write: 401 woocommerce_rest_cannot_edit", async () => {
    const seeded = woo.shop.seedOrder();
    const ro = clientFor(woo, { consumerKey: "ck_ro0000000000000000000000000000000000002", consumerSecret: "cs_ro0000000000000000000000000000000000002" });
    expect((await ro.getOrder(seeded.id)).id).toBe(seeded.id);
    await expect(ro.setStatus(seeded.id, "cancelled")).rejects.toMatchObject({ status: 401, code: "woocommerce_rest_cannot_edit" });
  });

  it("query-string auth works over HTTPS, and its failures do not leak the keys from the URL", async () => {
    const seeded = woo.shop.seedOrder();
    const q = clientFor(woo, { queryStringAuth: true });
    expect((await q.getOrder(seeded.id)).id).toBe(seeded.id);
    expect(woo.requests.at(-1)).toMatchObject({ auth: "query" });
    const bad = clientFor(woo, { queryStringAuth: true, consumerSecret: "cs_leakyleakyleakyleakyleakyleakyleaky0001" });
    const err = (await bad.getOrder(seeded.id).catch((e: unknown) => e)) as WooError;
    expect(err.code).toBe("woocommerce_rest_authentication_error");
    expect(JSON.stringify(err) + err.stack).not.toContain("leaky");
  });

  it("an untrusted certificate fails as a network error without the keys", async () => {
    const untrusting = new WooClient({ url: woo.url, ...woo.key, timeoutMs: 5_000 });
    const err = (await untrusting.getOrder(1).catch((e: unknown) => e)) as WooError;
    expect(err).toBeInstanceOf(WooError);
    expect(err.status).toBe(0);
    expect(err.code).toMatch(/CERT|SIGNATURE|SELF_SIGNED/);
    expect(JSON.stringify(err) + err.stack).not.toContain(woo.key.consumerSecret);
  });

  it("no credentials at all: the route's own 401", async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${woo.url}/wp-json/wc/v3/orders`, { ca: woo.caPem }, (r) => {
        let body = "";
        r.on("data", (c: Buffer) => (body += c.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ code: "woocommerce_rest_cannot_view", message: "Sorry, you cannot list resources.", data: { status: 401 } });
  });
});

describe("the axiosConfig pitfall the wrapper avoids", () => {
  it("custom axiosConfig.headers replace Content-Type, and WordPress then ignores the JSON body", async () => {
    const seeded = woo.shop.seedOrder();
    const api = new WooCommerceRestApiCtor({
      url: woo.url,
      ...woo.key,
      axiosConfig: { httpsAgent: new Agent({ ca: woo.caPem }), headers: { "X-Request-Id": "abc" } },
    });
    const res = await api.put(`orders/${seeded.id}`, { status: "cancelled" });
    expect(res.status).toBe(200);
    expect(res.data.status).toBe("pending"); // body ignored
    expect(woo.requests.at(-1)!.contentType).not.toMatch(/^application\/json/);
    // The wrapper sends JSON, and the change sticks.
    expect((await client.setStatus(seeded.id, "cancelled")).status).toBe("cancelled");
    expect(woo.requests.at(-1)!.contentType).toMatch(/^application\/json/);
  });
});

describe("shape checks", () => {
  it("accepts the docs' example order and rejects a response that is not an order, quoting it", () => {
    expect(asOrder(fixture("order.retrieve.response.json"), "GET orders/727").id).toBe(727);
    expect(() => asOrder({ ...fixture<Record<string, unknown>>("order.retrieve.response.json"), total: 29.35 }, "GET orders/727")).toThrow(
      /order\.total: expected a decimal string such as "29\.35", got 29\.35/,
    );
    expect(() => asOrder("<html>Cached page</html>", "GET orders/1")).toThrow(/order: expected an object, got "<html>Cached page<\/html>"/);
  });
});
