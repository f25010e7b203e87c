import { html, json, redirect, type Route } from "@alipayhk/service-kit";
import type { Logger } from "../log.js";
import type { PaymentService } from "../payments.js";
import { renderMessagePage, renderPaymentPage } from "./hosted-page.js";
import { orderIdParam, refusalError } from "./refusals.js";

/**
 * The buyer's routes: the hosted QR page (an HTML page whatever happens, since a person reads it)
 * and the live status its script follows.
 */
export function payRoutes(o: { payments: PaymentService; log: Logger }): Route[] {
  return [
    {
      method: "GET",
      path: "/pay/:orderId",
      handle: async (ctx) => {
        const orderId = orderIdParam(ctx);
        const key = ctx.url.searchParams.get("key") ?? "";
        try {
          const prepared = await o.payments.preparePayment(orderId, key);
          if (!prepared.ok) {
            const error = refusalError(prepared);
            return html(error.status, renderMessagePage("Alipay HK", error.message), error.headers);
          }
          const view = prepared.value;
          if (view.kind === "paid") return redirect(view.redirect, { "cache-control": "no-store" });
          const body = view.kind === "qr" ? await renderPaymentPage(view, key) : renderMessagePage("Alipay HK", view.message);
          return html(200, body, { "referrer-policy": "no-referrer" });
        } catch (err) {
          o.log.error("payment page failed", { orderId, error: err });
          return html(502, renderMessagePage("Alipay HK", "The payment page is unavailable right now; please try again shortly."));
        }
      },
    },
    {
      method: "GET",
      path: "/pay/:orderId/status",
      handle: async (ctx) => {
        const status = await o.payments.pageStatus(orderIdParam(ctx), ctx.url.searchParams.get("key") ?? "");
        if (!status.ok) throw refusalError(status);
        return json(200, status.value);
      },
    },
  ];
}
