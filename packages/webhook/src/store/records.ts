import type { MinorUnits } from "@alipayhk/core";
import type { Row } from "./db";

export type OrderMode = "qr" | "barcode";
/**
 * - `pending`: QR shown and not paid yet, or a barcode charge whose outcome is still open;
 * - `paid`: the buyer was charged (refunds are listed beside it);
 * - `failed`: a barcode charge that took no money (declined, or cancelled after an open outcome): a retry uses a fresh trade id;
 * - `canceled`: closed unpaid, expired, or cancelled by the platform (reversed or refunded when it had been paid).
 */
export type OrderStatus = "pending" | "paid" | "failed" | "canceled";
export type RefundStatus = "pending" | "succeeded" | "failed";
export type OrderFlag = "payment_mismatch";

export interface OrderRecord {
  orderId: string;
  mode: OrderMode;
  amount: MinorUnits;
  currency: string;
  description: string;
  /** An extra endpoint for this order's events. */
  notifyUrl?: string;
  status: OrderStatus;
  /** The Alipay `partner_trans_id` / `out_trade_no` of the current attempt. */
  partnerTransId: string;
  attempt: number;
  qrCode?: string;
  expiresAt?: number;
  alipayTransId?: string;
  paymentInst?: string;
  buyerLoginId?: string;
  paidAmount?: MinorUnits;
  paidAt?: number;
  failureCode?: string;
  /** A paid trade that was cancelled on its day: the buyer got everything back. */
  reversed: boolean;
  /**
   * Set when the order needs a person: `payment_mismatch` (Alipay reported a payment whose amount
   * or currency differs from the order; the order stays unpaid).
   */
  flag?: OrderFlag;
  /** What the flag is about, for the person (JSON of the reported facts). */
  flagDetail?: string;
  createdAt: number;
  updatedAt: number;
}

export interface RefundRecord {
  orderId: string;
  returnId: string;
  partnerRefundId: string;
  amount: MinorUnits;
  status: RefundStatus;
  code?: string;
  /** Part of the refund request's content: sent with it, and resent identically. */
  reason?: string;
  createdAt: number;
  updatedAt: number;
}

/** A trade id cancelled before the gateway knew it: watched until `until` for a late charge. */
export interface WatchRecord {
  partnerTransId: string;
  orderId: string;
  amount: MinorUnits;
  until: number;
  nextSweepAt: number;
  createdAt: number;
}

export type EventType =
  | "payment.succeeded"
  | "payment.failed"
  | "payment.canceled"
  | "refund.succeeded"
  | "refund.failed"
  | "order.payment_mismatch"
  | "order.late_charge";
export const EVENT_TYPES: readonly EventType[] = [
  "payment.succeeded",
  "payment.failed",
  "payment.canceled",
  "refund.succeeded",
  "refund.failed",
  "order.payment_mismatch",
  "order.late_charge",
];

export type DeliveryStatus = "pending" | "delivered" | "dead";

export interface DeliveryRecord {
  id: string;
  eventId: string;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: number;
  lastAttemptAt?: number;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: number;
}

export interface EventRecord {
  id: string;
  type: EventType;
  orderId: string;
  /** The exact JSON body sent: `{"type","timestamp","data"}`. */
  payload: string;
  createdAt: number;
  deliveries: DeliveryRecord[];
}

const text = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));
const int = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

export function toOrder(row: Row): OrderRecord {
  return {
    orderId: String(row.order_id),
    mode: row.mode as OrderMode,
    amount: Number(row.amount),
    currency: String(row.currency),
    description: String(row.description),
    notifyUrl: text(row.notify_url),
    status: row.status as OrderStatus,
    partnerTransId: String(row.partner_trans_id),
    attempt: Number(row.attempt),
    qrCode: text(row.qr_code),
    expiresAt: int(row.expires_at),
    alipayTransId: text(row.alipay_trans_id),
    paymentInst: text(row.payment_inst),
    buyerLoginId: text(row.buyer_login_id),
    paidAmount: int(row.paid_amount),
    paidAt: int(row.paid_at),
    failureCode: text(row.failure_code),
    reversed: Number(row.reversed) === 1,
    flag: text(row.flag) as OrderFlag | undefined,
    flagDetail: text(row.flag_detail),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toRefund(row: Row): RefundRecord {
  return {
    orderId: String(row.order_id),
    returnId: String(row.return_id),
    partnerRefundId: String(row.partner_refund_id),
    amount: Number(row.amount),
    status: row.status as RefundStatus,
    code: text(row.code),
    reason: text(row.reason),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toWatch(row: Row): WatchRecord {
  return {
    partnerTransId: String(row.partner_trans_id),
    orderId: String(row.order_id),
    amount: Number(row.amount),
    until: Number(row.until_at),
    nextSweepAt: Number(row.next_sweep_at),
    createdAt: Number(row.created_at),
  };
}

export function toDelivery(row: Row): DeliveryRecord {
  return {
    id: String(row.id),
    eventId: String(row.event_id),
    endpoint: String(row.endpoint),
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: int(row.next_attempt_at),
    lastAttemptAt: int(row.last_attempt_at),
    lastStatus: int(row.last_status),
    lastError: text(row.last_error),
    deliveredAt: int(row.delivered_at),
  };
}
