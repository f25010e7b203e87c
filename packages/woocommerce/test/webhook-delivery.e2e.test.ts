import { afterEach, describe, expect, it } from "vitest";
import { checkDeliveryUrl } from "../src/delivery-url.js";
import { eventually } from "./helpers.js";
import { startHarness, type Harness } from "./harness.js";

/**
 * Webhooks that never arrive. Real WooCommerce sends deliveries through wp_safe_remote_request():
 * a PUBLIC_URL on a port other than 80/443/8080 (or a private host) gets nothing, silently, while
 * POST /webhooks still answers 201. The bridge names the rule at start-up and in /healthz, and
 * notices registered webhooks that deliver nothing, relying on its poll meanwhile.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Health = { ok: boolean; webhooks: { state: string; message?: string; lastDeliveryAt?: string; undeliveredSince?: string } };
const healthz = async (hh: Harness) => (await (await fetch(`${hh.url}/healthz`)).json()) as Health;

describe("a PUBLIC_URL WooCommerce refuses", () => {
  it("gets no deliveries (no request reaches the bridge), and the bridge reports the rule; the poll still completes the order", async () => {
    h = await startHarness({ loopbackWebhooks: false });
    // The harness's PUBLIC_URL is http://127.0.0.1:<random port>: WordPress refuses that port.
    expect([...h.woo.webhooks.webhooks.values()]).toHaveLength(3); // POST /webhooks answered 201 all the same
    await eventually(() => h!.woo.webhooks.pings.length === 3, "ping attempts");
    expect(h.woo.webhooks.pings.every((p) => p.refused === true && !p.ok)).toBe(true);

    const health = await healthz(h);
    expect(health.ok).toBe(true);
    expect(health.webhooks.state).toBe("url_refused");
    expect(health.webhooks.message).toMatch(
      /^PUBLIC_URL port \d+ is not 80, 443 or 8080 nor the shop's own port; WooCommerce delivers webhooks with wp_safe_remote_request\(\)/,
    );
    expect(h.log.events.some((e) => e.level === "warn" && e.message.startsWith("webhooks: PUBLIC_URL port"))).toBe(true);

    const order = h.order({ total: "18.00" });
    await fetch(h.payUrl(order));
    const trade = h.bridge.store.tradesForOrder(order.id)[0]!;
    h.front.dropNotify = true; // and Alipay's notification is lost too: only the poll is left
    h.sandbox.payTrade(trade.partnerTransId);
    await h.woo.webhooks.flush();
    expect(h.woo.webhooks.deliveries.length).toBeGreaterThan(0);
    expect(h.woo.webhooks.deliveries.every((d) => d.refused === true && d.status === 0)).toBe(true);
    expect((await healthz(h)).webhooks.lastDeliveryAt).toBeUndefined();

    await h.bridge.poll();
    expect(h.woo.shop.orders.get(order.id)!.status).toBe("processing");
  });

  it("checkDeliveryUrl names each rule of wp_http_validate_url()", async () => {
    const shop = "https://shop.example.com";
    expect(await checkDeliveryUrl("https://pay.example.com/woocommerce/webhook", shop)).toEqual({ ok: true });
    expect(await checkDeliveryUrl("http://pay.example.com:8080/woocommerce/webhook", shop)).toEqual({ ok: true });
    expect((await checkDeliveryUrl("http://pay.example.com:8787/woocommerce/webhook", shop)).rule).toBe("port");
    expect((await checkDeliveryUrl("http://127.0.0.1/woocommerce/webhook", shop)).rule).toBe("private-host");
    expect((await checkDeliveryUrl("http://10.1.2.3:443/woocommerce/webhook", shop)).rule).toBe("private-host");
    expect((await checkDeliveryUrl("http://172.16.0.1/woocommerce/webhook", shop)).rule).toBe("private-host");
    expect((await checkDeliveryUrl("http://172.32.0.1/woocommerce/webhook", shop)).ok).toBe(true);
    expect((await checkDeliveryUrl("http://localhost:8080/woocommerce/webhook", shop)).rule).toBe("private-host");
    expect((await checkDeliveryUrl("http://[::1]/woocommerce/webhook", shop)).rule).toBe("host-syntax");
    expect((await checkDeliveryUrl("https://u:p@pay.example.com/woocommerce/webhook", shop)).rule).toBe("credentials");
    // The shop's own host: no private-address check, and its own port is allowed too.
    expect(await checkDeliveryUrl("http://127.0.0.1:80/woocommerce/webhook", "http://127.0.0.1:8080")).toEqual({ ok: true });
    expect(await checkDeliveryUrl("http://127.0.0.1:8787/woocommerce/webhook", "http://127.0.0.1:8787")).toEqual({ ok: true });
    expect((await checkDeliveryUrl("http://127.0.0.1:8787/woocommerce/webhook", "http://127.0.0.1:8080")).rule).toBe("port");
    // Names are resolved as PHP's gethostbyname() would.
    expect((await checkDeliveryUrl("https://pay.internal/woocommerce/webhook", shop, async () => "192.168.1.20")).rule).toBe("private-host");
    expect((await checkDeliveryUrl("https://nowhere.invalid/woocommerce/webhook", shop, async () => undefined)).rule).toBe("unresolvable-host");
  });
});

describe("webhooks registered but never delivered", () => {
  it("are reported in the log and /healthz once an order change goes undelivered past the grace period, and cleared when deliveries return", async () => {
    h = await startHarness({ bridge: { webhookGraceMs: 60_000 } });
    await eventually(() => h!.woo.webhooks.pings.filter((p) => p.ok).length === 3, "pings");
    expect((await healthz(h)).webhooks.state).toBe("ok");

    h.front.dropWebhooks = true; // a WAF, a dead WP-Cron or a proxy eats every delivery from now on
    await new Promise((r) => setTimeout(r, 1100)); // WooCommerce's modification times are per second
    const order = h.order();
    await h.bridge.woo.setStatus(order.id, "on-hold");
    await eventually(() => h!.front.dropped.some((p) => p.startsWith("/woocommerce/webhook")), "a delivery dropped");

    await h.bridge.poll(); // sees the change; not yet overdue
    expect((await healthz(h)).webhooks.state).toBe("ok");
    h.clock.advance(2 * 60_000);
    await h.bridge.poll();
    const health = await healthz(h);
    expect(health.webhooks.state).toBe("not_delivered");
    expect(health.webhooks.message).toMatch(
      new RegExp(`^WooCommerce has delivered no webhook for order ${order.id}, changed \\d+ min ago: check that WooCommerce can reach`),
    );
    expect(h.log.events.filter((e) => e.level === "warn" && e.message.startsWith("webhooks: WooCommerce has delivered no webhook"))).toHaveLength(1);
    await h.bridge.poll();
    expect(h.log.events.filter((e) => e.level === "warn" && e.message.startsWith("webhooks: WooCommerce has delivered no webhook"))).toHaveLength(1);

    h.front.dropWebhooks = false;
    await h.bridge.woo.setStatus(order.id, "pending");
    await eventually(async () => (await healthz(h!)).webhooks.state === "ok", "deliveries again");
    expect(h.log.events.some((e) => e.level === "info" && e.message === "webhook deliveries arrive again")).toBe(true);
  });
});
