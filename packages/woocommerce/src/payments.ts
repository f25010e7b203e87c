import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  cancelOrder,
  createQrPayment,
  derivePartnerRefundId,
  formatAmount,
  getPaymentStatus,
  payByBarcode,
  sanitizeSignedText,
  sweepOpenTrades,
  toMinorUnits,
  type AlipayHkClient,
  type BarcodeRecovery,
  type CancelOrderResult,
  type CancelRetry,
  type MinorUnits,
  type TradeEvent,
} from "@alipayhk/core";
import type { LatePaymentPolicy } from "./config.js";
import { HttpError } from "./http/router.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { Logger } from "./log.js";
import type { BridgeStore, RefundRecord, TradeRecord } from "./store.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";
import type { WcOrder } from "./woo/types.js";

/** The WooCommerce `payment_method` id of the bridge's orders (and of the thin plugin's gateway). */
export const PAYMENT_METHOD = "alipayhk";

export interface PaymentServiceOptions {
  woo: WooClient;
  alipay: AlipayHkClient;
  store: BridgeStore;
  locks: KeyedMutex;
  log: Logger;
  publicUrl: string;
  wooUrl: string;
  qrExpiryMinutes: number;
  latePaymentPolicy: LatePaymentPolicy;
  barcodeRecovery?: BarcodeRecovery;
  cancelRetry?: CancelRetry;
}

/** What the hosted page shows. */
export type PaymentView =
  | { kind: "qr"; orderId: number; orderNumber: string; amount: string; qrCode: string; expiresAt: string; partnerTransId: string }
  | { kind: "paid"; orderId: number; redirect: string }
  | { kind: "closed"; orderId: number; message: string };

export type BarcodeOutcome =
  | { status: "paid"; partnerTransId: string; alipayTransId?: string; orderStatus: string }
  | { status: "failed"; partnerTransId: string; code: string }
  | { status: "canceled"; partnerTransId: string; reversed: boolean }
  | { status: "unresolved"; partnerTransId: string; reason: string };

/** Trade and buyer facts a verified payment carries (core's `trade.paid` event). */
export interface PaidFacts {
  alipayTransId?: string;
  paidAt?: Date;
}

/** Order meta written on refunds the bridge itself records in WooCommerce (never executed again). */
export const REFUND_MARKER = "alipayhk_refund_key";

/**
 * Taking payment for WooCommerce orders with core's flows: the hosted QR (one open trade per
 * order: the previous one is settled before a new QR is made), the POS barcode charge, and the
 * single path every "it is paid" report goes through (notification, the customer's page, the poll,
 * the barcode reply), which records the payment in WooCommerce once and applies the
 * late/duplicate-payment policy when WooCommerce no longer takes it.
 */
export class PaymentService {
  constructor(private readonly o: PaymentServiceOptions) {}

  /** `GET /pay/{orderId}?key=`: checks the key, then shows the QR, or where the order stands. */
  async preparePayment(orderId: number, key: string): Promise<PaymentView> {
    return this.o.locks.run(orderId, async () => {
      const order = await this.fetchOrder(orderId);
      if (!sameKey(key, order.order_key)) throw new HttpError(404, "No such order, or the link is not valid.", "not_found");
      const thankYouUrl = thankYouUrlOf(order, this.o.wooUrl);
      const rec = this.o.store.getOrder(orderId);
      if (rec?.state === "paid" || (rec?.paidTransId && isPaidInWoo(order) && this.isOurTransaction(order))) {
        return { kind: "paid", orderId, redirect: rec?.thankYouUrl ?? thankYouUrl };
      }
      if (rec && rec.state !== "awaiting") return { kind: "closed", orderId, message: closedMessage(rec.state) };
      if (order.payment_method !== PAYMENT_METHOD) return { kind: "closed", orderId, message: "This order is not paid with Alipay HK." };
      if (order.status !== "pending" && order.status !== "failed") {
        return { kind: "closed", orderId, message: `This order can no longer be paid (it is ${order.status}).` };
      }
      if (order.currency !== "HKD") return { kind: "closed", orderId, message: `Alipay HK takes HKD; this order is in ${order.currency}.` };
      const amount = toMinorUnits(order.total, "total");
      if (amount <= 0) return { kind: "closed", orderId, message: "This order has nothing to pay." };
      this.o.store.upsertOrder({ orderId, orderKey: order.order_key, amountCents: amount, thankYouUrl });

      const settled = await this.settleEarlierTrades(orderId, amount, "qr");
      if (settled === "paid") {
        const after = this.o.store.getOrder(orderId)!;
        return after.state === "paid" ? { kind: "paid", orderId, redirect: thankYouUrl } : { kind: "closed", orderId, message: closedMessage(after.state) };
      }
      if (settled.reuse) return this.qrView(order, settled.reuse);

      const trade = this.o.store.insertTrade({
        partnerTransId: this.nextTransId(orderId),
        orderId,
        kind: "qr",
        amountCents: amount,
        // Set now so the sweep closes the trade even if the precreate reply never arrives.
        expiresAt: new Date(this.now().getTime() + this.o.qrExpiryMinutes * 60_000).toISOString(),
      });
      const qr = await createQrPayment(this.o.alipay, {
        partnerTransId: trade.partnerTransId,
        amount,
        subject: sanitizeSignedText(`Order #${order.number}`),
        notifyUrl: `${this.o.publicUrl}/alipay/notify`,
        expiresInMinutes: this.o.qrExpiryMinutes,
      });
      this.o.store.updateTrade(trade.partnerTransId, { qrCode: qr.qrCode, expiresAt: qr.expiresAt.toISOString() });
      this.o.log.info("qr created", { orderId, partnerTransId: trade.partnerTransId, expiresAt: qr.expiresAt.toISOString() });
      return this.qrView(order, this.o.store.getTrade(trade.partnerTransId)!);
    });
  }

  /**
   * The hosted page's live status. Asks Alipay (at most every few seconds per trade) so a payment
   * is seen even when the notification is lost.
   */
  async pageStatus(orderId: number, key: string): Promise<{ state: "waiting" | "paid" | "expired" | "closed"; redirect?: string; message?: string }> {
    const rec = this.o.store.getOrder(orderId);
    if (!rec || !sameKey(key, rec.orderKey)) throw new HttpError(404, "No such order, or the link is not valid.", "not_found");
    if (rec.state === "paid") return { state: "paid", redirect: rec.thankYouUrl ?? undefined };
    if (rec.state !== "awaiting") return { state: "closed", message: closedMessage(rec.state) };
    const trade = this.o.store
      .tradesForOrder(orderId)
      .filter((t) => t.kind === "qr" && (t.status === "open" || t.status === "paid"))
      .at(-1);
    if (!trade) return { state: "expired" };
    const last = this.lastChecked.get(trade.partnerTransId) ?? 0;
    if (trade.status === "paid" || this.now().getTime() - last >= 3_000) {
      this.lastChecked.set(trade.partnerTransId, this.now().getTime());
      if (trade.status === "paid") {
        await this.recordPaid(trade.partnerTransId, {}, "page");
      } else {
        // What Alipay says now, as verified events (amount checked by core), applied like any other.
        const events = await sweepOpenTrades(this.o.alipay, { trades: [{ partnerTransId: trade.partnerTransId, kind: "qr", amount: trade.amountCents }] });
        await this.applyAll(events, "page");
      }
      const after = this.o.store.getOrder(orderId)!;
      const now = this.o.store.getTrade(trade.partnerTransId)!;
      if (after.state === "paid") return { state: "paid", redirect: after.thankYouUrl ?? undefined };
      if (after.state !== "awaiting") return { state: "closed", message: closedMessage(after.state) };
      if (now.status !== "open" && now.status !== "paid") return { state: "expired" };
    }
    if (trade.expiresAt && Date.parse(trade.expiresAt) <= this.now().getTime()) return { state: "expired" };
    return { state: "waiting" };
  }

  /** `POST /orders/{id}/barcode`: charges the buyer's wallet code (POS), with core's recovery. */
  async payByBarcode(orderId: number, buyerCode: string): Promise<BarcodeOutcome> {
    return this.o.locks.run(orderId, async () => {
      const order = await this.fetchOrder(orderId);
      if (order.payment_method !== PAYMENT_METHOD) throw new HttpError(409, `order ${orderId}: payment_method is ${JSON.stringify(order.payment_method)}, not "${PAYMENT_METHOD}"`, "not_alipayhk");
      if (order.status !== "pending" && order.status !== "failed") throw new HttpError(409, `order ${orderId}: status ${order.status} does not take payment`, "not_payable");
      if (order.currency !== "HKD") throw new HttpError(409, `order ${orderId}: currency ${order.currency}, Alipay HK takes HKD`, "currency");
      const amount = toMinorUnits(order.total, "total");
      const rec = this.o.store.upsertOrder({ orderId, orderKey: order.order_key, amountCents: amount, thankYouUrl: thankYouUrlOf(order, this.o.wooUrl) });
      if (rec.paidTransId) throw new HttpError(409, `order ${orderId}: already paid by ${rec.paidTransId}`, "already_paid");
      const settled = await this.settleEarlierTrades(orderId, amount, "barcode");
      if (settled === "paid") {
        const paid = this.o.store.getOrder(orderId)!;
        return { status: "paid", partnerTransId: paid.paidTransId!, orderStatus: "processing" };
      }
      const trade = this.o.store.insertTrade({ partnerTransId: this.nextTransId(orderId), orderId, kind: "barcode", amountCents: amount });
      const result = await payByBarcode(
        this.o.alipay,
        { partnerTransId: trade.partnerTransId, amount, buyerCode, transName: sanitizeSignedText(`Order #${order.number}`) },
        this.o.barcodeRecovery,
      );
      this.o.log.info("barcode charge", { orderId, partnerTransId: trade.partnerTransId, status: result.status });
      await this.applyAllLocked(result.events, "barcode");
      // What the cashier is told; the state changes came from the events above.
      const after = this.o.store.getTrade(trade.partnerTransId)!;
      switch (result.status) {
        case "paid": {
          if (after.status !== "paid") return { status: "unresolved", partnerTransId: trade.partnerTransId, reason: "the reported payment did not match the order; flagged for review" };
          const order = await this.o.woo.getOrder(orderId);
          return { status: "paid", partnerTransId: trade.partnerTransId, alipayTransId: result.alipayTransId, orderStatus: order.status };
        }
        case "failed":
          return { status: "failed", partnerTransId: trade.partnerTransId, code: result.code };
        case "canceled":
          return { status: "canceled", partnerTransId: trade.partnerTransId, reversed: result.reversed };
        default:
          return { status: "unresolved", partnerTransId: trade.partnerTransId, reason: result.reason };
      }
    });
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

  private async recordPaidLocked(partnerTransId: string, facts: PaidFacts, source: string): Promise<void> {
    const store = this.o.store;
    let trade = store.getTrade(partnerTransId)!;
    if (trade.status === "reversed" || trade.status === "refunded") return; // already given back
    if (trade.status !== "paid") {
      store.updateTrade(partnerTransId, {
        status: "paid",
        alipayTransId: facts.alipayTransId ?? trade.alipayTransId,
        paidAt: (facts.paidAt ?? this.now()).toISOString(),
      });
    } else if (facts.alipayTransId && !trade.alipayTransId) {
      store.updateTrade(partnerTransId, { alipayTransId: facts.alipayTransId });
    }
    trade = store.getTrade(partnerTransId)!;
    if (!trade.alipayTransId) {
      // The page's status check gives no trade number: fetch it so WooCommerce gets a transaction_id.
      const status = await getPaymentStatus(this.o.alipay, partnerTransId);
      if (status.query?.alipayTransId) store.updateTrade(partnerTransId, { alipayTransId: status.query.alipayTransId });
      trade = store.getTrade(partnerTransId)!;
    }
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

    let order = await this.o.woo.getOrder(orderId);
    const transactionId = trade.alipayTransId ?? partnerTransId;
    if (!(isPaidInWoo(order) && order.transaction_id === transactionId)) {
      order = await this.o.woo.markPaid(orderId, {
        transactionId,
        meta: { alipayhk_trade_no: transactionId, alipayhk_out_trade_no: partnerTransId },
      });
    }
    // Read back: WooCommerce answers 200 even when it ignored set_paid.
    if (isPaidInWoo(order) && order.transaction_id === transactionId) {
      store.setOrderState(orderId, "paid");
      await this.note(
        orderId,
        `Alipay HK payment received: HKD ${formatAmount(trade.amountCents)}, Alipay trade ${transactionId}, out_trade_no ${partnerTransId} (via ${source}).`,
      );
      this.o.log.info("order paid", { orderId, partnerTransId, source, status: order.status });
      return;
    }
    await this.handleExtraPayment(trade, "late", `WooCommerce did not record it (order is ${order.status})`);
  }

  /**
   * Money that WooCommerce will not record: a payment after the order stopped taking one ("late"),
   * or a second payment for an order already paid ("duplicate"). Policy `refund` gives it back at
   * Alipay (cancel on the day, refund after); `flag` keeps it and asks a human.
   */
  private async handleExtraPayment(trade: TradeRecord, reason: "late" | "duplicate", why: string): Promise<void> {
    const store = this.o.store;
    const orderId = trade.orderId;
    const what = `Alipay HK payment of HKD ${formatAmount(trade.amountCents)} (trade ${trade.alipayTransId ?? "?"}, out_trade_no ${trade.partnerTransId}) arrived but ${why}.`;
    if (reason === "late") store.setOrderState(orderId, this.o.latePaymentPolicy === "refund" ? "late_refunded" : "late_flagged");
    if (this.o.latePaymentPolicy === "flag") {
      await this.note(orderId, `${what} Kept at Alipay as configured (LATE_PAYMENT_POLICY=flag): please reinstate the order or refund the buyer.`);
      if (reason === "late") await this.o.woo.setMeta(orderId, { alipayhk_unrecorded_payment: trade.partnerTransId }).catch(() => undefined);
      this.o.log.alert(`${reason} payment kept`, { orderId, partnerTransId: trade.partnerTransId });
      return;
    }
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
    await this.note(orderId, `${what} Returning it at Alipay did not complete (${code}); ${settled.status === "unresolved" ? "the bridge will retry" : "please refund the buyer manually"}.`);
    this.o.log.alert(`${reason} payment not returned`, { orderId, partnerTransId: trade.partnerTransId, code });
  }

  /**
   * Before a new trade: earlier open trades are settled so a buyer can never pay two QR codes.
   * A paid one is recorded (no new trade needed); an unpaid one is closed at Alipay. A still-valid
   * QR for the same amount is reused (a page refresh shows the same code).
   */
  private async settleEarlierTrades(orderId: number, amount: MinorUnits, next: "qr" | "barcode"): Promise<"paid" | { reuse?: TradeRecord }> {
    const now = this.now().getTime();
    for (const trade of this.o.store.tradesForOrder(orderId)) {
      if (trade.status === "paid") {
        await this.recordPaidLocked(trade.partnerTransId, {}, "earlier trade");
        return "paid";
      }
      if (trade.status !== "open" && trade.status !== "unresolved") continue;
      if (
        next === "qr" &&
        trade.kind === "qr" &&
        trade.qrCode &&
        trade.amountCents === amount &&
        trade.expiresAt &&
        Date.parse(trade.expiresAt) - now > 60_000
      ) {
        return { reuse: trade };
      }
      // What Alipay says of the earlier trade, as verified events.
      const seen = await sweepOpenTrades(this.o.alipay, { trades: [{ partnerTransId: trade.partnerTransId, kind: trade.kind, amount: trade.amountCents }] }, this.o.cancelRetry);
      await this.applyAllLocked(seen, "earlier trade");
      let latest = this.o.store.getTrade(trade.partnerTransId)!;
      if (latest.status === "paid") {
        return this.o.store.getOrder(orderId)?.paidTransId ? "paid" : {};
      }
      if (latest.status === "open" || latest.status === "unresolved") {
        if (seen.some((e) => e.type === "trade.open" && e.reason === "unknown")) {
          throw new HttpError(503, "Alipay could not be reached to settle the previous attempt; please try again shortly.", "retry");
        }
        const cancel = await cancelOrder(this.o.alipay, { partnerTransId: trade.partnerTransId }, this.o.cancelRetry);
        await this.applyAllLocked(cancel.events, "earlier trade");
        latest = this.o.store.getTrade(trade.partnerTransId)!;
        if (latest.status === "open" || latest.status === "unresolved") {
          throw new HttpError(503, "The previous payment attempt could not be closed yet; please try again shortly.", "retry");
        }
      }
    }
    return {};
  }

  // ---- the one place where Alipay facts change state ------------------------------------------

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
   * The bridge's single `apply(event)`: every notification, flow result and poll decision reaches
   * the store and WooCommerce through here, as an event core has verified (signature, partner,
   * trade, amount, confirming query). No Alipay rule lives here.
   */
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
      case "trade.mismatch": {
        if (trade.status === "paid") return;
        const reported = event.reportedAmount === undefined ? "a payment with no readable amount" : `HKD ${formatAmount(event.reportedAmount)} paid`;
        await this.note(trade.orderId, `Alipay HK reported ${reported} for trade ${trade.partnerTransId}, but HKD ${formatAmount(event.expectedAmount)} was asked. Not recorded as paid; please review.`);
        this.o.log.alert("amount mismatch", { orderId: trade.orderId, partnerTransId: trade.partnerTransId, reported: event.reportedAmount, expected: event.expectedAmount });
        if (store.getOrder(trade.orderId)?.state === "awaiting") store.setOrderState(trade.orderId, "late_flagged");
        return;
      }
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
      case "late_charge.found": {
        const done = event.resolution === "reversed" || event.resolution === "refunded";
        if (done) store.updateTrade(trade.partnerTransId, { status: event.resolution as "reversed" | "refunded", watchUntil: null });
        // Beyond what the bridge can do: a person takes over (the note below); one id holds one charge.
        else if (event.resolution === "failed") store.updateTrade(trade.partnerTransId, { watchUntil: null });
        const amount = event.amount === undefined ? "a payment" : `HKD ${formatAmount(event.amount)}`;
        const what = `A late Alipay HK charge of ${amount} arrived under trade ${trade.partnerTransId}, which had been cancelled while its outcome was unknown.`;
        if (done) await this.note(trade.orderId, `${what} It was given back to the buyer automatically (${event.resolution}).`);
        else if (event.resolution === "failed") await this.note(trade.orderId, `${what} Giving it back failed (${event.code ?? "?"}); please refund the buyer manually.`);
        else await this.note(trade.orderId, `${what} Giving it back is in progress (${event.code ?? "pending"}); the bridge retries.`);
        this.o.log.alert("late charge found", { orderId: trade.orderId, partnerTransId: trade.partnerTransId, resolution: event.resolution });
        return;
      }
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

  /** Refund events: pending is never failed; a later success corrects an earlier failure. */
  private async applyRefund(event: Extract<TradeEvent, { type: `refund.${string}` }>, via: string): Promise<void> {
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
        (err: unknown) => (err instanceof WooError && err.status === 404 ? false : true),
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

  private qrView(order: WcOrder, trade: TradeRecord): PaymentView {
    return {
      kind: "qr",
      orderId: order.id,
      orderNumber: order.number,
      amount: formatAmount(trade.amountCents),
      qrCode: trade.qrCode!,
      expiresAt: trade.expiresAt!,
      partnerTransId: trade.partnerTransId,
    };
  }

  private isOurTransaction(order: WcOrder): boolean {
    return this.o.store.tradesForOrder(order.id).some((t) => t.alipayTransId === order.transaction_id || t.partnerTransId === order.transaction_id);
  }

  private async fetchOrder(orderId: number): Promise<WcOrder> {
    try {
      return await this.o.woo.getOrder(orderId);
    } catch (err) {
      if (err instanceof WooError && err.status === 404) throw new HttpError(404, "No such order, or the link is not valid.", "not_found");
      throw err;
    }
  }

  /** `wc{order}-{attempt}-{random}`: unique even if the bridge's database were ever lost. */
  private nextTransId(orderId: number): string {
    return `wc${orderId}-${this.o.store.countTrades(orderId) + 1}-${randomBytes(3).toString("hex")}`;
  }

  async note(orderId: number, text: string): Promise<void> {
    try {
      await this.o.woo.addNote(orderId, text);
    } catch (err) {
      this.o.log.error("could not add an order note", { orderId, note: text, error: err });
    }
  }

  private now(): Date {
    return this.o.alipay.clock.now();
  }

  private readonly lastChecked = new Map<string, number>();
}

export function isPaidInWoo(order: WcOrder): boolean {
  return Boolean(order.date_paid_gmt) && ["processing", "completed", "on-hold", "refunded"].includes(order.status);
}

function closedMessage(state: string): string {
  switch (state) {
    case "late_refunded":
      return "Your payment arrived after this order was cancelled, so it has been returned to your Alipay account.";
    case "late_flagged":
      return "Your payment arrived after this order was cancelled. The shop has been notified and will contact you.";
    case "cancelled":
      return "This order was cancelled.";
    default:
      return "This order can no longer be paid.";
  }
}

/** WooCommerce's order-received page for the order, derived from its `payment_url` when present. */
export function thankYouUrlOf(order: WcOrder, wooUrl: string): string {
  if (typeof order.payment_url === "string" && order.payment_url.includes("/order-pay/")) {
    try {
      const u = new URL(order.payment_url);
      u.pathname = u.pathname.replace(/\/order-pay\/(\d+)\/?$/, "/order-received/$1/");
      u.search = `?key=${encodeURIComponent(order.order_key)}`;
      return u.toString();
    } catch {
      // fall through to the default layout
    }
  }
  return `${wooUrl.replace(/\/$/, "")}/checkout/order-received/${order.id}/?key=${encodeURIComponent(order.order_key)}`;
}

export function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

