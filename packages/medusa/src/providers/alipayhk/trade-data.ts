import { PaymentSessionStatus } from "@medusajs/framework/utils";
import type { TradeDetails } from "@alipayhk/core";
import type { AlipayHkPaymentData } from "./types";

/** What the payment data records about the trade (`trade_status`), and how it maps to Medusa's session status. */
export type TradeStatus = NonNullable<AlipayHkPaymentData["trade_status"]>;

/** The one mapping from what we know of the trade to Medusa's session status. */
export function sessionStatusOf(status: TradeStatus | undefined): PaymentSessionStatus {
  switch (status) {
    case "paid":
      // Alipay settles a paid trade at once: Medusa records the payment as captured.
      return PaymentSessionStatus.CAPTURED;
    case "closed":
      return PaymentSessionStatus.CANCELED;
    case "failed":
      return PaymentSessionStatus.ERROR;
    default:
      // pending, unknown, unresolved: not decided yet, never reported as failed.
      return PaymentSessionStatus.PENDING;
  }
}

/** `payses_X` or `payses_X.2` (a trade re-created after an amount change) → `payses_X`. */
export function sessionIdOf(partnerTransId: string): string {
  const dot = partnerTransId.indexOf(".");
  return dot === -1 ? partnerTransId : partnerTransId.slice(0, dot);
}

/** The fields of a paid trade, as kept in the payment data (for the order page). */
export function tradeFields(details: Partial<TradeDetails>): Partial<AlipayHkPaymentData> {
  const fields: Partial<AlipayHkPaymentData> = {};
  if (details.alipayTransId) fields.alipay_trans_id = details.alipayTransId;
  if (details.paymentInst) fields.payment_inst = details.paymentInst;
  if (details.buyerLoginId) fields.buyer_login_id = details.buyerLoginId;
  if (details.paidAt) fields.paid_at = details.paidAt.toISOString();
  return fields;
}
