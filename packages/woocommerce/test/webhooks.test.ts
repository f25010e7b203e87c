import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler } from "@alipayhk/service-kit";
import { wooWebhookRoute } from "../src/http/webhook-route.js";
import { verifyWooWebhook, WooWebhookRejected, type WooWebhookEvent } from "../src/webhook.js";
import type { WooClient } from "../src/woo/client.js";
import { FakeWooCommerce, fixture, fixtureBytes, wpJsonEncode } from "./fake-woocommerce/index.js";
import { clientFor, eventually } from "./helpers.js";

const delivery = fixture<{ headers: Record<string, string>; secret_used_for_signature: string }>("webhook.delivery.order-updated.json");
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe("verifyWooWebhook on raw bytes", () => {
  const raw = fixtureBytes("webhook.delivery.order-updated.body.raw");

  it("accepts the golden delivery (fixture) and decodes it", () => {
    const event = verifyWooWebhook(raw, lower(delivery.headers), delivery.secret_used_for_signature);
    expect(event).toMatchObject({ kind: "delivery", webhookId: 142, topic: "order.updated", resource: "order", event: "updated", resourceId: 727 });
  });

  it("the fake encodes like wp_json_encode: its body for the fixture order is byte-identical to the golden one", () => {
    expect(Buffer.from(wpJsonEncode(fixture("order.retrieve.response.json")))).toEqual(raw);
    expect(raw.includes(Buffer.from("https:\\/\\/example.com"))).toBe(true);
  });

  it("rejects a body that was re-serialised after parsing (the \\/ escaping is lost)", () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString("utf8"))));
    expect(() => verifyWooWebhook(reserialised, lower(delivery.headers), delivery.secret_used_for_signature)).toThrow(WooWebhookRejected);
  });

  it("rejects a tampered body, a wrong secret and a missing signature with 401", () => {
    const tampered = Buffer.from(raw.toString("utf8").replace('"29.35"', '"0.01"'));
    for (const [body, secret, headers] of [
      [tampered, delivery.secret_used_for_signature, lower(delivery.headers)],
      [raw, "not-the-secret", lower(delivery.headers)],
      [raw, delivery.secret_used_for_signature, { "content-type": "application/json" }],
    ] as const) {
      let caught: unknown;
      try {
        verifyWooWebhook(body, headers, secret);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(WooWebhookRejected);
      expect((caught as WooWebhookRejected).status).toBe(401);
    }
  });

  it("recognises the unsigned creation ping (fixture webhook.ping.json)", () => {
    const ping = fixture<{ headers: Record<string, string>; body: string }>("webhook.ping.json");
    expect(verifyWooWebhook(Buffer.from(ping.body), lower(ping.headers), "any")).toEqual({ kind: "ping", webhookId: 142 });
  });
});

describe("deliveries from the fake WooCommerce to the receiver route", () => {
  const secret = "s3cret-for-webhooks-&-more";
  let woo: FakeWooCommerce;
  let client: WooClient;
  let server: Server;
  let receiverUrl: string;
  const received: Array<Extract<WooWebhookEvent, { kind: "delivery" }>> = [];
  const pings: number[] = [];
  let failNext = 0;

  beforeAll(async () => {
    woo = await FakeWooCommerce.start({ protocol: "https" });
    client = clientFor(woo);
    const route = wooWebhookRoute({ secret, onDelivery: (e) => void received.push(e), onPing: (id) => void pings.push(id) });
    const handler = createHttpHandler({ routes: [route] });
    server = createServer((req, res) => {
      if (failNext > 0) {
        failNext--;
        req.resume();
        res.writeHead(503).end();
        return;
      }
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/woocommerce/webhook`;
    woo.webhooks.allowPort((server.address() as AddressInfo).port); // the test-only mu-plugin's filter
  });
  afterAll(async () => {
    await woo.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  afterEach(() => {
    received.length = 0;
    woo.webhooks.mode = "auto";
  });

  it("answers the creation ping with exactly 200, and verifies signed deliveries", async () => {
    const hook = await client.createWebhook({ name: "alipayhk order.updated", topic: "order.updated", deliveryUrl: receiverUrl, secret });
    await eventually(() => woo.webhooks.pings.find((p) => p.webhookId === hook.id), "ping");
    expect(woo.webhooks.pings.find((p) => p.webhookId === hook.id)).toMatchObject({ status: 200, ok: true });
    expect(pings).toContain(hook.id);

    const order = woo.shop.seedOrder();
    await client.setStatus(order.id, "on-hold");
    const got = await eventually(() => received.find((e) => e.resourceId === order.id), "delivery");
    expect(got).toMatchObject({ topic: "order.updated", webhookId: hook.id });
    expect((got.payload as { status: string }).status).toBe("on-hold");
  });

  it("coalesces quick changes into one delivery that carries only the latest state", async () => {
    woo.webhooks.mode = "manual";
    const order = woo.shop.seedOrder();
    await client.setStatus(order.id, "on-hold");
    await client.addNote(order.id, "does not save the order");
    await client.setStatus(order.id, "processing");
    await client.setStatus(order.id, "completed");
    expect(woo.webhooks.pending).toBe(1);
    await woo.webhooks.flush();
    const mine = await eventually(() => {
      const m = received.filter((e) => e.resourceId === order.id);
      return m.length ? m : null;
    }, "coalesced delivery");
    expect(mine).toHaveLength(1);
    expect((mine[0]!.payload as { status: string }).status).toBe("completed");
  });

  it("a late delivery shows the state at send time, not at change time", async () => {
    woo.webhooks.mode = "manual";
    const order = woo.shop.seedOrder();
    await client.setStatus(order.id, "cancelled");
    woo.shop.updateOrder(order.id, { status: "pending" }); // changed again before the queue ran (already queued: no new job)
    await woo.webhooks.flush();
    const got = await eventually(() => received.find((e) => e.resourceId === order.id), "late delivery");
    expect((got.payload as { status: string }).status).toBe("pending");
  });

  it("dropped deliveries never arrive and duplicated ones arrive twice", async () => {
    woo.webhooks.mode = "manual";
    const a = woo.shop.seedOrder();
    const b = woo.shop.seedOrder();
    woo.webhooks.dropNextDeliveries(1);
    await client.setStatus(a.id, "on-hold");
    await woo.webhooks.flush();
    woo.webhooks.duplicateNextDeliveries(1);
    await client.setStatus(b.id, "on-hold");
    await woo.webhooks.flush();
    await eventually(() => received.filter((e) => e.resourceId === b.id).length === 2, "duplicate");
    expect(received.filter((e) => e.resourceId === a.id)).toHaveLength(0);
    expect(woo.webhooks.deliveries.find((d) => d.resourceId === a.id)?.status).toBeNull();
  });

  it("disables a webhook after repeated failures, delivers nothing while disabled, and does not ping when re-activated", async () => {
    const fresh = await FakeWooCommerce.start({ protocol: "https" });
    fresh.webhooks.allowPort(Number(new URL(receiverUrl).port));
    try {
      const c = clientFor(fresh);
      fresh.webhooks.mode = "manual";
      const hook = await c.createWebhook({ name: "x", topic: "order.updated", deliveryUrl: receiverUrl, secret });
      await eventually(() => fresh.webhooks.pings.length === 1, "ping");
      const order = fresh.shop.seedOrder();
      failNext = 7;
      for (let i = 0; i < 7; i++) {
        await c.setStatus(order.id, i % 2 ? "pending" : "on-hold");
        await fresh.webhooks.flush();
      }
      expect(fresh.webhooks.deliveries.map((d) => d.status)).toEqual([503, 503, 503, 503, 503, 503, 503]);
      expect((await c.listWebhooks()).find((h) => h.id === hook.id)?.status).toBe("disabled");

      await c.setStatus(order.id, "processing");
      await fresh.webhooks.flush();
      expect(fresh.webhooks.deliveries).toHaveLength(7);

      // Real WooCommerce: an update pings only when the URL changed or the first ping never succeeded.
      expect((await c.setWebhookStatus(hook.id, "active")).status).toBe("active");
      await c.setStatus(order.id, "on-hold");
      await fresh.webhooks.flush();
      expect(fresh.webhooks.deliveries.map((d) => d.status).slice(7)).toEqual([200]);
      expect(fresh.webhooks.pings).toHaveLength(1);
    } finally {
      failNext = 0;
      await fresh.close();
    }
  });

  it("a receiver with the wrong secret answers 401, which WooCommerce counts as a failure", async () => {
    const fresh = await FakeWooCommerce.start({ protocol: "https" });
    fresh.webhooks.allowPort(Number(new URL(receiverUrl).port));
    try {
      const c = clientFor(fresh);
      await c.createWebhook({ name: "wrong secret", topic: "order.updated", deliveryUrl: receiverUrl, secret: "another-secret" });
      const order = fresh.shop.seedOrder();
      await c.setStatus(order.id, "on-hold");
      await eventually(() => fresh.webhooks.deliveries.length === 1, "delivery");
      expect(fresh.webhooks.deliveries[0]!.status).toBe(401);
      expect([...fresh.webhooks.webhooks.values()][0]!.failureCount).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it("wp_http_validate_url(): a delivery URL on a refused port or private host gets no request at all, yet each refusal counts", async () => {
    const fresh = await FakeWooCommerce.start({ protocol: "https" });
    try {
      const c = clientFor(fresh);
      const shopPort = Number(new URL(fresh.url).port);
      const v = (url: string) => fresh.webhooks.wpHttpValidateUrl(url);
      expect(v("http://127.0.0.1:8787/woocommerce/webhook")).toBe(false); // the shop's host, another port
      expect(v(`http://127.0.0.1:${shopPort}/x`)).toBe(true); // the shop's own host and port
      expect(v("http://127.0.0.1:80/x")).toBe(true); // the shop's host: no private-address check; port 80
      expect(v("http://localhost:8080/x")).toBe(false); // loopback, not the shop's host
      expect(v("http://192.168.1.5/x")).toBe(false);
      expect(v("http://172.20.0.2:443/x")).toBe(false);
      expect(v("http://203.0.113.7:8080/x")).toBe(true);
      expect(v("https://203.0.113.7:8443/x")).toBe(false);
      expect(v("http://user:pw@203.0.113.7/x")).toBe(false);
      expect(v("http://[::1]/x")).toBe(false);

      fresh.webhooks.mode = "manual";
      const before = received.length;
      const hook = await c.createWebhook({ name: "refused", topic: "order.updated", deliveryUrl: receiverUrl, secret });
      await eventually(() => fresh.webhooks.pings.length === 1, "ping attempt");
      expect(fresh.webhooks.pings[0]).toMatchObject({ webhookId: hook.id, ok: false, refused: true });
      const order = fresh.shop.seedOrder();
      for (let i = 0; i < 7; i++) {
        await c.setStatus(order.id, i % 2 ? "pending" : "on-hold");
        await fresh.webhooks.flush();
      }
      expect(fresh.webhooks.deliveries.every((d) => d.refused === true && d.status === 0)).toBe(true);
      expect(received.length).toBe(before); // the receiver never saw a request
      expect((await c.listWebhooks()).find((h) => h.id === hook.id)?.status).toBe("disabled");

      // Moving the webhook to an allowed URL pings (the URL changed).
      fresh.webhooks.allowPort(Number(new URL(receiverUrl).port));
      const other = receiverUrl.replace("127.0.0.1", "localhost");
      fresh.webhooks.allowHost("localhost");
      fresh.webhooks.update(fresh.webhooks.webhooks.get(hook.id)!, { deliveryUrl: other, status: "active" }); // what PUT webhooks/{id} does
      await eventually(() => fresh.webhooks.pings.length === 2, "ping on URL change");
      expect(fresh.webhooks.pings[1]).toMatchObject({ ok: true });
    } finally {
      await fresh.close();
    }
  });

  it("order.deleted (trash) carries only the id", async () => {
    const hook = await client.createWebhook({ name: "deleted", topic: "order.deleted", deliveryUrl: receiverUrl, secret });
    const order = woo.shop.seedOrder();
    woo.shop.deleteOrder(order.id, false);
    const got = await eventually(() => received.find((e) => e.topic === "order.deleted" && e.resourceId === order.id), "deleted");
    expect(got.payload).toEqual({ id: order.id });
    expect(got.webhookId).toBe(hook.id);
  });
});
