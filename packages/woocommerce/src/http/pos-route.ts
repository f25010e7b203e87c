import { isBuyerCode } from "@alipayhk/core";
import { badRequest, json, parseJsonObject, unauthorized, type RequestContext, type Route } from "@alipayhk/service-kit";
import { sameKey, type PaymentService } from "../payments.js";
import { orderIdParam, refusalError } from "./refusals.js";

/**
 * `POST /orders/:orderId/barcode` for a POS: bearer `BRIDGE_API_TOKEN` only (the plugin's secret
 * is no bearer token). 200 paid, 402 failed or cancelled, 202 unresolved (the sweep finishes it).
 */
export function posRoute(o: { payments: PaymentService; apiToken: string | undefined }): Route {
  const requireToken = (ctx: RequestContext) => {
    if (o.apiToken === undefined) throw unauthorized("unauthorized", "the POS route is off: set BRIDGE_API_TOKEN on the bridge");
    const header = ctx.req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token || !sameKey(token, o.apiToken)) throw unauthorized("unauthorized", "missing or wrong bearer token");
  };
  return {
    method: "POST",
    path: "/orders/:orderId/barcode",
    handle: async (ctx) => {
      requireToken(ctx);
      const body = parseJsonObject(await ctx.body());
      const code = typeof body.buyer_code === "string" ? body.buyer_code.trim() : "";
      if (!isBuyerCode(code)) throw badRequest("invalid_body", "buyer_code: expected the 16-24 digit code from the buyer's wallet, starting 25-30");
      const result = await o.payments.payByBarcode(orderIdParam(ctx), code);
      if (!result.ok) throw refusalError(result);
      const outcome = result.value;
      return json(outcome.status === "paid" ? 200 : outcome.status === "unresolved" ? 202 : 402, outcome);
    },
  };
}
