import { formatAmount } from "@alipayhk/core";
import { safeUrl } from "../log";
import type { DeliveryRecord, EventRecord, OrderRecord, RefundRecord } from "../store/records";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function refundView(refund: RefundRecord): Record<string, unknown> {
  return {
    order_id: refund.orderId,
    return_id: refund.returnId,
    partner_refund_id: refund.partnerRefundId,
    amount: formatAmount(refund.amount),
    status: refund.status,
    code: refund.code,
    reason: refund.reason,
    created_at: iso(refund.createdAt),
    updated_at: iso(refund.updatedAt),
  };
}

/** An order as the API returns it; `refunds` when they were loaded. */
export function orderView(order: OrderRecord, baseUrl: string, refunds?: RefundRecord[]): Record<string, unknown> {
  const view: Record<string, unknown> = {
    order_id: order.orderId,
    mode: order.mode,
    status: order.status,
    amount: formatAmount(order.amount),
    currency: order.currency,
    description: order.description,
    partner_trans_id: order.partnerTransId,
    attempt: order.attempt,
    qr_code: order.qrCode,
    qr_image_url: order.qrCode ? `${baseUrl}/v1/orders/${encodeURIComponent(order.orderId)}/qr.svg` : undefined,
    expires_at: order.mode === "qr" ? iso(order.expiresAt) : undefined,
    alipay_trans_id: order.alipayTransId,
    payment_inst: order.paymentInst,
    buyer_login_id: order.buyerLoginId,
    paid_at: iso(order.paidAt),
    failure_code: order.failureCode,
    reversed: order.status === "canceled" ? order.reversed : undefined,
    flag: order.flag,
    created_at: iso(order.createdAt),
    updated_at: iso(order.updatedAt),
  };
  if (refunds) {
    const refunded = refunds.filter((r) => r.status === "succeeded").reduce((sum, r) => sum + r.amount, 0);
    const committed = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
    view.refunded_amount = formatAmount(refunded);
    view.refundable_amount = formatAmount(order.status === "paid" ? Math.max(0, (order.paidAmount ?? order.amount) - committed) : 0);
    view.refunds = refunds.map(refundView);
  }
  return view;
}

function deliveryView(delivery: DeliveryRecord): Record<string, unknown> {
  return {
    endpoint: safeUrl(delivery.endpoint),
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.status === "pending" ? iso(delivery.nextAttemptAt) : undefined,
    last_attempt_at: iso(delivery.lastAttemptAt),
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    delivered_at: iso(delivery.deliveredAt),
  };
}

export function eventView(event: EventRecord): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    order_id: event.orderId,
    created_at: iso(event.createdAt),
    payload: JSON.parse(event.payload) as unknown,
    deliveries: event.deliveries.map(deliveryView),
  };
}
