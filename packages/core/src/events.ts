import type { MinorUnits } from "./amount";
import type { PaymentInst } from "./types";

/**
 * Where a trade event came from. Every source goes through core, which has already verified it:
 * a flow's signed reply, the sweep's query, a notification confirmed by a query, or the watch of
 * a cancelled id.
 */
export type TradeEventSource = "qr" | "barcode" | "refund" | "cancel" | "sweep" | "notification" | "watch";

interface EventBase {
  /** The merchant's trade id (`out_trade_no` / `partner_trans_id`). */
  partnerTransId: string;
  source: TradeEventSource;
}

interface RefundBase extends EventBase {
  /** The platform's refund id (the idempotency key the adapter chose). */
  platformRefundId: string;
  /** The `partner_refund_id` sent to Alipay (derived from the platform id). */
  partnerRefundId: string;
  amount: MinorUnits;
}

/** The trade is paid, for exactly the amount the store asked (core checked it). */
export interface TradePaidEvent extends EventBase {
  type: "trade.paid";
  amount: MinorUnits;
  currency: string;
  alipayTransId?: string;
  paymentInst?: PaymentInst;
  buyerLoginId?: string;
  buyerUserId?: string;
  paidAt?: Date;
}

/**
 * The trade holds no money: closed unpaid (`expired`, `canceled`), or cancelled while its outcome
 * was unknown (`outcome_unknown`); `reversed` when a charge existed and was given back.
 * `watchUntil`: the id was cancelled before the gateway knew it, so a delayed charge request could
 * still create a payment under it; the adapter keeps it on the late-charge watch until then.
 */
export interface TradeClosedEvent extends EventBase {
  type: "trade.closed";
  reversed: boolean;
  cause: "expired" | "canceled" | "outcome_unknown" | "closed_at_alipay";
  watchUntil?: Date;
}

/** Definitely not charged (a declined barcode charge). */
export interface TradeFailedEvent extends EventBase {
  type: "trade.failed";
  code: string;
}

/** Nothing is decided yet: the buyer has not paid, or the outcome is open (the sweep goes on). */
export interface TradeOpenEvent extends EventBase {
  type: "trade.open";
  reason?: string;
  /**
   * True when the gateway could not be asked (the query failed or timed out): nothing at all is
   * known about the trade, so an adapter must not act on it as if it were merely unpaid.
   */
  queryFailed?: boolean;
}

/**
 * Alipay reports a payment whose amount or currency differs from the trade the store created.
 * Never applied as paid: the adapter flags the order for a person.
 */
export interface TradeMismatchEvent extends EventBase {
  type: "trade.mismatch";
  expectedAmount: MinorUnits;
  reportedAmount?: MinorUnits;
  reportedCurrency?: string;
  alipayTransId?: string;
}

export interface RefundSucceededEvent extends RefundBase {
  type: "refund.succeeded";
  /**
   * Set when this refund stood in for a cancel that Alipay refused on a paid trade (`cancelOrder`'s
   * fallback): the refusal's code, for the record.
   */
  cancelCode?: string;
}

/** The refund was definitely not executed (the code says why). */
export interface RefundFailedEvent extends RefundBase {
  type: "refund.failed";
  code: string;
}

/** The refund's outcome is open; it is resent later with identical content. */
export interface RefundPendingEvent extends RefundBase {
  type: "refund.pending";
  reason: string;
}

/**
 * A charge arrived under an id the store had cancelled while its outcome was unknown (a late,
 * delayed request). Core gives it back automatically: `reversed` (cancelled on its day),
 * `refunded`, or still `pending` (the watch goes on); `failed` needs a person.
 */
export interface LateChargeEvent extends EventBase {
  type: "late_charge.found";
  amount?: MinorUnits;
  alipayTransId?: string;
  resolution: "reversed" | "refunded" | "pending" | "failed";
  code?: string;
}

/** The late-charge watch of a cancelled id is over: no late charge can arrive any more. */
export interface WatchEndedEvent extends EventBase {
  type: "watch.ended";
}

/**
 * The one vocabulary of verified facts about trades and refunds. Flows, the sweep and notification
 * checks produce these; each adapter applies them with a single `apply(event)` and decides no
 * Alipay rule of its own.
 */
export type TradeEvent =
  | TradePaidEvent
  | TradeClosedEvent
  | TradeFailedEvent
  | TradeOpenEvent
  | TradeMismatchEvent
  | RefundSucceededEvent
  | RefundFailedEvent
  | RefundPendingEvent
  | LateChargeEvent
  | WatchEndedEvent;

export type TradeEventType = TradeEvent["type"];

/** Refund events, narrowed. */
export type RefundEvent = RefundSucceededEvent | RefundFailedEvent | RefundPendingEvent;

export function isRefundEvent(event: TradeEvent): event is RefundEvent {
  return event.type === "refund.succeeded" || event.type === "refund.failed" || event.type === "refund.pending";
}

/**
 * Checks a reported payment against the trade the store created and returns the event to apply:
 * `trade.paid` when amount and currency match, else `trade.mismatch`. A missing amount is a
 * mismatch (never assumed).
 */
export function paidOrMismatch(
  expected: { partnerTransId: string; amount: MinorUnits; currency?: string },
  reported: {
    amount?: MinorUnits;
    currency?: string;
    alipayTransId?: string;
    paymentInst?: PaymentInst;
    buyerLoginId?: string;
    buyerUserId?: string;
    paidAt?: Date;
  },
  source: TradeEventSource,
): TradePaidEvent | TradeMismatchEvent {
  const currency = expected.currency ?? "HKD";
  // A reply that does not echo the currency is about the trade we created in HKD; one that names
  // another currency is not.
  const reportedCurrency = reported.currency ?? currency;
  if (reported.amount === undefined || reported.amount !== expected.amount || reportedCurrency.toUpperCase() !== currency.toUpperCase()) {
    return {
      type: "trade.mismatch",
      partnerTransId: expected.partnerTransId,
      source,
      expectedAmount: expected.amount,
      reportedAmount: reported.amount,
      reportedCurrency: reported.currency,
      alipayTransId: reported.alipayTransId,
    };
  }
  return {
    type: "trade.paid",
    partnerTransId: expected.partnerTransId,
    source,
    amount: expected.amount,
    currency,
    alipayTransId: reported.alipayTransId,
    paymentInst: reported.paymentInst,
    buyerLoginId: reported.buyerLoginId,
    buyerUserId: reported.buyerUserId,
    paidAt: reported.paidAt,
  };
}
