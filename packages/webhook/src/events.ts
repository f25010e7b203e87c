import { createHash } from "node:crypto";
import { formatAmount } from "@alipayhk/core";
import type { EventType, OrderRecord, RefundRecord } from "./store/records";

/**
 * A stable event id: the same fact (this trade paid, this return refunded) always gets the same
 * id, so the notification, the sweep and a second instance that all learn it make one event, and
 * every retry of a delivery carries the same `webhook-id`.
 */
export function eventId(type: EventType, subject: string): string {
  return `evt_${createHash("sha256").update(`${type}\u0000${subject}`).digest("hex").slice(0, 32)}`;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** `data` of the `payment.*` events. */
export function paymentEventData(order: OrderRecord, extra: { reason?: string; code?: string } = {}): Record<string, unknown> {
  return {
    order_id: order.orderId,
    partner_trans_id: order.partnerTransId,
    mode: order.mode,
    amount: formatAmount(order.amount),
    currency: order.currency,
    status: order.status,
    alipay_trans_id: order.alipayTransId,
    payment_inst: order.paymentInst,
    paid_at: iso(order.paidAt),
    reversed: order.status === "canceled" ? order.reversed : undefined,
    code: extra.code,
    reason: extra.reason,
  };
}

/** `data` of the `refund.*` events. */
export function refundEventData(order: OrderRecord, refund: RefundRecord): Record<string, unknown> {
  return {
    order_id: order.orderId,
    return_id: refund.returnId,
    partner_trans_id: order.partnerTransId,
    partner_refund_id: refund.partnerRefundId,
    amount: formatAmount(refund.amount),
    currency: order.currency,
    status: refund.status,
    code: refund.code,
    reason: refund.reason,
  };
}

/** The body every endpoint receives, as the Standard Webhooks spec recommends: `{"type","timestamp","data"}`. */
export function eventPayload(type: EventType, createdAt: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
}

/** What `order.payment_mismatch` reports (Alipay's reported facts beside the order's). */
export interface MismatchFacts {
  expected_amount: string;
  reported_amount?: string;
  reported_currency?: string;
  alipay_trans_id?: string;
  source: string;
}

/** `data` of `order.payment_mismatch`: the order stays unpaid and is flagged for a person. */
export function mismatchEventData(order: OrderRecord, facts: MismatchFacts): Record<string, unknown> {
  return {
    order_id: order.orderId,
    partner_trans_id: order.partnerTransId,
    currency: order.currency,
    status: order.status,
    flag: "payment_mismatch",
    ...facts,
  };
}

/** What `order.late_charge` reports. */
export interface LateChargeFacts {
  amount?: string;
  alipay_trans_id?: string;
  /** `reversed` / `refunded`: given back; `pending`: not yet (still watched); `failed`: a person must act. */
  resolution: "reversed" | "refunded" | "pending" | "failed";
  code?: string;
}

/** `data` of `order.late_charge`: a charge that arrived under a cancelled trade id of the order. */
export function lateChargeEventData(order: OrderRecord, partnerTransId: string, facts: LateChargeFacts): Record<string, unknown> {
  return { order_id: order.orderId, partner_trans_id: partnerTransId, order_partner_trans_id: order.partnerTransId, currency: order.currency, ...facts };
}
