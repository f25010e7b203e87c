import { formatAmount, parseHkdAmount } from "@alipayhk/core";
import { badRequest, html, json, parseJsonObject, unauthorized, type RequestContext, type Route } from "@alipayhk/service-kit";
import { PluginAuthError, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyPluginLink, verifyPluginRequest } from "../plugin-auth.js";
import type { BridgeStore } from "../store.js";
import type { WooSync } from "../sync.js";
import { renderOrderPaymentPage } from "./hosted-page.js";
import { orderIdParam, refusalError } from "./refusals.js";

/**
 * The WordPress plugin's routes, authenticated by an HMAC keyed by `WOO_PLUGIN_SECRET` (never a
 * bearer token): its refund call, and the transaction link it shows a shop manager.
 */
export function pluginRoutes(o: { pluginSecret: string; sync: WooSync; store: BridgeStore }): Route[] {
  /** Checks the signature over the raw body; a refusal is a 401 naming the header at fault. */
  const requireSignature = (ctx: RequestContext, body: Buffer) => {
    const header = (name: string) => {
      const v = ctx.req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    authenticated(() =>
      verifyPluginRequest(
        o.pluginSecret,
        { method: ctx.req.method ?? "", path: ctx.url.pathname, body, timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER) },
        new Date(),
      ),
    );
  };
  return [
    {
      method: "POST",
      path: "/woocommerce/refund",
      handle: async (ctx) => {
        const raw = await ctx.body();
        requireSignature(ctx, raw);
        const body = parseJsonObject(raw);
        const orderId = Number(body.order_id);
        const refundId = Number(body.refund_id);
        if (!Number.isInteger(orderId) || orderId <= 0 || !Number.isInteger(refundId) || refundId <= 0) {
          throw badRequest("invalid_body", "order_id and refund_id: expected WooCommerce ids");
        }
        let amount: number;
        try {
          amount = parseHkdAmount(String(body.amount ?? ""), "amount");
        } catch (err) {
          throw badRequest("invalid_body", (err as Error).message);
        }
        const executed = await o.sync.executeRequestedWcRefund(orderId, refundId, amount, typeof body.reason === "string" ? body.reason : "");
        if (!executed.ok) throw refusalError(executed);
        const record = executed.value;
        const status = record.status;
        return json(status === "succeeded" ? 200 : status === "pending" ? 202 : 422, {
          status,
          partner_refund_id: record.partnerRefundId,
          message:
            status === "succeeded"
              ? "refunded at Alipay HK"
              : status === "pending"
                ? "Alipay has not confirmed yet; the bridge keeps retrying"
                : `Alipay refused: ${record.lastError}`,
        });
      },
    },
    {
      method: "GET",
      path: "/woocommerce/orders/:orderId/payment",
      handle: (ctx) => {
        const orderId = orderIdParam(ctx);
        authenticated(() =>
          verifyPluginLink(
            o.pluginSecret,
            { path: ctx.url.pathname, expires: ctx.url.searchParams.get("expires"), signature: ctx.url.searchParams.get("signature") },
            new Date(),
          ),
        );
        const trades = o.store.tradesForOrder(orderId).map((t) => ({ ...t, amount: formatAmount(t.amountCents) }));
        const refunds = o.store.refundsForOrder(orderId).map((r) => ({ ...r, amount: formatAmount(r.amountCents) }));
        return html(200, renderOrderPaymentPage(orderId, trades, refunds), { "referrer-policy": "no-referrer" });
      },
    },
  ];
}

function authenticated(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof PluginAuthError) throw unauthorized("unauthorized", err.message);
    throw err;
  }
}
