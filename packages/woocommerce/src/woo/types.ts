/**
 * The WooCommerce REST v3 shapes the bridge reads, built from the docs' property tables and the
 * fixtures. Only the fields the bridge uses are typed; WooCommerce sends many more, and newer
 * versions add keys, so every shape tolerates extra keys (`[extra: string]: unknown`).
 */

/** Order statuses WooCommerce accepts over REST (plus `checkout-draft`, which it may return). */
export const WC_ORDER_STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"] as const;
export type WcOrderStatus = (typeof WC_ORDER_STATUSES)[number];

/** One `meta_data` row. `value` may be any JSON value. */
export interface WcMeta {
  id?: number;
  key: string;
  value: unknown;
}

export interface WcLineItem {
  id: number;
  name: string;
  product_id: number;
  variation_id: number;
  quantity: number;
  subtotal: string;
  total: string;
  sku: string;
  price: number;
  meta_data: WcMeta[];
  [extra: string]: unknown;
}

/** `refunds[]` summary on an order; `total` is negative, e.g. `"-10.00"`. */
export interface WcOrderRefundSummary {
  id: number;
  reason: string;
  total: string;
}

export interface WcAddress {
  first_name: string;
  last_name: string;
  email?: string;
  phone?: string;
  [extra: string]: unknown;
}

export interface WcOrder {
  id: number;
  parent_id: number;
  number: string;
  order_key: string;
  created_via: string;
  status: WcOrderStatus;
  currency: string;
  /** Money is a decimal string with the store's decimals; never parse it as a float. */
  total: string;
  total_tax: string;
  customer_id: number;
  customer_note: string;
  billing: WcAddress;
  shipping: WcAddress;
  payment_method: string;
  payment_method_title: string;
  transaction_id: string;
  date_created: string | null;
  date_created_gmt: string | null;
  date_modified: string | null;
  date_modified_gmt: string | null;
  date_paid: string | null;
  date_paid_gmt: string | null;
  date_completed: string | null;
  date_completed_gmt: string | null;
  meta_data: WcMeta[];
  line_items: WcLineItem[];
  refunds: WcOrderRefundSummary[];
  /** Present in current WooCommerce, absent from the 3.0-era examples. */
  payment_url?: string;
  needs_payment?: boolean;
  [extra: string]: unknown;
}

export interface WcRefund {
  id: number;
  date_created: string | null;
  date_created_gmt: string | null;
  /** Positive decimal string, e.g. `"10.00"`. */
  amount: string;
  reason: string;
  refunded_by: number;
  /** `true` only when a WC gateway executed it (`api_refund`); absent on old WooCommerce. */
  refunded_payment?: boolean;
  meta_data: WcMeta[];
  [extra: string]: unknown;
}

export interface WcNote {
  id: number;
  author?: string;
  date_created: string | null;
  date_created_gmt: string | null;
  note: string;
  customer_note: boolean;
  [extra: string]: unknown;
}

export type WcWebhookStatus = "active" | "paused" | "disabled";

export interface WcWebhook {
  id: number;
  name: string;
  status: WcWebhookStatus;
  topic: string;
  resource: string;
  event: string;
  delivery_url: string;
  date_created?: string | null;
  date_modified?: string | null;
  [extra: string]: unknown;
}

/** One page of a list call, with WooCommerce's pagination headers read. */
export interface WcPage<T> {
  items: T[];
  /** `X-WP-Total` */
  total: number;
  /** `X-WP-TotalPages` */
  totalPages: number;
}
