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
  };
}

/** The body every endpoint receives, as the Standard Webhooks spec recommends: `{"type","timestamp","data"}`. */
export function eventPayload(type: EventType, createdAt: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
}
