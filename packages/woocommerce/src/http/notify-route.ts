import { checkNotification, type AlipayHkClient } from "@alipayhk/core";
import { text, type Route } from "@alipayhk/service-kit";
import type { Logger } from "../log.js";
import type { PaymentService } from "../payments.js";
import type { BridgeStore } from "../store.js";
import { WooError } from "../woo/errors.js";

/**
 * `POST /alipay/notify`: Alipay's asynchronous notification, answered `success` once applied.
 * Evidence, not a fact: core checks the raw body's signature, the partner, trade, amount and
 * currency, and confirms with a query (or an identical refund resend) before anything changes.
 */
export function notifyRoute(o: { alipay: AlipayHkClient; store: BridgeStore; payments: PaymentService; log: Logger }): Route {
  return {
    method: "POST",
    path: "/alipay/notify",
    handle: async (ctx) => {
      const check = await checkNotification(o.alipay, await ctx.body(), {
        findTrade: (id) => {
          const trade = o.store.getTrade(id);
          return trade ? { amount: trade.amountCents } : undefined;
        },
        findRefund: (id) => {
          const refund = o.store.getRefundByPartnerRefundId(id);
          return refund
            ? { partnerTransId: refund.partnerTransId, platformRefundId: refund.refundKey, amount: refund.amountCents, reason: refund.reason ?? undefined }
            : undefined;
        },
      });
      if (!check.accepted) {
        o.log.warn("alipay notification refused; nothing changed", { refusal: check.refusal, reason: check.message, partnerTransId: check.partnerTransId });
        // Alipay reads only the body: `fail` makes it resend (a retryable refusal gets 503 for proxies' logs).
        return text(check.retryable ? 503 : 400, "fail");
      }
      const notification = check.notification;
      o.store.recordNotification(notification.notifyId, notification.partnerTransId ?? null, notification.tradeStatus ?? null);
      try {
        await o.payments.applyAll(check.events, "notification");
      } catch (err) {
        // The trade is stored as paid before WooCommerce is called: the poll finishes the job.
        if (!(err instanceof WooError)) throw err;
        o.log.error("notification stored; WooCommerce update failed and will be retried by the poll", { error: err });
      }
      return text(200, "success");
    },
  };
}
