import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startSandbox, type RunningSandbox, type SandboxOptions } from "@alipayhk/sandbox";
import type { Clock } from "@alipayhk/core";
import { createBridge, type Bridge } from "../src/bridge.js";
import type { BridgeConfig, LatePaymentPolicy } from "../src/config.js";
import { memoryLogger } from "../src/log.js";
import { pluginSignature } from "../src/plugin-auth.js";
import { BridgeStore } from "../src/store.js";
import { FakeWooCommerce, type FakeOrder } from "./fake-woocommerce/index.js";
import { clientFor } from "./helpers.js";

/**
 * The whole picture on loopback: the WooCommerce contract fake (HTTPS), the Alipay HK sandbox, and
 * the bridge behind a "front door" (the CDN/WAF/reverse proxy of a real deployment) that tests can
 * tell to drop Alipay's notifications or WooCommerce's webhooks, the two deliveries shops lose.
 */
export interface Harness {
  woo: FakeWooCommerce;
  sandbox: RunningSandbox;
  bridge: Bridge;
  front: FrontDoor;
  /** The public URL (through the front door). */
  url: string;
  token: string;
  /** WOO_PLUGIN_SECRET: the key the WordPress plugin signs its refund calls with. */
  pluginSecret: string;
  /** POST /woocommerce/refund signed as the PHP plugin signs it (`secret` overrides the key). */
  pluginRefund(
    body: Record<string, unknown>,
    options?: { secret?: string; bearer?: string; unsigned?: boolean },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  log: ReturnType<typeof memoryLogger>;
  clock: MovableClock;
  config: BridgeConfig;
  /** A new order as the storefront checkout makes it (HKD, pending, `alipayhk`). */
  order(input?: Parameters<FakeWooCommerce["shop"]["seedOrder"]>[0]): FakeOrder;
  payUrl(order: FakeOrder): string;
  /** Stops the bridge and starts a new one on the same database file and port (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  latePaymentPolicy?: LatePaymentPolicy;
  sandbox?: SandboxOptions;
  /** Register the bridge's webhooks at WooCommerce at start (default true). */
  webhooks?: boolean;
  dbPath?: string;
  /**
   * Let WooCommerce deliver to the bridge on its random loopback port (default true), as
   * setup.sh's test-only mu-plugin does for a real shop. `false`: WordPress's rule as shipped.
   */
  loopbackWebhooks?: boolean;
  /** Overrides for createBridge (e.g. `webhookGraceMs`). */
  bridge?: { webhookGraceMs?: number };
}

export class MovableClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export class FrontDoor {
  dropNotify = false;
  dropWebhooks = false;
  readonly dropped: string[] = [];
  private server!: Server;
  url = "";

  constructor(private target: () => string) {}

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? "/";
      if ((this.dropNotify && path.startsWith("/alipay/notify")) || (this.dropWebhooks && path.startsWith("/woocommerce/webhook"))) {
        this.dropped.push(path);
        req.resume();
        res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad gateway</html>");
        return;
      }
      const t = new URL(this.target());
      const upstream = request(
        { host: t.hostname, port: t.port, method: req.method, path, headers: { ...req.headers, host: `${t.hostname}:${t.port}` } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(502).end();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => this.server.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const woo = await FakeWooCommerce.start({ protocol: "https" });
  const sandbox = await startSandbox({ notifyTimeScale: 0.001, timeScale: 0.01, ...options.sandbox });
  const log = memoryLogger();
  const clock = new MovableClock();
  const token = "test-token-0123456789abcdef";
  const pluginSecret = "plugin-secret-0123456789abcdef-0123456789";
  let bridgeUrl = "";
  const front = new FrontDoor(() => bridgeUrl);
  await front.start();
  if (options.loopbackWebhooks !== false) woo.webhooks.allowPort(Number(new URL(front.url).port));
  const dbPath = options.dbPath ?? ":memory:";
  const config: BridgeConfig = {
    woo: { url: woo.url, ...woo.key, webhookSecret: "webhook-secret-for-tests", holdStockMinutes: 60 },
    alipay: { gateway: sandbox.gatewayUrl, partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key },
    host: "127.0.0.1",
    port: 0,
    publicUrl: front.url,
    apiToken: token,
    pluginSecret,
    latePaymentPolicy: options.latePaymentPolicy ?? "refund",
    qrExpiryMinutes: 15,
    pollIntervalSeconds: 60,
    dbPath,
  };
  const make = () => {
    const store = new BridgeStore({ path: dbPath });
    return {
      store,
      bridge: createBridge(config, {
        woo: clientFor(woo),
        store,
        log,
        alipayOptions: { clock },
        autoPoll: false,
        resolveHost: async () => "203.0.113.10",
        ...options.bridge,
        barcodeRecovery: { pollIntervalMs: 20, maxPollMs: 5_000, cancelRetryMs: 10 },
        sweep: { retryBaseMs: 10, cancelRetryMs: 10, pollIntervalMs: 20, maxPollMs: 0 },
      }),
    };
  };
  let current = make();
  bridgeUrl = await current.bridge.start(0, "127.0.0.1");
  if (options.webhooks !== false) await current.bridge.sync.ensureWebhooks();

  const harness: Harness = {
    woo,
    sandbox,
    get bridge() {
      return current.bridge;
    },
    front,
    url: front.url,
    token,
    pluginSecret,
    async pluginRefund(body, options = {}) {
      const text = JSON.stringify(body);
      const ts = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (!options.unsigned) {
        headers["x-alipayhk-timestamp"] = String(ts);
        headers["x-alipayhk-signature"] = pluginSignature(options.secret ?? pluginSecret, "v1", ts, "POST", "/woocommerce/refund", text);
      }
      if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
      const res = await fetch(`${front.url}/woocommerce/refund`, { method: "POST", headers, body: text });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    log,
    clock,
    config,
    order: (input) => woo.shop.seedOrder(input),
    payUrl: (order) => `${front.url}/pay/${order.id}?key=${order.orderKey}`,
    async restart() {
      await current.bridge.stop();
      current.store.close();
      current = make();
      bridgeUrl = await current.bridge.start(0, "127.0.0.1");
    },
    async close() {
      await current.bridge.stop();
      current.store.close();
      await front.close();
      await sandbox.close();
      await woo.close();
    },
  };
  return harness;
}

/** The bridge's trade ids for an order, oldest first. */
export function tradesOf(h: Harness, order: FakeOrder) {
  return h.bridge.store.tradesForOrder(order.id);
}
