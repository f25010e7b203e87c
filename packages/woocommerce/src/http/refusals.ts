import { HttpError, notFound, type RequestContext } from "@alipayhk/service-kit";
import type { PaymentRefusalReason } from "../payments.js";
import type { Refusal } from "../result.js";
import type { WcRefundRefusalReason } from "../refund-confirmation.js";

/** Every reason domain code refuses with, as the HTTP status and stable error code it is answered with. */
const ANSWERS: Record<PaymentRefusalReason | WcRefundRefusalReason, { status: number; code: string; headers?: Record<string, string> }> = {
  not_found: { status: 404, code: "not_found" },
  not_alipayhk: { status: 409, code: "not_alipayhk" },
  not_payable: { status: 409, code: "not_payable" },
  wrong_currency: { status: 409, code: "currency" },
  already_paid: { status: 409, code: "already_paid" },
  previous_attempt_open: { status: 503, code: "retry", headers: { "retry-after": "5" } },
  unknown_refund: { status: 404, code: "unknown_refund" },
  woo_unavailable: { status: 502, code: "woo_unavailable" },
  amount_mismatch: { status: 409, code: "amount_mismatch" },
  bridge_refund: { status: 409, code: "bridge_refund" },
  not_paid: { status: 409, code: "not_paid" },
};

/** The HTTP answer to a domain refusal: its status, code and one-line message. */
export function refusalError(refusal: Refusal<PaymentRefusalReason | WcRefundRefusalReason>): HttpError {
  const answer = ANSWERS[refusal.reason];
  return new HttpError(answer.status, answer.code, refusal.message, answer.headers);
}

/** The `:orderId` path parameter: a WooCommerce order id, else 404 (the link is not valid). */
export function orderIdParam(ctx: RequestContext): number {
  const raw = ctx.params.orderId ?? "";
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw notFound("not_found", "No such order, or the link is not valid.");
  return Number(raw);
}
