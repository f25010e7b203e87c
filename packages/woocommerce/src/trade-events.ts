import {
  cancelOrder,
  derivePartnerRefundId,
  formatAmount,
  getPaymentStatus,
  type AlipayHkClient,
  type CancelOrderResult,
  type CancelRetry,
  type TradeEvent,
} from "@alipayhk/core";
import type { LatePaymentPolicy } from "./config.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { Logger } from "./log.js";
import type { BridgeStore, RefundRecord, TradeRecord } from "./store.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";
import type { WcOrder } from "./woo/types.js";

/** Order meta written on refunds the bridge itself records in WooCommerce (never executed again). */
export const REFUND_MARKER = "alipayhk_refund_key";

/** Trade and buyer facts a verified payment carries (core's `trade.paid` event). */
export interface PaidFacts {
  alipayTransId?: string;
  paidAt?: Date;
}

export interface TradeEventsOptions {
  woo: WooClient;
  alipay: AlipayHkClient;
  store: BridgeStore;
  locks: KeyedMutex;
  log: Logger;
  latePaymentPolicy: LatePaymentPolicy;
  cancelRetry?: CancelRetry;
}

type RefundEvent = Extract<TradeEvent, { type: `refund.${string}` }>;
type LateChargeEvent = Extract<TradeEvent, { type: "late_charge.found" }>;
type MismatchEvent = Extract<TradeEvent, { type: "trade.mismatch" }>;

/**
 * The one place where Alipay facts change state: every notification, flow result and poll
 * decision reaches the store and WooCommerce through {@link TradeEvents.applyAll}, as an event core
 * has verified (signature, partner, trade, amount, confirming query). No Alipay rule lives here.
 * Every "it is paid" report ends in {@link TradeEvents.recordPaid}, which records the payment in
 * WooCommerce once and applies the late/duplicate-payment policy when WooCommerce no longer takes it.
 */
export class TradeEvents {
  constructor(private readonly o: TradeEventsOptions) {}

  /** Applies core's verified events, each under its order's lock. */
  async applyAll(events: TradeEvent[], via: string): Promise<void> {
    for (const event of events) {
      const orderId = this.o.store.getTrade(event.partnerTransId)?.orderId;
      if (orderId === undefined) {
        this.o.log.warn("event about a trade this bridge did not make; ignored", { partnerTransId: event.partnerTransId, type: event.type, via });
        continue;
      }
      await this.o.locks.run(orderId, () => this.apply(event, via));
    }
  }

  /** Applies events while the caller already holds the order's lock. */
  async applyAllLocked(events: TradeEvent[], via: string): Promise<void> {
    for (const event of events) await this.apply(event, via);
  }

  /**
   * Every "this trade is paid" report lands here: notification, the page, the poll, the barcode
   * reply. Idempotent; the first paid trade of an order is recorded in WooCommerce, any later one
   * is a duplicate and goes to the late/duplicate policy.
   */
  async recordPaid(partnerTransId: string, facts: PaidFacts, source: string): Promise<void> {
    const trade = this.o.store.getTrade(partnerTransId);
    if (!trade) {
      this.o.log.warn("paid report for a trade the bridge did not make; ignored", { partnerTransId, source });
      return;
    }
    await this.o.locks.run(trade.orderId, () => this.recordPaidLocked(partnerTransId, facts, source));
  }

  /** {@link recordPaid} while the caller already holds the order's lock. */
  async recordPaidLocked(partnerTransId: string, facts: PaidFacts, source: string): Promise<void> {
    const store = this.o.store;
    const trade = await this.markTradePaid(partnerTransId, facts);
    if (!trade) return;
    const orderId = trade.orderId;
    const rec = store.getOrder(orderId);
    if (!rec) return;
    if (!store.claimPayment(orderId, partnerTransId)) {
      if (rec.paidTransId !== partnerTransId) await this.handleExtraPayment(trade, "duplicate", `the order was already paid by trade ${rec.paidTransId}`);
      return;
    }
    if (rec.state === "cancelled") {
      await this.handleExtraPayment(trade, "late", "the order was cancelled");
      return;
    }
    if (rec.state !== "awaiting") return; // this trade was handled before
    const order = await this.recordInWoo(trade);
    if (isPaidInWoo(order) && order.transaction_id === transactionIdOf(trade)) {
      store.setOrderState(orderId, "paid");
      await this.note(
        orderId,
        `Alipay HK payment received: HKD ${formatAmount(trade.amountCents)}, Alipay trade ${transactionIdOf(trade)}, out_trade_no ${partnerTransId} (via ${source}).`,
      );
      this.o.log.info("order paid", { orderId, partnerTransId, source, status: order.status });
      return;
    }
    await this.handleExtraPayment(trade, "late", `WooCommerce did not record it (order is ${order.status})`);
  }

  /** Adds an order note; a failure is logged, never thrown (the note is for people, the store holds the facts). */
  async note(orderId: number, text: string): Promise<void> {
    try {
      await this.o.woo.addNote(orderId, text);
    } catch (err) {
      this.o.log.error("could not add an order note", { orderId, note: text, error: err });
    }
  }

  /**
   * Stores the trade as paid (with Alipay's trade number, fetched when the report had none, so
   * WooCommerce gets a transaction_id). `undefined` when the money was already given back.
   */
  private async markTradePaid(partnerTransId: string, facts: PaidFacts): Promise<TradeRecord | undefined> {
    const store = this.o.store;
    const trade = store.getTrade(partnerTransId)!;
    if (trade.status === "reversed" || trade.status === "refunded") return undefined;
    if (trade.status !== "paid") {
      store.updateTrade(partnerTransId, {
        status: "paid",
        alipayTransId: facts.alipayTransId ?? trade.alipayTransId,
        paidAt: (facts.paidAt ?? this.o.alipay.clock.now()).toISOString(),
      });
    } else if (facts.alipayTransId && !trade.alipayTransId) {
      store.updateTrade(partnerTransId, { alipayTransId: facts.alipayTransId });
    }
    if (!store.getTrade(partnerTransId)!.alipayTransId) {
      const status = await getPaymentStatus(this.o.alipay, partnerTransId);
      if (status.query?.alipayTransId) store.updateTrade(partnerTransId, { alipayTransId: status.query.alipayTransId });
    }
    return store.getTrade(partnerTransId)!;
  }

  /** Sets the order paid in WooCommerce unless it already is, by this trade; returns the order as WooCommerce now has it. */
  private async recordInWoo(trade: TradeRecord): Promise<WcOrder> {
    const order = await this.o.woo.getOrder(trade.orderId);
    const transactionId = transactionIdOf(trade);
    if (isPaidInWoo(order) && order.transaction_id === transactionId) return order;
    // Read back by the caller: WooCommerce answers 200 even when it ignored set_paid.
    return this.o.woo.markPaid(trade.orderId, {
      transactionId,
      meta: { alipayhk_trade_no: transactionId, alipayhk_out_trade_no: trade.partnerTransId },
    });
  }

  /**
   * Money that WooCommerce will not record: a payment after the order stopped taking one ("late"),
   * or a second payment for an order already paid ("duplicate"). Policy `refund` gives it back at
   * Alipay (cancel on the day, refund after); `flag` keeps it and asks a human.
   */
  private async handleExtraPayment(trade: TradeRecord, reason: "late" | "duplicate", why: string): Promise<void> {
    const what = `Alipay HK payment of HKD ${formatAmount(trade.amountCents)} (trade ${trade.alipayTransId ?? "?"}, out_trade_no ${trade.partnerTransId}) arrived but ${why}.`;
    if (reason === "late") this.o.store.setOrderState(trade.orderId, this.o.latePaymentPolicy === "refund" ? "late_refunded" : "late_flagged");
    if (this.o.latePaymentPolicy === "flag") await this.keepExtraPayment(trade, reason, what);
    else await this.returnExtraPayment(trade, reason, what);
  }

  private async keepExtraPayment(trade: TradeRecord, reason: "late" | "duplicate", what: string): Promise<void> {
    const orderId = trade.orderId;
    await this.note(orderId, `${what} Kept at Alipay as configured (LATE_PAYMENT_POLICY=flag): please reinstate the order or refund the buyer.`);
    if (reason === "late") await this.o.woo.setMeta(orderId, { alipayhk_unrecorded_payment: trade.partnerTransId }).catch(() => undefined);
    this.o.log.alert(`${reason} payment kept`, { orderId, partnerTransId: trade.partnerTransId });
  }

  private async returnExtraPayment(trade: TradeRecord, reason: "late" | "duplicate", what: string): Promise<void> {
    const store = this.o.store;
    const orderId = trade.orderId;
    const refundKey = `${reason}-${trade.partnerTransId}`;
    const refundReason = `${reason} payment`;
    store.claimRefund({
      refundKey,
      orderId,
      partnerTransId: trade.partnerTransId,
      wcRefundId: null,
      amountCents: trade.amountCents,
      origin: "bridge",
      partnerRefundId: derivePartnerRefundId(trade.partnerTransId, refundKey),
      reason: refundReason,
    });
    const result = await cancelOrder(
      this.o.alipay,
      { partnerTransId: trade.partnerTransId, refundFallback: { amount: trade.amountCents, platformRefundId: refundKey, reason: refundReason } },
      this.o.cancelRetry,
    );
    await this.applyAllLocked(result.events, "late payment");
    if (result.status === "reversed" || result.status === "refunded") {
      const how = result.status === "refunded" ? `refunded; Alipay refused the cancel with ${result.cancelCode}` : "cancelled the same day";
      await this.note(orderId, `${what} Given back to the buyer at Alipay automatically (${how}).`);
      this.o.log.warn(`${reason} payment returned`, { orderId, partnerTransId: trade.partnerTransId, how: result.status });
      return;
    }
    if (result.status === "closed") {
      // Alipay says the trade holds no money after all: nothing to give back.
      store.updateRefund(refundKey, { status: "failed", lastError: "TRADE_CLOSED: nothing to return" });
      return;
    }
    const settled = result as Extract<CancelOrderResult, { status: "failed" | "unresolved" }>;
    const code = settled.status === "failed" ? settled.code : settled.reason;
    if (!settled.refund) store.updateRefund(refundKey, { status: settled.status === "unresolved" ? "pending" : "failed", lastError: code });
    await this.note(
      orderId,
      `${what} Returning it at Alipay did not complete (${code}); ${settled.status === "unresolved" ? "the bridge will retry" : "please refund the buyer manually"}.`,
    );
    this.o.log.alert(`${reason} payment not returned`, { orderId, partnerTransId: trade.partnerTransId, code });
  }

  /** The bridge's single `apply(event)`. */
  private async apply(event: TradeEvent, via: string): Promise<void> {
    const store = this.o.store;
    const trade = store.getTrade(event.partnerTransId);
    if (!trade) {
      this.o.log.warn("event about a trade this bridge did not make; ignored", { partnerTransId: event.partnerTransId, type: event.type, via });
      return;
    }
    const open = trade.status === "open" || trade.status === "unresolved";
    switch (event.type) {
      case "trade.paid":
        await this.recordPaidLocked(trade.partnerTransId, { alipayTransId: event.alipayTransId, paidAt: event.paidAt }, via);
        return;
      case "trade.mismatch":
        await this.applyMismatch(trade, event);
        return;
      case "trade.closed": {
        const givenBack = event.reversed || trade.status === "paid";
        if (open || trade.status === "paid") store.updateTrade(trade.partnerTransId, { status: givenBack ? "reversed" : "closed" });
        if (event.watchUntil) store.updateTrade(trade.partnerTransId, { watchUntil: event.watchUntil.toISOString() });
        if (givenBack && trade.status !== "reversed") {
          await this.note(trade.orderId, `Alipay HK trade ${trade.partnerTransId} had been paid and has been reversed (the buyer has the money back).`);
        }
        return;
      }
      case "trade.failed":
        if (open) store.updateTrade(trade.partnerTransId, { status: "failed" });
        return;
      case "trade.open":
        if (trade.kind === "barcode" && trade.status === "open") store.updateTrade(trade.partnerTransId, { status: "unresolved" });
        return;
      case "late_charge.found":
        await this.applyLateCharge(trade, event);
        return;
      case "watch.ended":
        store.updateTrade(trade.partnerTransId, { watchUntil: null });
        return;
      case "refund.succeeded":
      case "refund.failed":
      case "refund.pending":
        await this.applyRefund(event, via);
        return;
    }
  }

  /** Alipay reports another amount than was asked: never paid; a person reviews the order. */
  private async applyMismatch(trade: TradeRecord, event: MismatchEvent): Promise<void> {
    if (trade.status === "paid") return;
    const reported = event.reportedAmount === undefined ? "a payment with no readable amount" : `HKD ${formatAmount(event.reportedAmount)} paid`;
    await this.note(
      trade.orderId,
      `Alipay HK reported ${reported} for trade ${trade.partnerTransId}, but HKD ${formatAmount(event.expectedAmount)} was asked. Not recorded as paid; please review.`,
    );
    this.o.log.alert("amount mismatch", {
      orderId: trade.orderId,
      partnerTransId: trade.partnerTransId,
      reported: event.reportedAmount,
      expected: event.expectedAmount,
    });
    if (this.o.store.getOrder(trade.orderId)?.state === "awaiting") this.o.store.setOrderState(trade.orderId, "late_flagged");
  }

  /** A charge that arrived under a cancelled id: core gives it back; the order gets a note either way. */
  private async applyLateCharge(trade: TradeRecord, event: LateChargeEvent): Promise<void> {
    const store = this.o.store;
    const done = event.resolution === "reversed" || event.resolution === "refunded";
    if (done) store.updateTrade(trade.partnerTransId, { status: event.resolution as "reversed" | "refunded", watchUntil: null });
    // Beyond what the bridge can do: a person takes over (the note below); one id holds one charge.
    else if (event.resolution === "failed") store.updateTrade(trade.partnerTransId, { watchUntil: null });
    const amount = event.amount === undefined ? "a payment" : `HKD ${formatAmount(event.amount)}`;
    const what = `A late Alipay HK charge of ${amount} arrived under trade ${trade.partnerTransId}, which had been cancelled while its outcome was unknown.`;
    if (done) await this.note(trade.orderId, `${what} It was given back to the buyer automatically (${event.resolution}).`);
    else if (event.resolution === "failed")
      await this.note(trade.orderId, `${what} Giving it back failed (${event.code ?? "?"}); please refund the buyer manually.`);
    else await this.note(trade.orderId, `${what} Giving it back is in progress (${event.code ?? "pending"}); the bridge retries.`);
    this.o.log.alert("late charge found", { orderId: trade.orderId, partnerTransId: trade.partnerTransId, resolution: event.resolution });
  }

  /** Refund events: pending is never failed; a later success corrects an earlier failure. */
  private async applyRefund(event: RefundEvent, via: string): Promise<void> {
    const store = this.o.store;
    const refund = store.getRefund(event.platformRefundId);
    if (!refund) {
      this.o.log.warn("refund event for a refund this bridge did not record; ignored", { platformRefundId: event.platformRefundId, via });
      return;
    }
    const later = event.source === "sweep" || event.source === "notification" || event.source === "watch";
    if (event.type === "refund.pending") {
      if (refund.status === "pending") store.updateRefund(refund.refundKey, { lastError: event.reason });
      return;
    }
    if (event.type === "refund.failed") {
      if (refund.status !== "pending") return; // a definite answer never downgrades a success
      store.updateRefund(refund.refundKey, { status: "failed", lastError: event.code });
      if (later) {
        await this.note(refund.orderId, `Refund ${refund.refundKey} (HKD ${formatAmount(refund.amountCents)}) was NOT executed at Alipay HK: ${event.code}.`);
        this.o.log.alert("refund refused by Alipay", { refundKey: refund.refundKey, code: event.code });
      }
      return;
    }
    if (refund.status === "succeeded") return;
    store.updateRefund(refund.refundKey, { status: "succeeded", partnerRefundId: event.partnerRefundId, lastError: null });
    const trade = store.getTrade(refund.partnerTransId);
    if (refund.origin === "bridge" && trade && store.refundedCents(trade.partnerTransId) >= trade.amountCents) {
      store.updateTrade(trade.partnerTransId, { status: "refunded" });
    }
    if (later) await this.refundSettledLater(refund);
  }

  /**
   * A refund whose outcome was open (or wrongly recorded as failed) went through: make sure
   * WooCommerce records it, and say so on the order.
   */
  private async refundSettledLater(refund: RefundRecord): Promise<void> {
    const correction = refund.status === "failed";
    if (refund.origin === "woocommerce" && refund.wcRefundId !== null) {
      // If WooCommerce dropped its refund (the plugin's call reported failure meanwhile), record it again.
      const stillThere = await this.o.woo.getRefund(refund.orderId, refund.wcRefundId).then(
        () => true,
        (err: unknown) => !(err instanceof WooError && err.status === 404),
      );
      if (!stillThere) {
        const recorded = await this.o.woo.createRecordedRefund(refund.orderId, {
          amount: formatAmount(refund.amountCents),
          reason: `Alipay HK refund ${refund.refundKey}`,
          meta: { [REFUND_MARKER]: refund.refundKey },
        });
        this.o.log.warn("refund re-recorded in WooCommerce", { orderId: refund.orderId, wcRefundId: recorded.id });
      }
    }
    await this.note(
      refund.orderId,
      correction
        ? `Correction: Alipay HK refund ${refund.refundKey} (HKD ${formatAmount(refund.amountCents)}) had been recorded as not executed, but Alipay executed it.`
        : `Alipay HK refund ${refund.refundKey} (HKD ${formatAmount(refund.amountCents)}) went through after a retry.`,
    );
  }
}

/** What WooCommerce records as the order's transaction: Alipay's trade number, else ours. */
function transactionIdOf(trade: TradeRecord): string {
  return trade.alipayTransId ?? trade.partnerTransId;
}

/** WooCommerce holds the order as paid. */
export function isPaidInWoo(order: WcOrder): boolean {
  return Boolean(order.date_paid_gmt) && ["processing", "completed", "on-hold", "refunded"].includes(order.status);
}
