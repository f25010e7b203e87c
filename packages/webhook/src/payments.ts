import {
  AlipayError,
  barcodeRequestBudgetMs,
  cancelOrder,
  checkNotification,
  createQrPayment,
  formatAmount,
  leavesOutcomeOpen,
  NOTIFY_SUCCESS,
  payByBarcode,
  refundRequestBudgetMs,
  refundReturn,
  sweepOpenTrades,
  type AlipayHkClient,
  type BarcodeRecovery,
  type CancelRetry,
  type Clock,
  type OpenRefund,
  type OpenTrade,
  type RefundRetry,
  type TradeEvent,
} from "@alipayhk/core";
import type { CreateOrderBody, CreateReturnBody } from "./api/validate";
import { ApiError, conflict, notFound, unprocessable } from "./http/errors";
import { maskBuyerCode, type Logger } from "./log";
import type { Metrics } from "./metrics";
import type { OrderRecord, RefundRecord } from "./store/records";
import type { Store } from "./store/store";

/** The return id of the refund a late cancel makes; `~` cannot appear in a platform's return id. */
export const CANCEL_RETURN_ID = "~cancel";
/** The reason sent with (and resent with) the refund a late cancel makes. */
export const CANCEL_REFUND_REASON = "order cancelled";

export interface PaymentsOptions {
  client: AlipayHkClient;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Where Alipay sends notifications (`<public url>/alipay/notify`). */
  notifyUrl: string;
  qrExpiresInMinutes: number;
  barcodeRecovery: BarcodeRecovery;
  refundRetry: RefundRetry & CancelRetry;
  sweepIntervalMs: number;
  /** Called after a transaction that may have added events. */
  onEvents: () => void;
}

export type Outcome<T> = { status: number; value: T };

/** The answer to Alipay's notification: `success` only once its facts are stored. */
export interface NotifyAnswer {
  status: number;
  body: string;
  /** Why it was refused (for metrics and logs), or `applied`. */
  result: string;
}

/**
 * The adapter: maps the platform's orders and returns to core's flows, and applies the verified
 * trade events core returns (`apply`). No Alipay rule lives here: core decides what happened
 * (paid, mismatch, closed, late charge, refund outcome); this class only records it.
 */
export class Payments {
  constructor(private readonly options: PaymentsOptions) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  // ---- orders --------------------------------------------------------------------------------

  async createOrder(input: CreateOrderBody): Promise<Outcome<OrderRecord>> {
    const { store, qrExpiresInMinutes, sweepIntervalMs, client, barcodeRecovery } = this.options;
    const now = this.now();
    // A barcode charge belongs to its live request until the request cannot be running any more.
    const firstSweepAt = now + (input.mode === "qr" ? sweepIntervalMs : barcodeRequestBudgetMs(client.timeoutMs, barcodeRecovery));
    const expiresAt = input.mode === "qr" ? now + qrExpiresInMinutes * 60_000 : undefined;
    const reserved = await store.reserveOrder(
      { orderId: input.orderId, mode: input.mode, amount: input.amount, currency: input.currency, description: input.description, notifyUrl: input.notify },
      now,
      firstSweepAt,
      expiresAt,
    );
    if (reserved.kind === "conflict") {
      const was = reserved.field === "amount" ? formatAmount(reserved.order.amount) : reserved.order[reserved.field as "mode" | "currency"];
      throw conflict("order_conflict", `${reserved.field}: order ${input.orderId} already exists with ${reserved.field} ${JSON.stringify(was)}`);
    }
    const order = reserved.order;
    if (reserved.kind === "existing") {
      if (order.mode === "qr" && order.status === "pending" && !order.qrCode) return { status: 201, value: await this.precreate(order) };
      if (order.mode === "barcode" && order.status === "pending") {
        throw conflict("charge_in_progress", `order_id: order ${order.orderId} has a charge in progress (${order.partnerTransId}); its outcome comes as an event`);
      }
      return { status: 200, value: order };
    }
    if (order.mode === "qr") return { status: 201, value: await this.precreate(order) };
    const charged = await this.chargeBarcode(order, input.buyerCode!);
    // 202: the outcome is still open; it comes as an event once the sweep settles it.
    return { status: charged.status === "pending" ? 202 : 201, value: charged };
  }

  private async precreate(order: OrderRecord): Promise<OrderRecord> {
    const { client, store, notifyUrl, qrExpiresInMinutes, metrics } = this.options;
    try {
      const qr = await createQrPayment(client, {
        partnerTransId: order.partnerTransId,
        amount: order.amount,
        subject: order.description,
        notifyUrl,
        expiresInMinutes: qrExpiresInMinutes,
      });
      metrics.gatewayCalls.inc({ flow: "qr", result: "created" });
      return await store.saveQr(order.orderId, qr.qrCode, qr.expiresAt.getTime(), this.now());
    } catch (error) {
      // Even a refusal leaves the order pending: TRADE_HAS_SUCCESS or CONTEXT_INCONSISTENT mean a
      // trade with this id exists, so only a query (the sweep) may say what became of it.
      metrics.gatewayCalls.inc({ flow: "qr", result: "error" });
      throw gatewayError(error, "precreate");
    }
  }

  private async chargeBarcode(order: OrderRecord, buyerCode: string): Promise<OrderRecord> {
    const { client, store, barcodeRecovery, logger, metrics } = this.options;
    logger.log("info", "barcode charge", { order_id: order.orderId, partner_trans_id: order.partnerTransId, buyer_code: maskBuyerCode(buyerCode) });
    let result;
    try {
      result = await payByBarcode(client, { partnerTransId: order.partnerTransId, amount: order.amount, buyerCode, transName: order.description }, barcodeRecovery);
    } catch (error) {
      // Not sent, or refused outright (is_success=F): nothing was charged.
      metrics.gatewayCalls.inc({ flow: "barcode", result: "refused" });
      const code = (error as AlipayError).code ?? (error as Error).name;
      const failed = await store.markFailed(order.partnerTransId, code, (error as Error).message, this.now());
      this.options.onEvents();
      return failed ?? (await store.getOrder(order.orderId))!;
    }
    metrics.gatewayCalls.inc({ flow: "barcode", result: result.status });
    await this.apply(result.events);
    return (await store.getOrder(order.orderId))!;
  }

  // ---- cancel --------------------------------------------------------------------------------

  async cancel(orderId: string): Promise<Outcome<OrderRecord>> {
    const { client, store, refundRetry, metrics } = this.options;
    const order = await store.getOrder(orderId);
    if (!order) throw notFound("order_not_found", `order_id: no order ${JSON.stringify(orderId)}`);
    if (order.status === "canceled") return { status: 200, value: order };
    const refunds = await store.refundsOf(orderId);
    const committed = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
    const remaining = order.status === "paid" ? (order.paidAmount ?? order.amount) - committed : 0;
    const result = await cancelOrder(
      client,
      {
        partnerTransId: order.partnerTransId,
        refundFallback: remaining > 0 ? { amount: remaining, platformRefundId: CANCEL_RETURN_ID, reason: CANCEL_REFUND_REASON } : undefined,
      },
      refundRetry,
    );
    metrics.gatewayCalls.inc({ flow: "cancel", result: result.status });
    if ("cancelCode" in result && result.cancelCode) {
      // Decided by the trade's state: Alipay refused the cancel of a paid trade; what remains is refunded.
      this.options.logger.log("warn", "cancel refused by Alipay on a paid trade; refunding what remains instead", {
        order_id: orderId,
        partner_trans_id: order.partnerTransId,
        cancel_code: result.cancelCode,
        outcome: result.status,
      });
    }
    await this.apply(result.events);
    const after = (await store.getOrder(orderId))!;
    if (after.status === "canceled") return { status: 200, value: after };
    // Nothing was recorded: tell the platform whether to fix something (409) or retry (503).
    if ("code" in result) throw new ApiError(409, "cancel_refused", `order_id: Alipay refused to cancel order ${orderId} (${result.code})`);
    throw new ApiError(503, "cancel_unresolved", `order_id: the cancel of order ${orderId} could not be confirmed (${"reason" in result ? result.reason : result.status}); send it again later`, { "retry-after": "30" });
  }

  // ---- refunds -------------------------------------------------------------------------------

  async refund(input: CreateReturnBody): Promise<Outcome<{ order: OrderRecord; refund: RefundRecord }>> {
    const { client, store, refundRetry, metrics } = this.options;
    const now = this.now();
    // The live request owns the refund until it cannot be running any more: the sweep waits that long.
    const firstSweepAt = now + refundRequestBudgetMs(client.timeoutMs, refundRetry);
    const reserved = await store.reserveRefund(input.orderId, input.returnId, input.amount, now, firstSweepAt, input.reason);
    switch (reserved.kind) {
      case "unknown_order":
        throw notFound("order_not_found", `order_id: no order ${JSON.stringify(input.orderId)}`);
      case "not_paid":
        throw conflict("order_not_paid", `order_id: order ${input.orderId} is ${reserved.order.status}, not paid; only a paid order can be refunded`);
      case "exceeds":
        throw unprocessable(
          "amount_exceeds_refundable",
          `amount: expected at most ${formatAmount(reserved.refundable)} (what is left to refund of order ${input.orderId}), got ${formatAmount(input.amount)}`,
        );
      case "conflict":
        throw conflict(
          "return_conflict",
          `return_id: return ${input.returnId} of order ${input.orderId} already exists with amount ${formatAmount(reserved.refund.amount)}${reserved.refund.reason ? ` and reason ${JSON.stringify(reserved.refund.reason)}` : ""}`,
        );
      case "existing":
        return { status: 200, value: { order: reserved.order, refund: reserved.refund } };
    }
    const stored = reserved.refund;
    const result = await refundReturn(client, { partnerTransId: reserved.order.partnerTransId, platformRefundId: stored.returnId, amount: stored.amount, reason: stored.reason }, refundRetry);
    metrics.gatewayCalls.inc({ flow: "refund", result: result.status });
    await this.apply(result.events);
    const refund = (await store.refundsOf(input.orderId)).find((r) => r.returnId === input.returnId) ?? stored;
    return { status: 201, value: { order: reserved.order, refund } };
  }

  // ---- notifications -------------------------------------------------------------------------

  /**
   * Alipay's notification, as the raw request bytes: core checks it (fields, charset from the
   * notification or the trade, signature, partner, amounts, then a confirming query or refund
   * resend). Refused → nothing changes, a non-`success` answer (503 when a later try can pass).
   * Accepted → its events and the notification are stored in one transaction, then `success`.
   */
  async notification(raw: Buffer): Promise<NotifyAnswer> {
    const { client, store, logger, refundRetry } = this.options;
    const check = await checkNotification(client, raw, {
      findTrade: async (partnerTransId) => {
        const found = await store.orderOfTrade(partnerTransId);
        return found ? { amount: found.watch?.amount ?? found.order.amount, currency: found.order.currency } : undefined;
      },
      findRefund: async (partnerRefundId) => {
        const found = await store.refundRequest(partnerRefundId);
        return found ? { partnerTransId: found.partnerTransId, platformRefundId: found.refund.returnId, amount: found.refund.amount, reason: found.refund.reason } : undefined;
      },
      refundRetry: { ...refundRetry, attempts: 1 },
    });
    if (!check.accepted) {
      logger.log("warn", "notification refused", { refusal: check.refusal, reason: check.message, partner_trans_id: check.partnerTransId, retryable: check.retryable });
      return { status: check.retryable ? 503 : 400, body: "fail", result: check.refusal };
    }
    const now = this.now();
    await store.transaction(async (tx) => {
      await tx.recordNotification(check.notification.fields, now);
      for (const event of check.events) await this.applyOne(tx, event, now);
    });
    this.options.onEvents();
    logger.log("info", "notification", {
      notify_id: check.notification.notifyId,
      partner_trans_id: check.notification.outTradeNo ?? check.notification.partnerTransId,
      events: check.events.map((e) => e.type).join(","),
    });
    return { status: 200, body: NOTIFY_SUCCESS, result: check.events[0]?.type ?? "no_change" };
  }

  // ---- applying core's events ----------------------------------------------------------------

  /**
   * Records verified trade events (from a flow, the sweep or a notification) in one transaction,
   * with their outbound events. Idempotent: every change is conditional on the state it leaves.
   */
  async apply(events: readonly TradeEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.now();
    await this.options.store.transaction(async (tx) => {
      for (const event of events) await this.applyOne(tx, event, now);
    });
    this.options.onEvents();
  }

  private async applyOne(store: Store, event: TradeEvent, now: number): Promise<void> {
    const { logger, sweepIntervalMs } = this.options;
    const id = event.partnerTransId;
    const found = await store.orderOfTrade(id);
    if (!found) {
      logger.log("warn", "trade event about a trade that is not this store's", { partner_trans_id: id, type: event.type, source: event.source });
      return;
    }
    const { order, watch } = found;
    switch (event.type) {
      case "trade.paid": {
        // A charge under a watched (cancelled) id is the watch's to give back.
        if (watch) return;
        const paid = await store.markPaid(id, { alipayTransId: event.alipayTransId, paymentInst: event.paymentInst, buyerLoginId: event.buyerLoginId, paidAt: event.paidAt }, now);
        if (paid) return;
        // Not pending any more. Read it again: another instance may have just marked it paid.
        const current = await store.getOrderByTrade(id);
        if (current && (current.status === "canceled" || current.status === "failed") && current.paidAt === undefined) {
          // Money under an order this store settled as never paid: a late payment. Watch the id,
          // so the sweep gives it back and reports it (order.late_charge). A paid-then-cancelled
          // order's money was already handled by its cancel (reversal or refund).
          logger.log("error", "payment for an order that is no longer open; it will be given back", { order_id: order.orderId, partner_trans_id: id, status: current.status });
          await store.addWatch({ partnerTransId: id, orderId: order.orderId, amount: order.amount, until: now }, now, now);
        }
        return;
      }
      case "trade.mismatch": {
        if (watch) return;
        logger.log("error", "reported payment differs from the order; not marked paid, flagged for a person", {
          order_id: order.orderId,
          partner_trans_id: id,
          order_amount: formatAmount(event.expectedAmount),
          reported_amount: event.reportedAmount === undefined ? undefined : formatAmount(event.reportedAmount),
          reported_currency: event.reportedCurrency,
        });
        await store.flagMismatch(
          id,
          {
            expected_amount: formatAmount(event.expectedAmount),
            reported_amount: event.reportedAmount === undefined ? undefined : formatAmount(event.reportedAmount),
            reported_currency: event.reportedCurrency,
            alipay_trans_id: event.alipayTransId,
            source: event.source,
          },
          now,
        );
        return;
      }
      case "trade.failed":
        if (!watch) await store.markFailed(id, event.code, "declined", now);
        return;
      case "trade.closed": {
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
        return;
      }
      case "trade.open":
        // The live request ended with the outcome open: the sweep takes over now.
        if (event.source === "barcode") {
          logger.log("warn", "barcode charge unresolved; the sweep will settle it", { order_id: order.orderId, partner_trans_id: id, reason: event.reason });
          await store.scheduleSweep(id, now);
        }
        return;
      case "refund.succeeded":
      case "refund.failed":
      case "refund.pending": {
        const refund = (await store.refundsOf(order.orderId)).find((r) => r.returnId === event.platformRefundId);
        if (!refund) {
          // The cancel's fallback refund is recorded with the cancel it completes.
          if (event.platformRefundId === CANCEL_RETURN_ID && event.type !== "refund.failed") {
            await store.markCanceled(
              id,
              {
                reason: "canceled",
                reversed: false,
                from: ["pending", "paid", "failed"],
                fallbackRefund: { returnId: CANCEL_RETURN_ID, partnerRefundId: event.partnerRefundId, amount: event.amount, status: event.type === "refund.succeeded" ? "succeeded" : "pending" },
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
        const settled = await store.settleRefundFact(order.orderId, refund.returnId, { status: event.type === "refund.succeeded" ? "succeeded" : "failed", code: event.type === "refund.failed" ? event.code : undefined }, now);
        if (settled?.corrected) {
          logger.log("warn", "a refund reported failed went through after all; refund.succeeded corrects it", { order_id: order.orderId, return_id: refund.returnId, source: event.source });
        }
        return;
      }
      case "late_charge.found": {
        if (!watch) return;
        logger.log(event.resolution === "reversed" || event.resolution === "refunded" ? "warn" : "error", "late charge under a cancelled trade id", {
          order_id: order.orderId,
          partner_trans_id: id,
          resolution: event.resolution,
          code: event.code,
        });
        await store.recordLateCharge(
          watch,
          { amount: event.amount === undefined ? undefined : formatAmount(event.amount), alipay_trans_id: event.alipayTransId, resolution: event.resolution, code: event.code },
          now,
        );
        // Given back, or beyond what the sweep can do (a person takes over): the watch is over.
        if (event.resolution !== "pending") await store.endWatch(id);
        return;
      }
      case "watch.ended":
        if (watch) await store.endWatch(id);
        return;
    }
  }

  // ---- sweep ---------------------------------------------------------------------------------

  /** One pass of the background sweep through core's `sweepOpenTrades`; returns the events it applied. */
  async sweep(limit = 100): Promise<TradeEvent[]> {
    const { client, store, refundRetry, barcodeRecovery, sweepIntervalMs, metrics, logger } = this.options;
    const now = this.now();
    // Claimed rows are hidden from other passes at least as long as this pass's own refund
    // resend (one attempt) can run: two sends of one refund never overlap.
    const leaseMs = Math.max(sweepIntervalMs, refundRequestBudgetMs(client.timeoutMs, { ...refundRetry, attempts: 1 }));
    const claimed = await store.claimSweep(now, limit, leaseMs);
    const watched = await store.claimWatches(now, limit, leaseMs);
    if (claimed.orders.length === 0 && claimed.refunds.length === 0 && watched.length === 0) return [];
    const trades: OpenTrade[] = claimed.orders.map((order) => ({
      partnerTransId: order.partnerTransId,
      kind: order.mode,
      amount: order.amount,
      expiresAt: order.expiresAt === undefined ? undefined : new Date(order.expiresAt),
    }));
    const refunds: OpenRefund[] = [];
    for (const refund of claimed.refunds) {
      const order = await store.getOrder(refund.orderId);
      // The stored request content, resent identically.
      if (order) refunds.push({ partnerTransId: order.partnerTransId, platformRefundId: refund.returnId, amount: refund.amount, reason: refund.reason });
    }
    const watches = watched.map((w) => ({ partnerTransId: w.partnerTransId, until: new Date(w.until) }));
    const events = await sweepOpenTrades(client, { trades, refunds, watches }, { ...barcodeRecovery, ...refundRetry, attempts: 1 });
    for (const event of events) {
      metrics.sweeps.inc({ kind: event.type });
      try {
        await this.apply([event]);
      } catch (error) {
        logger.log("error", "sweep could not record an event", { partner_trans_id: event.partnerTransId, type: event.type, error: (error as Error).message });
      }
    }
    return events;
  }
}

/** A flow's error as the API reports it: the gateway refused, or its answer never came. */
function gatewayError(error: unknown, flow: string): ApiError {
  if (error instanceof AlipayError) {
    const open = leavesOutcomeOpen(error);
    return new ApiError(
      502,
      open ? "gateway_unavailable" : "gateway_refused",
      `alipay: ${flow} ${open ? "got no usable answer" : "was refused"} (${error.code ?? error.type}); send the same request again${open ? "" : " after fixing the configuration"}`,
    );
  }
  return new ApiError(500, "internal", `alipay: ${flow} failed unexpectedly`);
}
