import { createServer, type Server } from "node:http";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { AlipayHkClient, checkNotification, parseHkdAmount, type AlipayHkClientOptions, type BarcodeRecovery, type SweepOptions } from "@alipayhk/core";
import type { BridgeConfig } from "./config.js";
import { checkDeliveryUrl, resolveIPv4, type DeliveryUrlVerdict } from "./delivery-url.js";
import { renderMessagePage, renderOrderPaymentPage, renderPaymentPage } from "./http/hosted-page.js";
import { createRouter, HttpError, readJsonBody, readRawBody, sendJson, sendText, type Handler, type RequestContext } from "./http/router.js";
import { wooWebhookRoute } from "./http/webhook-route.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { PluginAuthError, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyPluginLink, verifyPluginRequest } from "./plugin-auth.js";
import { WebhookHealth } from "./webhook-health.js";
import { formatAmount, toMinorUnits, type MinorUnits } from "@alipayhk/core";
import { jsonLogger, type Logger } from "./log.js";
import { PaymentService, sameKey } from "./payments.js";
import { BridgeStore } from "./store.js";
import { REFUND_MARKER, WooSync, WooSyncError, type PollReport } from "./sync.js";
import { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";

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
  const sync = new WooSync({ woo, alipay, store, locks, log, payments, publicUrl: config.publicUrl, webhookSecret: config.woo.webhookSecret, sweep: overrides.sweep, health });

  /** The POS barcode route: bearer BRIDGE_API_TOKEN only (the plugin's secret is no bearer token). */
  const requireToken = (ctx: RequestContext) => {
    const header = ctx.req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (config.apiToken === undefined) throw new HttpError(401, "the POS route is off: set BRIDGE_API_TOKEN on the bridge", "unauthorized");
    if (!token || !sameKey(token, config.apiToken)) throw new HttpError(401, "missing or wrong bearer token", "unauthorized");
  };
  /** The WordPress plugin's calls: an HMAC over the request keyed by WOO_PLUGIN_SECRET (never a bearer token). */
  const requirePluginSignature = (ctx: RequestContext, body: Buffer) => {
    const header = (name: string) => {
      const v = ctx.req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    try {
      verifyPluginRequest(
        config.pluginSecret,
        { method: ctx.req.method ?? "", path: ctx.url.pathname, body, timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER) },
        new Date(),
      );
    } catch (err) {
      if (err instanceof PluginAuthError) throw new HttpError(401, err.message, "unauthorized");
      throw err;
    }
  };
  /**
   * Issue 11: execute only a refund WooCommerce really has, on that order, for that amount. Read
   * it back over REST before anything reaches Alipay; refused requests change nothing.
   */
  const confirmWcRefund = async (orderId: number, refundId: number, amount: MinorUnits) => {
    let refund;
    try {
      refund = await woo.getRefund(orderId, refundId);
    } catch (err) {
      if (err instanceof WooError && (err.status === 404 || err.status === 400)) {
        throw new HttpError(404, `refund_id: WooCommerce has no refund ${refundId} on order ${orderId}; nothing executed`, "unknown_refund");
      }
      log.error("could not read a refund back from WooCommerce", { orderId, refundId, error: err });
      throw new HttpError(502, "WooCommerce could not be asked about this refund; nothing executed, try again", "woo_unavailable");
    }
    if (refund.id !== refundId) throw new HttpError(404, `refund_id: WooCommerce has no refund ${refundId} on order ${orderId}; nothing executed`, "unknown_refund");
    let wcAmount: number;
    try {
      wcAmount = toMinorUnits(String(refund.amount).replace(/^-/, ""), "refund.amount");
    } catch {
      throw new HttpError(409, `amount: WooCommerce's refund ${refundId} has an unreadable amount; nothing executed`, "amount_mismatch");
    }
    if (wcAmount !== amount) {
      throw new HttpError(409, `amount: WooCommerce's refund ${refundId} is HKD ${formatAmount(wcAmount)}, not HKD ${formatAmount(amount)}; nothing executed`, "amount_mismatch");
    }
    if (refund.meta_data.some((m) => m.key === REFUND_MARKER)) {
      throw new HttpError(409, `refund_id: refund ${refundId} was recorded by the bridge itself; nothing executed`, "bridge_refund");
    }
  };
  const orderIdParam = (ctx: RequestContext): number => {
    const raw = ctx.params.orderId ?? "";
    if (!/^[1-9]\d{0,15}$/.test(raw)) throw new HttpError(404, "No such order, or the link is not valid.", "not_found");
    return Number(raw);
  };

  const payPage: Handler = async (ctx) => {
    const orderId = orderIdParam(ctx);
    const key = ctx.url.searchParams.get("key") ?? "";
    try {
      const view = await payments.preparePayment(orderId, key);
      if (view.kind === "paid") {
        ctx.res.writeHead(303, { location: view.redirect, "cache-control": "no-store" }).end();
        return;
      }
      const html = view.kind === "qr" ? await renderPaymentPage(view, key) : renderMessagePage("Alipay HK", view.message);
      ctx.res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" }).end(html);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 502;
      if (!(err instanceof HttpError)) log.error("payment page failed", { orderId, error: err });
      const message = err instanceof HttpError ? err.message : "The payment page is unavailable right now; please try again shortly.";
      ctx.res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(renderMessagePage("Alipay HK", message));
    }
  };

  const routes = createRouter(
    [
      { method: "GET", path: "/healthz", handler: ({ res }) => sendJson(res, 200, { ok: true, webhooks: health.report() }) },
      { method: "GET", path: "/pay/:orderId", handler: payPage },
      {
        method: "GET",
        path: "/pay/:orderId/status",
        handler: async (ctx) => sendJson(ctx.res, 200, await payments.pageStatus(orderIdParam(ctx), ctx.url.searchParams.get("key") ?? "")),
      },
      {
        method: "POST",
        path: "/orders/:orderId/barcode",
        handler: async (ctx) => {
          requireToken(ctx);
          const body = await readJsonBody(ctx.req);
          const code = typeof body.buyer_code === "string" ? body.buyer_code.trim() : "";
          if (!/^\d{16,24}$/.test(code)) throw new HttpError(400, "buyer_code: expected the 16-24 digit code from the buyer's wallet", "invalid_body");
          const result = await payments.payByBarcode(orderIdParam(ctx), code);
          sendJson(ctx.res, result.status === "paid" ? 200 : result.status === "unresolved" ? 202 : 402, result);
        },
      },
      {
        method: "POST",
        path: "/woocommerce/refund",
        handler: async (ctx) => {
          const raw = await readRawBody(ctx.req, 64 * 1024);
          requirePluginSignature(ctx, raw);
          const body = parseJsonObject(raw);
          const orderId = Number(body.order_id);
          const refundId = Number(body.refund_id);
          if (!Number.isInteger(orderId) || orderId <= 0 || !Number.isInteger(refundId) || refundId <= 0) {
            throw new HttpError(400, "order_id and refund_id: expected WooCommerce ids", "invalid_body");
          }
          let amount: number;
          try {
            amount = parseHkdAmount(String(body.amount ?? ""), "amount");
          } catch (err) {
            throw new HttpError(400, (err as Error).message, "invalid_body");
          }
          await confirmWcRefund(orderId, refundId, amount);
          try {
            const record = await sync.executeWcRefund(orderId, refundId, amount, typeof body.reason === "string" ? body.reason : "");
            const status = record.status;
            sendJson(ctx.res, status === "succeeded" ? 200 : status === "pending" ? 202 : 422, {
              status,
              partner_refund_id: record.partnerRefundId,
              message: status === "succeeded" ? "refunded at Alipay HK" : status === "pending" ? "Alipay has not confirmed yet; the bridge keeps retrying" : `Alipay refused: ${record.lastError}`,
            });
          } catch (err) {
            if (err instanceof WooSyncError) throw new HttpError(409, err.message, err.code);
            throw err;
          }
        },
      },
      {
        method: "GET",
        path: "/woocommerce/orders/:orderId/payment",
        handler: (ctx) => {
          const orderId = orderIdParam(ctx);
          try {
            verifyPluginLink(config.pluginSecret, { path: ctx.url.pathname, expires: ctx.url.searchParams.get("expires"), signature: ctx.url.searchParams.get("signature") }, new Date());
          } catch (err) {
            if (err instanceof PluginAuthError) throw new HttpError(401, err.message, "unauthorized");
            throw err;
          }
          const trades = store.tradesForOrder(orderId).map((t) => ({ ...t, amount: formatAmount(t.amountCents) }));
          const refunds = store.refundsForOrder(orderId).map((r) => ({ ...r, amount: formatAmount(r.amountCents) }));
          ctx.res
            .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" })
            .end(renderOrderPaymentPage(orderId, trades, refunds));
        },
      },
      {
        method: "POST",
        path: "/woocommerce/webhook",
        handler: wooWebhookRoute({
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
      },
      {
        method: "POST",
        path: "/alipay/notify",
        handler: async (ctx) => {
          const raw = await readRawBody(ctx.req, 64 * 1024);
          // Evidence, not a fact: core checks signature, partner, trade, amount and currency, and
          // confirms with a query (or an identical refund resend) before anything changes.
          const check = await checkNotification(alipay, raw, {
            findTrade: (id) => {
              const trade = store.getTrade(id);
              return trade ? { amount: trade.amountCents } : undefined;
            },
            findRefund: (id) => {
              const refund = store.getRefundByPartnerRefundId(id);
              return refund
                ? { partnerTransId: refund.partnerTransId, platformRefundId: refund.refundKey, amount: refund.amountCents, reason: refund.reason ?? undefined }
                : undefined;
            },
          });
          if (!check.accepted) {
            log.warn("alipay notification refused; nothing changed", { refusal: check.refusal, reason: check.message, partnerTransId: check.partnerTransId });
            sendText(ctx.res, check.retryable ? 503 : 400, "fail");
            return;
          }
          const notification = check.notification;
          store.recordNotification(notification.notifyId, notification.partnerTransId ?? null, notification.tradeStatus ?? null);
          try {
            await payments.applyAll(check.events, "notification");
          } catch (err) {
            // The trade is stored as paid before WooCommerce is called: the poll finishes the job.
            if (!(err instanceof WooError)) throw err;
            log.error("notification stored; WooCommerce update failed and will be retried by the poll", { error: err });
          }
          sendText(ctx.res, 200, "success");
        },
      },
    ],
    (err, ctx) => log.error("request failed", { path: ctx.url.pathname, error: err }),
  );

  const server: Server = createServer((req, res) => void routes(req, res));
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
    server,
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
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      await checkWebhookUrl();
      if (overrides.autoPoll !== false) {
        void poll().catch((err: unknown) => log.error("first poll failed", { error: err }));
        timer = setInterval(() => void poll().catch((err: unknown) => log.error("poll failed", { error: err })), config.pollIntervalSeconds * 1000);
        timer.unref();
      }
      const addr = server.address() as AddressInfo;
      log.info("alipayhk-woo listening", { host, port: addr.port, publicUrl: config.publicUrl });
      return `http://127.0.0.1:${addr.port}`;
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await polling?.catch(() => undefined);
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!overrides.store) store.close();
    },
  };
}

export type Bridge = ReturnType<typeof createBridge>;

function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (!raw.length) return {};
  try {
    const parsed = JSON.parse(raw.toString("utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "body: expected a JSON object", "invalid_body");
  }
}
