import { formatAmount, type LateChargeEvent, type TradeEvent } from "@alipayhk/core";
import type { Logger } from "./log";
import type { OrderRecord, WatchRecord } from "./store/records";
import type { Store } from "./store/store";

/** The return id of the refund a late cancel makes; `~` cannot appear in a platform's return id. */
export const CANCEL_RETURN_ID = "~cancel";
/** The reason sent with (and resent with) the refund a late cancel makes. */
export const CANCEL_REFUND_REASON = "order cancelled";

/** What applying an event needs besides the store (a transaction). */
export interface ApplyContext {
  store: Store;
  logger: Logger;
  sweepIntervalMs: number;
  now: number;
}

type Found = { order: OrderRecord; watch?: WatchRecord };
type EventOf<T extends TradeEvent["type"]> = Extract<TradeEvent, { type: T }>;

/**
 * Records one verified trade event (from a flow, the sweep or a notification) with its outbound
 * events. Idempotent: every change is conditional on the state it leaves. No Alipay rule lives
 * here: core decided what happened; this only records it.
 */
export async function applyTradeEvent(context: ApplyContext, event: TradeEvent): Promise<void> {
  const found = await context.store.orderOfTrade(event.partnerTransId);
  if (!found) {
    context.logger.log("warn", "trade event about a trade that is not this store's", {
      partner_trans_id: event.partnerTransId,
      type: event.type,
      source: event.source,
    });
    return;
  }
  switch (event.type) {
    case "trade.paid":
      return applyPaid(context, found, event);
    case "trade.mismatch":
      return applyMismatch(context, found, event);
    case "trade.failed":
      if (!found.watch) await context.store.markFailed(event.partnerTransId, event.code, "declined", context.now);
      return;
    case "trade.closed":
      return applyClosed(context, found, event);
    case "trade.open":
      // The live request ended with the outcome open: the sweep takes over now.
      if (event.source === "barcode") {
        context.logger.log("warn", "barcode charge unresolved; the sweep will settle it", {
          order_id: found.order.orderId,
          partner_trans_id: event.partnerTransId,
          reason: event.reason,
        });
        await context.store.scheduleSweep(event.partnerTransId, context.now);
      }
      return;
    case "refund.succeeded":
    case "refund.failed":
    case "refund.pending":
      return applyRefund(context, found, event);
    case "late_charge.found":
      return applyLateCharge(context, found, event);
    case "watch.ended":
      if (found.watch) await context.store.endWatch(event.partnerTransId);
      return;
  }
}

async function applyPaid({ store, logger, now }: ApplyContext, { order, watch }: Found, event: EventOf<"trade.paid">): Promise<void> {
  const id = event.partnerTransId;
  // A charge under a watched (cancelled) id is the watch's to give back.
  if (watch) return;
  const paid = await store.markPaid(
    id,
    { alipayTransId: event.alipayTransId, paymentInst: event.paymentInst, buyerLoginId: event.buyerLoginId, paidAt: event.paidAt },
    now,
  );
  if (paid) return;
  // Not pending any more. Read it again: another instance may have just marked it paid.
  const current = await store.getOrderByTrade(id);
  if (current && (current.status === "canceled" || current.status === "failed") && current.paidAt === undefined) {
    // Money under an order this store settled as never paid: a late payment. Watch the id,
    // so the sweep gives it back and reports it (order.late_charge). A paid-then-cancelled
    // order's money was already handled by its cancel (reversal or refund).
    logger.log("error", "payment for an order that is no longer open; it will be given back", {
      order_id: order.orderId,
      partner_trans_id: id,
      status: current.status,
    });
    await store.addWatch({ partnerTransId: id, orderId: order.orderId, amount: order.amount, until: now }, now, now);
  }
}

async function applyMismatch({ store, logger, now }: ApplyContext, { order, watch }: Found, event: EventOf<"trade.mismatch">): Promise<void> {
  if (watch) return;
  const reported = event.reportedAmount === undefined ? undefined : formatAmount(event.reportedAmount);
  logger.log("error", "reported payment differs from the order; not marked paid, flagged for a person", {
    order_id: order.orderId,
    partner_trans_id: event.partnerTransId,
    order_amount: formatAmount(event.expectedAmount),
    reported_amount: reported,
    reported_currency: event.reportedCurrency,
  });
  await store.flagMismatch(
    event.partnerTransId,
    {
      expected_amount: formatAmount(event.expectedAmount),
      reported_amount: reported,
      reported_currency: event.reportedCurrency,
      alipay_trans_id: event.alipayTransId,
      source: event.source,
    },
    now,
  );
}

async function applyClosed({ store, sweepIntervalMs, now }: ApplyContext, { order, watch }: Found, event: EventOf<"trade.closed">): Promise<void> {
  const id = event.partnerTransId;
  if (watch && event.source === "cancel") {
    // The platform cancels an order whose id is on the late-charge watch: the order is
    // cancelled now (not left to the watch), and a charge that this cancel reversed is the
    // late charge the watch was waiting for: reported and given back.
    await store.markCanceled(id, { reason: "canceled", reversed: event.reversed, from: ["pending", "paid", "failed"] }, now);
    if (event.reversed) {
      await store.recordLateCharge(watch, { amount: formatAmount(watch.amount), resolution: "reversed" }, now);
      await store.endWatch(id);
    }
  } else if (!watch) {
    if (event.source === "cancel" || event.cause === "canceled") {
      await store.markCanceled(id, { reason: "canceled", reversed: event.reversed, from: ["pending", "paid", "failed"] }, now);
    } else if (order.mode === "barcode") {
      await store.markFailed(id, event.reversed ? "REVERSED" : "CANCELED", "outcome unknown; cancelled, no money kept", now);
    } else {
      await store.markCanceled(id, { reason: "expired", reversed: event.reversed, from: ["pending"] }, now);
    }
  }
  if (event.watchUntil) {
    // Cancelled before the gateway knew the id: a delayed charge could still land on it.
    await store.addWatch({ partnerTransId: id, orderId: order.orderId, amount: order.amount, until: event.watchUntil.getTime() }, now + sweepIntervalMs, now);
  }
}

async function applyRefund(
  { store, logger, sweepIntervalMs, now }: ApplyContext,
  { order }: Found,
  event: EventOf<"refund.succeeded" | "refund.failed" | "refund.pending">,
): Promise<void> {
  const refund = (await store.refundsOf(order.orderId)).find((r) => r.returnId === event.platformRefundId);
  if (!refund) {
    // The cancel's fallback refund is recorded with the cancel it completes.
    if (event.platformRefundId === CANCEL_RETURN_ID && event.type !== "refund.failed") {
      await store.markCanceled(
        event.partnerTransId,
        {
          reason: "canceled",
          reversed: false,
          from: ["pending", "paid", "failed"],
          fallbackRefund: {
            returnId: CANCEL_RETURN_ID,
            partnerRefundId: event.partnerRefundId,
            amount: event.amount,
            status: event.type === "refund.succeeded" ? "succeeded" : "pending",
          },
        },
        now,
      );
      await store.setRefundReason(order.orderId, CANCEL_RETURN_ID, CANCEL_REFUND_REASON);
    }
    return;
  }
  if (event.type === "refund.pending") {
    // Never failed: resent (identical content) by the sweep.
    await store.refundStillOpen(order.orderId, refund.returnId, event.reason, now + sweepIntervalMs, now);
    return;
  }
  const settled = await store.settleRefundFact(
    order.orderId,
    refund.returnId,
    { status: event.type === "refund.succeeded" ? "succeeded" : "failed", code: event.type === "refund.failed" ? event.code : undefined },
    now,
  );
  if (settled?.corrected) {
    logger.log("warn", "a refund reported failed went through after all; refund.succeeded corrects it", {
      order_id: order.orderId,
      return_id: refund.returnId,
      source: event.source,
    });
  }
}

async function applyLateCharge({ store, logger, now }: ApplyContext, { order, watch }: Found, event: LateChargeEvent): Promise<void> {
  if (!watch) return;
  logger.log(event.resolution === "reversed" || event.resolution === "refunded" ? "warn" : "error", "late charge under a cancelled trade id", {
    order_id: order.orderId,
    partner_trans_id: event.partnerTransId,
    resolution: event.resolution,
    code: event.code,
  });
  await store.recordLateCharge(
    watch,
    {
      amount: event.amount === undefined ? undefined : formatAmount(event.amount),
      alipay_trans_id: event.alipayTransId,
      resolution: event.resolution,
      code: event.code,
    },
    now,
  );
  // Given back, or beyond what the sweep can do (a person takes over): the watch is over.
  if (event.resolution !== "pending") await store.endWatch(event.partnerTransId);
}
