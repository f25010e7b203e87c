import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  cancelOrder,
  createQrPayment,
  formatAmount,
  payByBarcode,
  sanitizeSignedText,
  sweepOpenTrades,
  toMinorUnits,
  type AlipayHkClient,
  type BarcodeRecovery,
  type BarcodePaymentResult,
  type CancelRetry,
  type MinorUnits,
  type TradeEvent,
} from "@alipayhk/core";
import type { LatePaymentPolicy } from "./config.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { Logger } from "./log.js";
import { ok, refuse, type Refusal, type Result } from "./result.js";
import type { BridgeStore, OrderState, TradeRecord } from "./store.js";
import { isPaidInWoo, REFUND_MARKER, TradeEvents, type PaidFacts } from "./trade-events.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";
import type { WcOrder } from "./woo/types.js";

export { isPaidInWoo, REFUND_MARKER, type PaidFacts };

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

/** The hosted page's live status (what its script follows). */
export interface PageStatus {
  state: "waiting" | "paid" | "expired" | "closed";
  redirect?: string;
  message?: string;
}

export type BarcodeOutcome =
  | { status: "paid"; partnerTransId: string; alipayTransId?: string; orderStatus: string }
  | { status: "failed"; partnerTransId: string; code: string }
  | { status: "canceled"; partnerTransId: string; reversed: boolean }
  | { status: "unresolved"; partnerTransId: string; reason: string };

/**
 * Why a payment request was refused; nothing was charged.
 * - `not_found`: no such order, or the link's key is not the order's;
 * - `not_alipayhk`, `not_payable`, `wrong_currency`, `already_paid`: the order does not take this payment;
 * - `previous_attempt_open`: an earlier trade of the order could not be settled yet (Alipay
 *   unreachable, or the cancel not confirmed): a new one would risk a double payment; retry shortly.
 */
export type PaymentRefusalReason = "not_found" | "not_alipayhk" | "not_payable" | "wrong_currency" | "already_paid" | "previous_attempt_open";

const NOT_FOUND = "No such order, or the link is not valid.";

/** What settling an order's earlier trades found. */
type Settled = { kind: "paid" } | { kind: "reuse"; trade: TradeRecord } | { kind: "clear" } | { kind: "refused"; refusal: Refusal<"previous_attempt_open"> };

/**
 * Taking payment for WooCommerce orders with core's flows: the hosted QR (one open trade per
 * order: the previous one is settled before a new QR is made) and the POS barcode charge. What
 * Alipay reports goes through {@link TradeEvents}, the single path that changes state.
 */
export class PaymentService {
  /** Where verified Alipay facts change state (shared with the sync). */
  readonly events: TradeEvents;
  private readonly lastChecked = new Map<string, number>();

  constructor(private readonly o: PaymentServiceOptions) {
    this.events = new TradeEvents(o);
  }

  /** `GET /pay/{orderId}?key=`: checks the key, then shows the QR, or where the order stands. */
  async preparePayment(orderId: number, key: string): Promise<Result<PaymentView, "not_found" | "previous_attempt_open">> {
    return this.o.locks.run(orderId, async () => {
      const order = await this.fetchOrder(orderId);
      if (!order || !sameKey(key, order.order_key)) return refuse("not_found", NOT_FOUND);
      const thankYouUrl = thankYouUrlOf(order, this.o.wooUrl);
      const rec = this.o.store.getOrder(orderId);
      if (rec?.state === "paid" || (rec?.paidTransId && isPaidInWoo(order) && this.isOurTransaction(order))) {
        return ok({ kind: "paid", orderId, redirect: rec?.thankYouUrl ?? thankYouUrl });
      }
      if (rec && rec.state !== "awaiting") return ok(closed(orderId, closedMessage(rec.state)));
      const payable = qrPayable(order);
      if (typeof payable === "string") return ok(closed(orderId, payable));
      this.o.store.upsertOrder({ orderId, orderKey: order.order_key, amountCents: payable, thankYouUrl });

      const settled = await this.settleEarlierTrades(orderId, payable, "qr");
      if (settled.kind === "paid") {
        const after = this.o.store.getOrder(orderId)!;
        return ok(after.state === "paid" ? { kind: "paid", orderId, redirect: thankYouUrl } : closed(orderId, closedMessage(after.state)));
      }
      if (settled.kind === "reuse") return ok(this.qrView(order, settled.trade));
      if (settled.kind === "refused") return settled.refusal;
      return ok(this.qrView(order, await this.createQr(order, payable)));
    });
  }

  /**
   * The hosted page's live status. Asks Alipay (at most every few seconds per trade) so a payment
   * is seen even when the notification is lost.
   */
  async pageStatus(orderId: number, key: string): Promise<Result<PageStatus, "not_found">> {
    const rec = this.o.store.getOrder(orderId);
    if (!rec || !sameKey(key, rec.orderKey)) return refuse("not_found", NOT_FOUND);
    if (rec.state === "paid") return ok({ state: "paid", redirect: rec.thankYouUrl ?? undefined });
    if (rec.state !== "awaiting") return ok({ state: "closed", message: closedMessage(rec.state) });
    const trade = this.o.store
      .tradesForOrder(orderId)
      .filter((t) => t.kind === "qr" && (t.status === "open" || t.status === "paid"))
      .at(-1);
    if (!trade) return ok({ state: "expired" });
    const last = this.lastChecked.get(trade.partnerTransId) ?? 0;
    if (trade.status === "paid" || this.now().getTime() - last >= 3_000) {
      this.lastChecked.set(trade.partnerTransId, this.now().getTime());
      const after = await this.refreshTrade(trade);
      if (after) return ok(after);
    }
    if (trade.expiresAt && Date.parse(trade.expiresAt) <= this.now().getTime()) return ok({ state: "expired" });
    return ok({ state: "waiting" });
  }

  /** `POST /orders/{id}/barcode`: charges the buyer's wallet code (POS), with core's recovery. */
  async payByBarcode(orderId: number, buyerCode: string): Promise<Result<BarcodeOutcome, PaymentRefusalReason>> {
    return this.o.locks.run(orderId, async () => {
      const order = await this.fetchOrder(orderId);
      if (!order) return refuse("not_found", NOT_FOUND);
      const refusal = barcodeRefusal(order);
      if (refusal) return refusal;
      const amount = toMinorUnits(order.total, "total");
      const rec = this.o.store.upsertOrder({ orderId, orderKey: order.order_key, amountCents: amount, thankYouUrl: thankYouUrlOf(order, this.o.wooUrl) });
      if (rec.paidTransId) return refuse("already_paid", `order ${orderId}: already paid by ${rec.paidTransId}`);
      const settled = await this.settleEarlierTrades(orderId, amount, "barcode");
      if (settled.kind === "paid") {
        const paid = this.o.store.getOrder(orderId)!;
        return ok({ status: "paid", partnerTransId: paid.paidTransId!, orderStatus: "processing" });
      }
      if (settled.kind === "refused") return settled.refusal;
      const trade = this.o.store.insertTrade({ partnerTransId: this.nextTransId(orderId), orderId, kind: "barcode", amountCents: amount });
      const result = await payByBarcode(
        this.o.alipay,
        { partnerTransId: trade.partnerTransId, amount, buyerCode, transName: sanitizeSignedText(`Order #${order.number}`) },
        this.o.barcodeRecovery,
      );
      this.o.log.info("barcode charge", { orderId, partnerTransId: trade.partnerTransId, status: result.status });
      await this.events.applyAllLocked(result.events, "barcode");
      return ok(await this.cashierOutcome(trade, result));
    });
  }

  /** Every "this trade is paid" report: see {@link TradeEvents.recordPaid}. */
  recordPaid(partnerTransId: string, facts: PaidFacts, source: string): Promise<void> {
    return this.events.recordPaid(partnerTransId, facts, source);
  }

  /** Applies core's verified events, each under its order's lock: see {@link TradeEvents.applyAll}. */
  applyAll(events: TradeEvent[], via: string): Promise<void> {
    return this.events.applyAll(events, via);
  }

  /** Applies events while the caller already holds the order's lock. */
  applyAllLocked(events: TradeEvent[], via: string): Promise<void> {
    return this.events.applyAllLocked(events, via);
  }

  /** Adds an order note; a failure is logged, never thrown. */
  note(orderId: number, text: string): Promise<void> {
    return this.events.note(orderId, text);
  }

  /** A new QR trade: stored (with its expiry) before the precreate, so the sweep closes it even if the reply is lost. */
  private async createQr(order: WcOrder, amount: MinorUnits): Promise<TradeRecord> {
    const trade = this.o.store.insertTrade({
      partnerTransId: this.nextTransId(order.id),
      orderId: order.id,
      kind: "qr",
      amountCents: amount,
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
    this.o.log.info("qr created", { orderId: order.id, partnerTransId: trade.partnerTransId, expiresAt: qr.expiresAt.toISOString() });
    return this.o.store.getTrade(trade.partnerTransId)!;
  }

  /** Asks Alipay about the page's trade and applies what it says; a final state for the page, or `undefined` to go on waiting. */
  private async refreshTrade(trade: TradeRecord): Promise<PageStatus | undefined> {
    if (trade.status === "paid") {
      await this.events.recordPaid(trade.partnerTransId, {}, "page");
    } else {
      // What Alipay says now, as verified events (amount checked by core), applied like any other.
      const events = await sweepOpenTrades(this.o.alipay, { trades: [{ partnerTransId: trade.partnerTransId, kind: "qr", amount: trade.amountCents }] });
      await this.events.applyAll(events, "page");
    }
    const after = this.o.store.getOrder(trade.orderId)!;
    const now = this.o.store.getTrade(trade.partnerTransId)!;
    if (after.state === "paid") return { state: "paid", redirect: after.thankYouUrl ?? undefined };
    if (after.state !== "awaiting") return { state: "closed", message: closedMessage(after.state) };
    if (now.status !== "open" && now.status !== "paid") return { state: "expired" };
    return undefined;
  }

  /** What the cashier is told; the state changes came from the flow's events. */
  private async cashierOutcome(trade: TradeRecord, result: BarcodePaymentResult): Promise<BarcodeOutcome> {
    const partnerTransId = trade.partnerTransId;
    switch (result.status) {
      case "paid": {
        if (this.o.store.getTrade(partnerTransId)!.status !== "paid") {
          return { status: "unresolved", partnerTransId, reason: "the reported payment did not match the order; flagged for review" };
        }
        const order = await this.o.woo.getOrder(trade.orderId);
        return { status: "paid", partnerTransId, alipayTransId: result.alipayTransId, orderStatus: order.status };
      }
      case "failed":
        return { status: "failed", partnerTransId, code: result.code };
      case "canceled":
        return { status: "canceled", partnerTransId, reversed: result.reversed };
      default:
        return { status: "unresolved", partnerTransId, reason: result.reason };
    }
  }

  /**
   * Before a new trade: earlier open trades are settled so a buyer can never pay two QR codes.
   * A paid one is recorded (no new trade needed); an unpaid one is closed at Alipay. A still-valid
   * QR for the same amount is reused (a page refresh shows the same code).
   */
  private async settleEarlierTrades(orderId: number, amount: MinorUnits, next: "qr" | "barcode"): Promise<Settled> {
    const now = this.now().getTime();
    for (const trade of this.o.store.tradesForOrder(orderId)) {
      if (trade.status === "paid") {
        await this.events.recordPaidLocked(trade.partnerTransId, {}, "earlier trade");
        return { kind: "paid" };
      }
      if (trade.status !== "open" && trade.status !== "unresolved") continue;
      const reusable =
        next === "qr" && trade.kind === "qr" && trade.qrCode && trade.amountCents === amount && trade.expiresAt && Date.parse(trade.expiresAt) - now > 60_000;
      if (reusable) return { kind: "reuse", trade };
      const settled = await this.settleEarlierTrade(trade);
      if (settled) return settled;
    }
    return { kind: "clear" };
  }

  /** One earlier open trade: asked about, then closed at Alipay if still open; `undefined` = settled, go on with the next. */
  private async settleEarlierTrade(trade: TradeRecord): Promise<Settled | undefined> {
    const seen = await sweepOpenTrades(
      this.o.alipay,
      { trades: [{ partnerTransId: trade.partnerTransId, kind: trade.kind, amount: trade.amountCents }] },
      this.o.cancelRetry,
    );
    await this.events.applyAllLocked(seen, "earlier trade");
    const latest = this.o.store.getTrade(trade.partnerTransId)!;
    if (latest.status === "paid") return this.o.store.getOrder(trade.orderId)?.paidTransId ? { kind: "paid" } : { kind: "clear" };
    if (latest.status !== "open" && latest.status !== "unresolved") return undefined;
    if (queryFailed(seen)) {
      return {
        kind: "refused",
        refusal: refuse("previous_attempt_open", "Alipay could not be reached to settle the previous attempt; please try again shortly."),
      };
    }
    const cancel = await cancelOrder(this.o.alipay, { partnerTransId: trade.partnerTransId }, this.o.cancelRetry);
    await this.events.applyAllLocked(cancel.events, "earlier trade");
    const after = this.o.store.getTrade(trade.partnerTransId)!;
    if (after.status === "open" || after.status === "unresolved") {
      return { kind: "refused", refusal: refuse("previous_attempt_open", "The previous payment attempt could not be closed yet; please try again shortly.") };
    }
    return undefined;
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

  /** The order, or `undefined` when WooCommerce has no such order. */
  private async fetchOrder(orderId: number): Promise<WcOrder | undefined> {
    try {
      return await this.o.woo.getOrder(orderId);
    } catch (err) {
      if (err instanceof WooError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** `wc{order}-{attempt}-{random}`: unique even if the bridge's database were ever lost. */
  private nextTransId(orderId: number): string {
    return `wc${orderId}-${this.o.store.countTrades(orderId) + 1}-${randomBytes(3).toString("hex")}`;
  }

  private now(): Date {
    return this.o.alipay.clock.now();
  }
}

/** Core's sweep could not query the earlier trade: nothing is known, and cancelling it blind is not safe. */
function queryFailed(events: readonly TradeEvent[]): boolean {
  return events.some((e) => e.type === "trade.open" && e.queryFailed === true);
}

const closed = (orderId: number, message: string): PaymentView => ({ kind: "closed", orderId, message });

/** The amount a QR may be made for, or why the page shows no QR. */
function qrPayable(order: WcOrder): MinorUnits | string {
  if (order.payment_method !== PAYMENT_METHOD) return "This order is not paid with Alipay HK.";
  if (order.status !== "pending" && order.status !== "failed") return `This order can no longer be paid (it is ${order.status}).`;
  if (order.currency !== "HKD") return `Alipay HK takes HKD; this order is in ${order.currency}.`;
  const amount = toMinorUnits(order.total, "total");
  return amount > 0 ? amount : "This order has nothing to pay.";
}

/** Why the POS may not charge this order, if it may not. */
function barcodeRefusal(order: WcOrder): Refusal<PaymentRefusalReason> | undefined {
  if (order.payment_method !== PAYMENT_METHOD) {
    return refuse("not_alipayhk", `order ${order.id}: payment_method is ${JSON.stringify(order.payment_method)}, not "${PAYMENT_METHOD}"`);
  }
  if (order.status !== "pending" && order.status !== "failed") return refuse("not_payable", `order ${order.id}: status ${order.status} does not take payment`);
  if (order.currency !== "HKD") return refuse("wrong_currency", `order ${order.id}: currency ${order.currency}, Alipay HK takes HKD`);
  return undefined;
}

function closedMessage(state: OrderState): string {
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

/** Compares a secret given by a caller (order key, token) in constant time. */
export function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
