import { createServer, type Server } from "node:http";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { AlipayHkClient, checkNotification, parseHkdAmount, type AlipayHkClientOptions, type BarcodeRecovery, type SweepOptions } from "@alipayhk/core";
import type { BridgeConfig } from "./config.js";
import { renderMessagePage, renderPaymentPage } from "./http/hosted-page.js";
import { createRouter, HttpError, readJsonBody, readRawBody, sendJson, sendText, type Handler, type RequestContext } from "./http/router.js";
import { wooWebhookRoute } from "./http/webhook-route.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { jsonLogger, type Logger } from "./log.js";
import { PaymentService, sameKey } from "./payments.js";
import { BridgeStore } from "./store.js";
import { WooSync, WooSyncError, type PollReport } from "./sync.js";
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
  const sync = new WooSync({ woo, alipay, store, locks, log, payments, publicUrl: config.publicUrl, webhookSecret: config.woo.webhookSecret, sweep: overrides.sweep });

  const requireToken = (ctx: RequestContext) => {
    const header = ctx.req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token || !sameKey(token, config.apiToken)) throw new HttpError(401, "missing or wrong bearer token", "unauthorized");
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
      { method: "GET", path: "/healthz", handler: ({ res }) => sendJson(res, 200, { ok: true }) },
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
          requireToken(ctx);
          const body = await readJsonBody(ctx.req);
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
        method: "POST",
        path: "/woocommerce/webhook",
        handler: wooWebhookRoute({
          secret: config.woo.webhookSecret,
          onPing: (webhookId) => log.info("webhook ping", { webhookId }),
          onDelivery: async (event) => {
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
    polling = sync.poll().finally(() => (polling = undefined));
    return polling;
  };

  return {
    server,
    store,
    woo,
    alipay,
    payments,
    sync,
    poll,
    /** Listens on `port` (default from config) and starts the poll loop. */
    async start(port = config.port, host = "0.0.0.0"): Promise<string> {
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      if (overrides.autoPoll !== false) {
        void poll().catch((err: unknown) => log.error("first poll failed", { error: err }));
        timer = setInterval(() => void poll().catch((err: unknown) => log.error("poll failed", { error: err })), config.pollIntervalSeconds * 1000);
        timer.unref();
      }
      const addr = server.address() as AddressInfo;
      log.info("alipayhk-woo listening", { port: addr.port, publicUrl: config.publicUrl });
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
