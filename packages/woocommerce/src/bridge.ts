import type { Server } from "node:http";
import { Agent } from "node:https";
import { AlipayHkClient, type AlipayHkClientOptions, type BarcodeRecovery, type SweepOptions } from "@alipayhk/core";
import { createHttpHandler, json, listen, type Listening } from "@alipayhk/service-kit";
import type { BridgeConfig } from "./config.js";
import { checkDeliveryUrl, resolveIPv4, type DeliveryUrlVerdict } from "./delivery-url.js";
import { notifyRoute } from "./http/notify-route.js";
import { payRoutes } from "./http/pay-routes.js";
import { pluginRoutes } from "./http/plugin-routes.js";
import { posRoute } from "./http/pos-route.js";
import { wooWebhookRoute } from "./http/webhook-route.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { jsonLogger, type Logger } from "./log.js";
import { PaymentService } from "./payments.js";
import { BridgeStore } from "./store.js";
import { WooSync, type PollReport } from "./sync.js";
import { WebhookHealth } from "./webhook-health.js";
import { WooClient } from "./woo/client.js";

export interface BridgeOverrides {
  /** Replace pieces in tests: an Alipay client with a movable clock, a WooClient trusting a test CA. */
  alipay?: AlipayHkClient;
  alipayOptions?: Partial<AlipayHkClientOptions>;
  woo?: WooClient;
  store?: BridgeStore;
  log?: Logger;
  barcodeRecovery?: BarcodeRecovery;
  sweep?: SweepOptions;
  /** Run the poll every `pollIntervalSeconds` (default true; tests call `poll()` themselves). */
  autoPoll?: boolean;
  /** How late a webhook delivery may be before `/healthz` calls it missing (default 5 minutes). */
  webhookGraceMs?: number;
  /** Host name → IPv4 for the delivery-URL rule (default: DNS). */
  resolveHost?: (host: string) => Promise<string | undefined>;
}

/**
 * The whole bridge: one HTTP server with the hosted page, the POS route, the plugin's refund
 * route, the WooCommerce webhook and the Alipay notification; the poll backstop; the store.
 *
 * @example
 * const bridge = createBridge(loadConfig());
 * await bridge.start();
 */
export function createBridge(config: BridgeConfig, overrides: BridgeOverrides = {}) {
  const log = overrides.log ?? jsonLogger();
  const store = overrides.store ?? new BridgeStore({ path: config.dbPath });
  const woo =
    overrides.woo ??
    new WooClient({
      url: config.woo.url,
      consumerKey: config.woo.consumerKey,
      consumerSecret: config.woo.consumerSecret,
      ...(config.woo.ca ? { httpsAgent: new Agent({ ca: config.woo.ca }) } : {}),
    });
  const alipay =
    overrides.alipay ??
    new AlipayHkClient({
      partner: config.alipay.partner,
      signType: config.alipay.signType,
      md5Key: config.alipay.md5Key,
      privateKey: config.alipay.privateKey,
      alipayPublicKey: config.alipay.alipayPublicKey,
      gateway: config.alipay.gateway,
      ...(config.alipay.timeoutMs === undefined ? {} : { timeoutMs: config.alipay.timeoutMs }),
      ...overrides.alipayOptions,
    });
  const locks = new KeyedMutex();
  const payments = new PaymentService({
    woo,
    alipay,
    store,
    locks,
    log,
    publicUrl: config.publicUrl,
    wooUrl: config.woo.url,
    qrExpiryMinutes: config.qrExpiryMinutes,
    latePaymentPolicy: config.latePaymentPolicy,
    barcodeRecovery: overrides.barcodeRecovery,
    cancelRetry: overrides.sweep,
  });
  const health = new WebhookHealth({
    store,
    log,
    deliveryUrl: `${config.publicUrl}/woocommerce/webhook`,
    now: () => alipay.clock.now(),
    ...(overrides.webhookGraceMs !== undefined ? { graceMs: overrides.webhookGraceMs } : {}),
  });
  const sync = new WooSync({
    woo,
    alipay,
    store,
    locks,
    log,
    payments,
    publicUrl: config.publicUrl,
    webhookSecret: config.woo.webhookSecret,
    sweep: overrides.sweep,
    health,
  });

  const handler = createHttpHandler({
    routes: [
      { method: "GET", path: "/healthz", handle: () => json(200, { ok: true, webhooks: health.report() }) },
      ...payRoutes({ payments, log }),
      posRoute({ payments, apiToken: config.apiToken }),
      ...pluginRoutes({ pluginSecret: config.pluginSecret, sync, store }),
      wooWebhookRoute({
        secret: config.woo.webhookSecret,
        onPing: (webhookId) => {
          health.delivered();
          log.info("webhook ping", { webhookId });
        },
        onDelivery: async (event) => {
          health.delivered();
          if (event.resource !== "order" || event.resourceId === null) return;
          await sync.syncOrder(event.resourceId);
        },
        onError: (err) => log.error("webhook hint failed; the poll will catch up", { error: err }),
      }),
      notifyRoute({ alipay, store, payments, log }),
    ],
    onUnexpected: (error, request) => log.error("request failed", { path: request.path, route: request.route, error }),
  });
  let listening: Listening | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<PollReport> | undefined;

  const poll = async (): Promise<PollReport> => {
    if (polling) return polling;
    polling = sync.poll().finally(() => {
      polling = undefined;
      health.check();
    });
    return polling;
  };
  /** WordPress's delivery rule applied to PUBLIC_URL; a refusal is logged and shown by `/healthz`. */
  const checkWebhookUrl = async (): Promise<DeliveryUrlVerdict> => {
    const verdict = await checkDeliveryUrl(`${config.publicUrl}/woocommerce/webhook`, config.woo.url, overrides.resolveHost ?? resolveIPv4);
    health.setUrlVerdict(verdict);
    return verdict;
  };

  return {
    /** The bridge's request listener (what `start()` serves; `start()` also runs the poll). */
    handler,
    /** The listening server (after `start()`). */
    get server(): Server {
      if (!listening) throw new Error("the bridge is not listening: call start() first");
      return listening.server;
    },
    store,
    woo,
    alipay,
    payments,
    sync,
    poll,
    health,
    checkWebhookUrl,
    /** Listens on `port` and `host` (default from config), checks PUBLIC_URL against WordPress's delivery rule and starts the poll loop. */
    async start(port = config.port, host = config.host): Promise<string> {
      listening = await listen(handler, { port, host });
      await checkWebhookUrl();
      if (overrides.autoPoll !== false) {
        void poll().catch((err: unknown) => log.error("first poll failed", { error: err }));
        timer = setInterval(() => void poll().catch((err: unknown) => log.error("poll failed", { error: err })), config.pollIntervalSeconds * 1000);
        timer.unref();
      }
      log.info("alipayhk-woo listening", { host, port: listening.port, publicUrl: config.publicUrl });
      return listening.url;
    },
    /** Stops the poll, answers the requests being handled, closes the server and (unless given) the store. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await polling?.catch(() => undefined);
      await listening?.close();
      listening = undefined;
      if (!overrides.store) store.close();
    },
  };
}

export type Bridge = ReturnType<typeof createBridge>;
