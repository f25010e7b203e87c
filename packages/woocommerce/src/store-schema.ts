/**
 * The bridge's records as the store hands them out, and how they are kept in SQLite: the
 * migrations (run in order; `user_version` counts those applied) and the row mappers.
 */

/** One Alipay trade (a precreate QR or a barcode payment) made for a WooCommerce order. */
export interface TradeRecord {
  /** Alipay `out_trade_no` / `partner_trans_id`. */
  partnerTransId: string;
  orderId: number;
  kind: "qr" | "barcode";
  amountCents: number;
  qrCode: string | null;
  /** ISO-8601 UTC. */
  expiresAt: string | null;
  status: TradeStatus;
  alipayTransId: string | null;
  paidAt: string | null;
  /**
   * ISO-8601 UTC: a barcode id cancelled before the gateway knew it; a delayed charge could still
   * arrive under it until then, so the poll watches it (core's late-charge watch).
   */
  watchUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * `open`: may still be paid. `paid`: money taken. `closed`: unpaid and closed/expired.
 * `reversed`: paid, then cancelled the same day. `refunded`: paid, then refunded in full by the
 * bridge. `failed`: Alipay refused it. `unresolved`: outcome unknown, kept for the sweep.
 */
export type TradeStatus = "open" | "paid" | "closed" | "reversed" | "refunded" | "failed" | "unresolved";

/**
 * What the bridge knows about a WooCommerce order. `awaiting`: unpaid. `paid`: one trade paid and
 * WooCommerce records it. `late_refunded` / `late_flagged`: money arrived after WooCommerce stopped
 * taking payment and the late-payment policy ran. `cancelled`: cancelled in WooCommerce and at Alipay.
 */
export type OrderState = "awaiting" | "paid" | "late_refunded" | "late_flagged" | "cancelled";

export interface OrderRecord {
  orderId: number;
  orderKey: string;
  amountCents: number;
  state: OrderState;
  /** The trade whose payment WooCommerce records. */
  paidTransId: string | null;
  /** Where the customer goes once paid (WooCommerce's order-received page with the order key). */
  thankYouUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

export type RefundOrigin = "woocommerce" | "bridge";
export type RefundStatus = "pending" | "succeeded" | "failed";

export interface RefundRecord {
  /** `wc-{order}-{refund}` for a WooCommerce refund, or a bridge id such as `late-{partnerTransId}`. */
  refundKey: string;
  orderId: number;
  partnerTransId: string;
  /** The WooCommerce refund this executes (origin `woocommerce`), or the one recording it (origin `bridge`). */
  wcRefundId: number | null;
  amountCents: number;
  origin: RefundOrigin;
  status: RefundStatus;
  partnerRefundId: string | null;
  /** Part of the request's content: every resend of the refund carries the same reason. */
  reason: string | null;
  tries: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE orders (
    order_id      INTEGER PRIMARY KEY,
    order_key     TEXT    NOT NULL,
    amount_cents  INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'awaiting',
    paid_trans_id TEXT,
    thank_you_url TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
  );
  CREATE TABLE trades (
    partner_trans_id TEXT    PRIMARY KEY,
    order_id         INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('qr', 'barcode')),
    amount_cents     INTEGER NOT NULL,
    qr_code          TEXT,
    expires_at       TEXT,
    status           TEXT    NOT NULL DEFAULT 'open',
    alipay_trans_id  TEXT,
    paid_at          TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
  );
  CREATE INDEX trades_by_order ON trades (order_id);
  CREATE INDEX trades_by_status ON trades (status);
  CREATE TABLE refunds (
    refund_key        TEXT    PRIMARY KEY,
    order_id          INTEGER NOT NULL,
    partner_trans_id  TEXT    NOT NULL,
    wc_refund_id      INTEGER UNIQUE,
    amount_cents      INTEGER NOT NULL,
    origin            TEXT    NOT NULL CHECK (origin IN ('woocommerce', 'bridge')),
    status            TEXT    NOT NULL DEFAULT 'pending',
    partner_refund_id TEXT,
    tries             INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
  );
  CREATE INDEX refunds_by_order ON refunds (order_id);
  CREATE TABLE notifications (
    notify_id        TEXT PRIMARY KEY,
    partner_trans_id TEXT,
    trade_status     TEXT,
    received_at      TEXT NOT NULL
  );
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  ALTER TABLE refunds ADD COLUMN reason TEXT;
  ALTER TABLE trades ADD COLUMN watch_until TEXT;
  CREATE INDEX trades_by_watch ON trades (watch_until) WHERE watch_until IS NOT NULL;
  `,
];

export interface OrderRow {
  order_id: number;
  order_key: string;
  amount_cents: number;
  state: OrderState;
  paid_trans_id: string | null;
  thank_you_url: string | null;
  created_at: string;
  updated_at: string;
}
export interface TradeRow {
  partner_trans_id: string;
  order_id: number;
  kind: "qr" | "barcode";
  amount_cents: number;
  qr_code: string | null;
  expires_at: string | null;
  status: TradeStatus;
  alipay_trans_id: string | null;
  paid_at: string | null;
  watch_until: string | null;
  created_at: string;
  updated_at: string;
}
export interface RefundRow {
  refund_key: string;
  order_id: number;
  partner_trans_id: string;
  wc_refund_id: number | null;
  amount_cents: number;
  origin: RefundOrigin;
  status: RefundStatus;
  partner_refund_id: string | null;
  reason: string | null;
  tries: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export const orderFromRow = (r: OrderRow): OrderRecord => ({
  orderId: r.order_id,
  orderKey: r.order_key,
  amountCents: r.amount_cents,
  state: r.state,
  paidTransId: r.paid_trans_id,
  thankYouUrl: r.thank_you_url,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
export const tradeFromRow = (r: TradeRow): TradeRecord => ({
  partnerTransId: r.partner_trans_id,
  orderId: r.order_id,
  kind: r.kind,
  amountCents: r.amount_cents,
  qrCode: r.qr_code,
  expiresAt: r.expires_at,
  status: r.status,
  alipayTransId: r.alipay_trans_id,
  paidAt: r.paid_at,
  watchUntil: r.watch_until,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
export const refundFromRow = (r: RefundRow): RefundRecord => ({
  refundKey: r.refund_key,
  orderId: r.order_id,
  partnerTransId: r.partner_trans_id,
  wcRefundId: r.wc_refund_id,
  amountCents: r.amount_cents,
  origin: r.origin,
  status: r.status,
  partnerRefundId: r.partner_refund_id,
  reason: r.reason,
  tries: r.tries,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
