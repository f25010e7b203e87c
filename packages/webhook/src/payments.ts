import {
  AlipayError,
  barcodeRequestBudgetMs,
  cancelOrder,
  cancelRequestBudgetMs,
  checkNotification,
  createQrPayment,
  formatAmount,
  leavesOutcomeOpen,
  payByBarcode,
  refundRequestBudgetMs,
  refundReturn,
  sweepOpenTrades,
  type AlipayHkClient,
  type BarcodeRecovery,
  type CancelRetry,
  type Clock,
  type MinorUnits,
  type OpenRefund,
  type OpenTrade,
  type RefundRetry,
  type TradeEvent,
} from "@alipayhk/core";
import { maskBuyerCode, type Logger } from "./log";
import type { Metrics } from "./metrics";
import type { OrderMode, OrderRecord, RefundRecord } from "./store/records";
import type { Store } from "./store/store";
import { runWithinWindow, sweepWindow } from "./sweep-window";
import { applyTradeEvent, CANCEL_REFUND_REASON, CANCEL_RETURN_ID } from "./trade-events";

export { CANCEL_REFUND_REASON, CANCEL_RETURN_ID };

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

/** A platform's order, checked by the API. */
export interface NewOrderInput {
  orderId: string;
  amount: MinorUnits;
  currency: "HKD";
  description: string;
  mode: OrderMode;
  /** Barcode mode: the code scanned from the buyer's wallet. */
  buyerCode?: string;
  /** An extra endpoint for this order's events. */
  notify?: string;
}

/** A platform's return, checked by the API. */
export interface NewReturnInput {
  orderId: string;
  returnId: string;
  amount: MinorUnits;
  reason?: string;
}

/** Why a request to the payments changed nothing; the API maps each to a status. */
export type PaymentRefusal =
  /** No such order. */
  | "order_not_found"
  /** The order id exists with other terms (mode, amount, currency). */
  | "order_conflict"
  /** A barcode charge of this order is still running; its outcome comes as an event. */
  | "charge_in_progress"
  /** Only a paid order can be refunded. */
  | "order_not_paid"
  /** More than what is left to refund. */
  | "amount_exceeds_refundable"
  /** The return id exists with another amount or reason. */
  | "return_conflict"
  /** Alipay refused the cancel and nothing was recorded. */
  | "cancel_refused"
  /** The cancel could not be confirmed yet: send it again later. */
  | "cancel_unresolved"
  /** Alipay refused the request (fix the configuration, then send it again). */
  | "gateway_refused"
  /** Alipay gave no usable answer: send the same request again. */
  | "gateway_unavailable";

/**
 * What a payments request did: `ok` with its value and how it came about (`created`, `existing`:
 * the same request again, `open`: the outcome comes later as an event), or a refusal with a reason,
 * the input field at fault and one line saying why.
 */
export type PaymentResult<T> =
  | { ok: true; value: T; outcome: "created" | "existing" | "open" }
  | { ok: false; reason: PaymentRefusal; field: string; message: string };

const refused = (reason: PaymentRefusal, field: string, message: string): PaymentResult<never> => ({
  ok: false,
  reason,
  field,
  message: `${field}: ${message}`,
});

/** The answer to Alipay's notification: `success` only once its facts are stored. */
export interface NotifyAnswer {
  /** `success` (stored) or `fail` (refused; nothing changed). */
  answer: "success" | "fail";
  /** A later try can pass (Alipay should send it again soon). */
  retryable: boolean;
  /** Why it was refused (for metrics and logs), or the first event's type. */
  result: string;
}

/**
 * The adapter: maps the platform's orders and returns to core's flows, and applies the verified
 * trade events core returns (`apply`). No Alipay rule lives here: core decides what happened
 * (paid, mismatch, closed, late charge, refund outcome); this class only records it. Nothing here
 * knows HTTP: requests end in a {@link PaymentResult}.
 */
export class Payments {
  constructor(private readonly options: PaymentsOptions) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  // ---- orders --------------------------------------------------------------------------------

  async createOrder(input: NewOrderInput): Promise<PaymentResult<OrderRecord>> {
    const reserved = await this.reserveOrder(input);
    if (reserved.kind === "conflict") {
      const was = reserved.field === "amount" ? formatAmount(reserved.order.amount) : reserved.order[reserved.field as "mode" | "currency"];
      return refused("order_conflict", reserved.field, `order ${input.orderId} already exists with ${reserved.field} ${JSON.stringify(was)}`);
    }
    const order = reserved.order;
    if (reserved.kind === "existing") {
      if (order.mode === "qr" && order.status === "pending" && !order.qrCode) return this.precreate(order);
      if (order.mode === "barcode" && order.status === "pending") {
        return refused(
          "charge_in_progress",
          "order_id",
          `order ${order.orderId} has a charge in progress (${order.partnerTransId}); its outcome comes as an event`,
        );
      }
      return { ok: true, value: order, outcome: "existing" };
    }
    if (order.mode === "qr") return this.precreate(order);
    const charged = await this.chargeBarcode(order, input.buyerCode!);
    // Open: the outcome comes as an event once the sweep settles it.
    return { ok: true, value: charged, outcome: charged.status === "pending" ? "open" : "created" };
  }

  private reserveOrder(input: NewOrderInput) {
    const { store, qrExpiresInMinutes, sweepIntervalMs, client, barcodeRecovery } = this.options;
    const now = this.now();
    // A barcode charge belongs to its live request until the request cannot be running any more.
    const firstSweepAt = now + (input.mode === "qr" ? sweepIntervalMs : barcodeRequestBudgetMs(client.timeoutMs, barcodeRecovery));
    const expiresAt = input.mode === "qr" ? now + qrExpiresInMinutes * 60_000 : undefined;
    const { orderId, mode, amount, currency, description, notify } = input;
    return store.reserveOrder({ orderId, mode, amount, currency, description, notifyUrl: notify }, now, firstSweepAt, expiresAt);
  }

  private async precreate(order: OrderRecord): Promise<PaymentResult<OrderRecord>> {
    const { client, store, notifyUrl, qrExpiresInMinutes, metrics } = this.options;
    let qr;
    try {
      qr = await createQrPayment(client, {
        partnerTransId: order.partnerTransId,
        amount: order.amount,
        subject: order.description,
        notifyUrl,
        expiresInMinutes: qrExpiresInMinutes,
      });
    } catch (error) {
      // Even a refusal leaves the order pending: TRADE_HAS_SUCCESS or CONTEXT_INCONSISTENT mean a
      // trade with this id exists, so only a query (the sweep) may say what became of it.
      metrics.gatewayCalls.inc({ flow: "qr", result: "error" });
      return gatewayRefusal(error, "precreate");
    }
    metrics.gatewayCalls.inc({ flow: "qr", result: "created" });
    return { ok: true, value: await store.saveQr(order.orderId, qr.qrCode, qr.expiresAt.getTime(), this.now()), outcome: "created" };
  }

  private async chargeBarcode(order: OrderRecord, buyerCode: string): Promise<OrderRecord> {
    const { client, store, barcodeRecovery, logger, metrics } = this.options;
    logger.log("info", "barcode charge", { order_id: order.orderId, partner_trans_id: order.partnerTransId, buyer_code: maskBuyerCode(buyerCode) });
    let result;
    try {
      result = await payByBarcode(
        client,
        { partnerTransId: order.partnerTransId, amount: order.amount, buyerCode, transName: order.description },
        barcodeRecovery,
      );
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

  async cancel(orderId: string): Promise<PaymentResult<OrderRecord>> {
    const { client, store, refundRetry, metrics } = this.options;
    const order = await store.getOrder(orderId);
    if (!order) return refused("order_not_found", "order_id", `no order ${JSON.stringify(orderId)}`);
    if (order.status === "canceled") return { ok: true, value: order, outcome: "existing" };
    const remaining = await this.refundableAfterCancel(order);
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
    if (after.status === "canceled") return { ok: true, value: after, outcome: "created" };
    // Nothing was recorded: tell the platform whether to fix something or retry.
    if ("code" in result) return refused("cancel_refused", "order_id", `Alipay refused to cancel order ${orderId} (${result.code})`);
    return refused(
      "cancel_unresolved",
      "order_id",
      `the cancel of order ${orderId} could not be confirmed (${"reason" in result ? result.reason : result.status}); send it again later`,
    );
  }

  /** What a cancel of a paid order refunds: the paid amount less the refunds not failed. */
  private async refundableAfterCancel(order: OrderRecord): Promise<MinorUnits> {
    if (order.status !== "paid") return 0 as MinorUnits;
    const refunds = await this.options.store.refundsOf(order.orderId);
    const committed = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
    return ((order.paidAmount ?? order.amount) - committed) as MinorUnits;
  }

  // ---- refunds -------------------------------------------------------------------------------

  async refund(input: NewReturnInput): Promise<PaymentResult<{ order: OrderRecord; refund: RefundRecord }>> {
    const { client, store, refundRetry, metrics } = this.options;
    const now = this.now();
    // The live request owns the refund until it cannot be running any more: the sweep waits that long.
    const firstSweepAt = now + refundRequestBudgetMs(client.timeoutMs, refundRetry);
    const reserved = await store.reserveRefund(input.orderId, input.returnId, input.amount, now, firstSweepAt, input.reason);
    switch (reserved.kind) {
      case "unknown_order":
        return refused("order_not_found", "order_id", `no order ${JSON.stringify(input.orderId)}`);
      case "not_paid":
        return refused("order_not_paid", "order_id", `order ${input.orderId} is ${reserved.order.status}, not paid; only a paid order can be refunded`);
      case "exceeds":
        return refused(
          "amount_exceeds_refundable",
          "amount",
          `expected at most ${formatAmount(reserved.refundable)} (what is left to refund of order ${input.orderId}), got ${formatAmount(input.amount)}`,
        );
      case "conflict": {
        const { amount, reason } = reserved.refund;
        const also = reason ? ` and reason ${JSON.stringify(reason)}` : "";
        return refused(
          "return_conflict",
          "return_id",
          `return ${input.returnId} of order ${input.orderId} already exists with amount ${formatAmount(amount)}${also}`,
        );
      }
      case "existing":
        return { ok: true, value: { order: reserved.order, refund: reserved.refund }, outcome: "existing" };
    }
    const stored = reserved.refund;
    const result = await refundReturn(
      client,
      { partnerTransId: reserved.order.partnerTransId, platformRefundId: stored.returnId, amount: stored.amount, reason: stored.reason },
      refundRetry,
    );
    metrics.gatewayCalls.inc({ flow: "refund", result: result.status });
    await this.apply(result.events);
    const refund = (await store.refundsOf(input.orderId)).find((r) => r.returnId === input.returnId) ?? stored;
    return { ok: true, value: { order: reserved.order, refund }, outcome: "created" };
  }

  // ---- notifications -------------------------------------------------------------------------

  /**
   * Alipay's notification, as the raw request bytes: core checks it (fields, charset from the
   * notification or the trade, signature, partner, amounts, then a confirming query or refund
   * resend). Refused → nothing changes, `fail` (retryable when a later try can pass).
   * Accepted → its events and the notification are stored in one transaction, then `success`.
   */
  async notification(raw: Buffer): Promise<NotifyAnswer> {
    const { client, store, logger, refundRetry, sweepIntervalMs } = this.options;
    const check = await checkNotification(client, raw, {
      findTrade: async (partnerTransId) => {
        const found = await store.orderOfTrade(partnerTransId);
        return found ? { amount: found.watch?.amount ?? found.order.amount, currency: found.order.currency } : undefined;
      },
      findRefund: async (partnerRefundId) => {
        const found = await store.refundRequest(partnerRefundId);
        return found
          ? { partnerTransId: found.partnerTransId, platformRefundId: found.refund.returnId, amount: found.refund.amount, reason: found.refund.reason }
          : undefined;
      },
      refundRetry: { ...refundRetry, attempts: 1 },
    });
    if (!check.accepted) {
      logger.log("warn", "notification refused", {
        refusal: check.refusal,
        reason: check.message,
        partner_trans_id: check.partnerTransId,
        retryable: check.retryable,
      });
      return { answer: "fail", retryable: check.retryable, result: check.refusal };
    }
    const now = this.now();
    await store.transaction(async (tx) => {
      await tx.recordNotification(check.notification.fields, now);
      for (const event of check.events) await applyTradeEvent({ store: tx, logger, sweepIntervalMs, now }, event);
    });
    this.options.onEvents();
    logger.log("info", "notification", {
      notify_id: check.notification.notifyId,
      partner_trans_id: check.notification.outTradeNo ?? check.notification.partnerTransId,
      events: check.events.map((e) => e.type).join(","),
    });
    return { answer: "success", retryable: false, result: check.events[0]?.type ?? "no_change" };
  }

  // ---- applying core's events ----------------------------------------------------------------

  /**
   * Records verified trade events (from a flow, the sweep or a notification) in one transaction,
   * with their outbound events. Idempotent: every change is conditional on the state it leaves.
   */
  async apply(events: readonly TradeEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { logger, sweepIntervalMs } = this.options;
    const now = this.now();
    await this.options.store.transaction(async (tx) => {
      for (const event of events) await applyTradeEvent({ store: tx, logger, sweepIntervalMs, now }, event);
    });
    this.options.onEvents();
  }

  // ---- sweep ---------------------------------------------------------------------------------

  /** One pass of the background sweep through core's `sweepOpenTrades`; returns the events it applied. */
  async sweep(limit = 100): Promise<TradeEvent[]> {
    const { client, store, refundRetry, barcodeRecovery, sweepIntervalMs } = this.options;
    const claimedAt = this.now();
    // The longest one row can take: a refund resend (one attempt), an open barcode charge (query,
    // then cancel with its retries), a watched id's late charge given back (cancel or refund).
    const rowBudgetMs = Math.max(
      refundRequestBudgetMs(client.timeoutMs, { ...refundRetry, attempts: 1 }),
      barcodeRequestBudgetMs(client.timeoutMs, { ...barcodeRecovery, maxPollMs: 0 }),
      cancelRequestBudgetMs(client.timeoutMs, { ...barcodeRecovery, ...refundRetry, attempts: 1 }),
    );
    const { leaseMs, startWithinMs } = sweepWindow(sweepIntervalMs, rowBudgetMs);
    const claimed = await store.claimSweep(claimedAt, limit, leaseMs);
    const watched = await store.claimWatches(claimedAt, limit, leaseMs);
    if (claimed.orders.length === 0 && claimed.refunds.length === 0 && watched.length === 0) return [];
    const rows: SweepWork[] = claimed.orders.map((order) => ({
      trades: [
        {
          partnerTransId: order.partnerTransId,
          kind: order.mode,
          amount: order.amount,
          expiresAt: order.expiresAt === undefined ? undefined : new Date(order.expiresAt),
        },
      ],
    }));
    for (const refund of claimed.refunds) {
      const order = await store.getOrder(refund.orderId);
      // The stored request content, resent identically.
      if (order)
        rows.push({ refunds: [{ partnerTransId: order.partnerTransId, platformRefundId: refund.returnId, amount: refund.amount, reason: refund.reason }] });
    }
    for (const watch of watched) rows.push({ watches: [{ partnerTransId: watch.partnerTransId, until: new Date(watch.until) }] });
    const applied: TradeEvent[] = [];
    await runWithinWindow(
      rows,
      claimedAt + startWithinMs,
      () => this.now(),
      async (row) => {
        const events = await sweepOpenTrades(client, row, { ...barcodeRecovery, ...refundRetry, attempts: 1 });
        await this.applySwept(events);
        applied.push(...events);
      },
    );
    return applied;
  }

  /** Applies the sweep's events one by one: one that cannot be recorded is logged, the rest still are. */
  private async applySwept(events: readonly TradeEvent[]): Promise<void> {
    const { metrics, logger } = this.options;
    for (const event of events) {
      metrics.sweeps.inc({ kind: event.type });
      try {
        await this.apply([event]);
      } catch (error) {
        logger.log("error", "sweep could not record an event", { partner_trans_id: event.partnerTransId, type: event.type, error: (error as Error).message });
      }
    }
  }
}

/** One row of a sweep pass, in the shape `sweepOpenTrades` takes. */
type SweepWork = { trades?: OpenTrade[]; refunds?: OpenRefund[]; watches?: { partnerTransId: string; until: Date }[] };

/** A flow's error as a refusal: the gateway refused, or its answer never came. Anything else is a bug: thrown on. */
function gatewayRefusal(error: unknown, flow: string): PaymentResult<never> {
  if (!(error instanceof AlipayError)) throw error;
  const open = leavesOutcomeOpen(error);
  return refused(
    open ? "gateway_unavailable" : "gateway_refused",
    "alipay",
    `${flow} ${open ? "got no usable answer" : "was refused"} (${error.code ?? error.type}); send the same request again${open ? "" : " after fixing the configuration"}`,
  );
}
