import { formatAmount, toMinorUnits, type MinorUnits } from "@alipayhk/core";
import type { Logger } from "./log.js";
import { ok, refuse, type Result } from "./result.js";
import { REFUND_MARKER } from "./trade-events.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";

/**
 * Why a refund the WordPress plugin asked for was not executed; nothing reached Alipay.
 * - `unknown_refund`: WooCommerce has no such refund on that order;
 * - `woo_unavailable`: WooCommerce could not be asked (retry);
 * - `amount_mismatch`: WooCommerce's refund is for another amount (or an unreadable one);
 * - `bridge_refund`: the bridge itself recorded that refund (it is never executed again);
 * - `not_paid`: the bridge recorded no Alipay HK payment for the order.
 */
export type WcRefundRefusalReason = "unknown_refund" | "woo_unavailable" | "amount_mismatch" | "bridge_refund" | "not_paid";

/**
 * Reads a refund back from WooCommerce and checks it is that order's, for that amount, and not
 * one the bridge recorded itself: untrusted input (the plugin's call) changes nothing until then.
 */
export async function confirmWcRefund(
  woo: WooClient,
  log: Logger,
  orderId: number,
  refundId: number,
  amount: MinorUnits,
): Promise<Result<void, Exclude<WcRefundRefusalReason, "not_paid">>> {
  const unknown = refuse("unknown_refund", `refund_id: WooCommerce has no refund ${refundId} on order ${orderId}; nothing executed`);
  let refund;
  try {
    refund = await woo.getRefund(orderId, refundId);
  } catch (err) {
    if (err instanceof WooError && (err.status === 404 || err.status === 400)) return unknown;
    log.error("could not read a refund back from WooCommerce", { orderId, refundId, error: err });
    return refuse("woo_unavailable", "WooCommerce could not be asked about this refund; nothing executed, try again");
  }
  if (refund.id !== refundId) return unknown;
  let wcAmount: MinorUnits;
  try {
    wcAmount = toMinorUnits(String(refund.amount).replace(/^-/, ""), "refund.amount");
  } catch {
    return refuse("amount_mismatch", `amount: WooCommerce's refund ${refundId} has an unreadable amount; nothing executed`);
  }
  if (wcAmount !== amount) {
    return refuse(
      "amount_mismatch",
      `amount: WooCommerce's refund ${refundId} is HKD ${formatAmount(wcAmount)}, not HKD ${formatAmount(amount)}; nothing executed`,
    );
  }
  if (refund.meta_data.some((m) => m.key === REFUND_MARKER)) {
    return refuse("bridge_refund", `refund_id: refund ${refundId} was recorded by the bridge itself; nothing executed`);
  }
  return ok(undefined);
}
