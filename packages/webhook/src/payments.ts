import {
  AlipayError,
  cancelOrder,
  createQrPayment,
  derivePartnerRefundId,
  formatAmount,
  leavesOutcomeOpen,
  payByBarcode,
  refundReturn,
  sweepOpenTrades,
  type AlipayHkClient,
  type AlipayNotification,
  type BarcodeRecovery,
  type CancelRetry,
  type Clock,
  type OpenRefund,
  type OpenTrade,
  type RefundRetry,
  type SweepDecision,
} from "@alipayhk/core";
import type { CreateOrderBody, CreateReturnBody } from "./api/validate";
import { ApiError, conflict, notFound, unprocessable } from "./http/errors";
import { maskBuyerCode, type Logger } from "./log";
import type { Metrics } from "./metrics";
import type { OrderRecord, RefundRecord } from "./store/records";
import type { Store } from "./store/store";

/** The return id of the refund a late cancel makes; `~` cannot appear in a platform's return id. */
export const CANCEL_RETURN_ID = "~cancel";

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

/**
 * The adapter: maps the platform's orders and returns to core's flows and records what they
 * decide. No Alipay rule lives here: the flows own recovery, ids of refunds and the day rules.
 */
export class Payments {
  constructor(private readonly options: PaymentsOptions) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  // ---- orders --------------------------------------------------------------------------------

  async createOrder(input: CreateOrderBody): Promise<Outcome<OrderRecord>> {
    const { store, qrExpiresInMinutes, sweepIntervalMs } = this.options;
    const now = this.now();
    const firstSweepAt = now + (input.mode === "qr" ? sweepIntervalMs : this.barcodeRequestMs());
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

  /**
   * The longest a live barcode request can take (pay, poll, cancel with retries): the sweep leaves
   * the charge to the request until then, and takes it over only when its instance died.
   */
  private barcodeRequestMs(): number {
    const { barcodeRecovery: r, client } = this.options;
    return (r.maxPollMs ?? 30_000) + client.timeoutMs + (r.cancelAttempts ?? 5) * ((r.cancelRetryMs ?? 2_000) + client.timeoutMs) + 5_000;
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
    const now = this.now();
    let changed: OrderRecord | undefined;
    switch (result.status) {
      case "paid":
        changed = await store.markPaid(order.partnerTransId, { alipayTransId: result.alipayTransId, paymentInst: result.paymentInst, buyerLoginId: result.buyerLoginId, paidAt: result.paidAt }, now);
        break;
      case "failed":
        changed = await store.markFailed(order.partnerTransId, result.code, "declined", now);
        break;
      case "canceled":
        changed = await store.markFailed(order.partnerTransId, result.reversed ? "REVERSED" : "CANCELED", "outcome unknown; cancelled, no money kept", now);
        break;
      case "unresolved":
        logger.log("warn", "barcode charge unresolved; the sweep will settle it", { order_id: order.orderId, partner_trans_id: order.partnerTransId, reason: result.reason });
        await store.scheduleSweep(order.partnerTransId, now);
        break;
    }
    this.options.onEvents();
    return changed ?? (await store.getOrder(order.orderId))!;
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
        refundFallback: remaining > 0 ? { amount: remaining, platformRefundId: CANCEL_RETURN_ID, reason: "order cancelled" } : undefined,
      },
      refundRetry,
    );
    metrics.gatewayCalls.inc({ flow: "cancel", result: result.status });
    const now = this.now();
    const from: OrderRecord["status"][] = ["pending", "paid", "failed"];
    const partnerRefundId = derivePartnerRefundId(order.partnerTransId, CANCEL_RETURN_ID);
    let changed: OrderRecord | undefined;
    if (result.status === "closed" || result.status === "reversed") {
      changed = await store.markCanceled(order.partnerTransId, { reason: "canceled", reversed: result.status === "reversed", from }, now);
    } else if (result.status === "refunded") {
      changed = await store.markCanceled(
        order.partnerTransId,
        { reason: "canceled", reversed: false, from, fallbackRefund: { returnId: CANCEL_RETURN_ID, partnerRefundId, amount: remaining, status: "succeeded" } },
        now,
      );
    } else if (result.status === "unresolved" && result.refund?.status === "pending") {
      // Past the day and the refund's outcome is open: cancelled here, the sweep finishes the refund.
      changed = await store.markCanceled(
        order.partnerTransId,
        { reason: "canceled", reversed: false, from, fallbackRefund: { returnId: CANCEL_RETURN_ID, partnerRefundId, amount: remaining, status: "pending" } },
        now,
      );
    } else if (result.status === "failed") {
      throw new ApiError(409, "cancel_refused", `order_id: Alipay refused to cancel order ${orderId} (${result.code})`);
    } else {
      throw new ApiError(503, "cancel_unresolved", `order_id: the cancel of order ${orderId} could not be confirmed (${"reason" in result ? result.reason : result.status}); send it again later`, { "retry-after": "30" });
    }
    this.options.onEvents();
    return { status: 200, value: changed ?? (await store.getOrder(orderId))! };
  }

  // ---- refunds -------------------------------------------------------------------------------

  async refund(input: CreateReturnBody): Promise<Outcome<{ order: OrderRecord; refund: RefundRecord }>> {
    const { client, store, refundRetry, sweepIntervalMs, metrics } = this.options;
    const now = this.now();
    const reserved = await store.reserveRefund(input.orderId, input.returnId, input.amount, now, now + sweepIntervalMs);
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
        throw conflict("return_conflict", `return_id: return ${input.returnId} of order ${input.orderId} already exists with amount ${formatAmount(reserved.refund.amount)}`);
      case "existing":
        return { status: 200, value: { order: reserved.order, refund: reserved.refund } };
    }
    const result = await refundReturn(client, { partnerTransId: reserved.order.partnerTransId, platformRefundId: input.returnId, amount: input.amount, reason: input.reason }, refundRetry);
    metrics.gatewayCalls.inc({ flow: "refund", result: result.status });
    const settled = await store.settleRefund(
      input.orderId,
      input.returnId,
      result.status === "pending" ? { status: "pending", code: result.reason, nextSweepAt: this.now() + sweepIntervalMs } : { status: result.status, code: result.status === "failed" ? result.code : undefined },
      this.now(),
    );
    this.options.onEvents();
    return { status: 201, value: { order: reserved.order, refund: settled ?? reserved.refund } };
  }

  // ---- notifications -------------------------------------------------------------------------

  /** Applies a verified notification. Idempotent: duplicates and stale ones change nothing. */
  async applyNotification(notification: AlipayNotification): Promise<string> {
    const { store, logger } = this.options;
    const now = this.now();
    if (notification.partnerRefundId) {
      const refund = await store.refundByPartnerRefundId(notification.partnerRefundId);
      if (!refund) return "unknown_refund";
      const status = (notification.refundStatus ?? "").toUpperCase();
      if (refund.status === "pending" && (status === "REFUND_SUCCESS" || status === "SUCCESS")) {
        await store.settleRefund(refund.orderId, refund.returnId, { status: "succeeded" }, now);
      } else if (refund.status === "pending" && /FAIL/.test(status)) {
        await store.settleRefund(refund.orderId, refund.returnId, { status: "failed", code: status }, now);
      }
      return "refund";
    }
    const partnerTransId = notification.outTradeNo ?? notification.partnerTransId;
    const order = partnerTransId ? await store.getOrderByTrade(partnerTransId) : undefined;
    if (!order) {
      logger.log("warn", "notification about a trade that is not ours", { partner_trans_id: partnerTransId, notify_id: notification.notifyId });
      return "unknown_trade";
    }
    switch (notification.tradeStatus) {
      case "TRADE_SUCCESS":
      case "TRADE_FINISHED":
        if (notification.totalFee !== undefined && notification.totalFee !== order.amount) {
          logger.log("error", "paid amount differs from the order; not marked paid", {
            order_id: order.orderId,
            partner_trans_id: order.partnerTransId,
            order_amount: formatAmount(order.amount),
            notified_amount: formatAmount(notification.totalFee),
          });
          return "amount_mismatch";
        }
        await store.markPaid(order.partnerTransId, { alipayTransId: notification.tradeNo, paymentInst: notification.paymentInst, buyerLoginId: notification.fields.buyer_email, paidAt: notification.paidAt }, now);
        return "paid";
      case "TRADE_CLOSED":
        // A barcode charge's close is its own flow's (or the sweep's) to record.
        if (order.mode === "qr") await store.markCanceled(order.partnerTransId, { reason: "expired", reversed: false, from: ["pending"] }, now);
        return "closed";
      default:
        return "ignored";
    }
  }

  // ---- sweep ---------------------------------------------------------------------------------

  /** One pass of the background sweep through core's `sweepOpenTrades`; returns what it decided. */
  async sweep(limit = 100): Promise<SweepDecision[]> {
    const { client, store, refundRetry, barcodeRecovery, sweepIntervalMs, metrics, logger } = this.options;
    const now = this.now();
    const claimed = await store.claimSweep(now, limit, sweepIntervalMs);
    if (claimed.orders.length === 0 && claimed.refunds.length === 0) return [];
    const byTrade = new Map(claimed.orders.map((order) => [order.partnerTransId, order]));
    const trades: OpenTrade[] = claimed.orders.map((order) => ({ partnerTransId: order.partnerTransId, kind: order.mode, expiresAt: order.expiresAt === undefined ? undefined : new Date(order.expiresAt) }));
    const refunds: Array<OpenRefund & { orderId: string }> = [];
    for (const refund of claimed.refunds) {
      const order = await store.getOrder(refund.orderId);
      if (order) refunds.push({ orderId: refund.orderId, partnerTransId: order.partnerTransId, platformRefundId: refund.returnId, amount: refund.amount });
    }
    const decisions = await sweepOpenTrades(client, { trades, refunds }, { ...barcodeRecovery, ...refundRetry, attempts: 1 });
    for (const decision of decisions) {
      metrics.sweeps.inc({ kind: decision.kind });
      const at = this.now();
      try {
        switch (decision.kind) {
          case "paid": {
            const d = decision.details;
            await store.markPaid(decision.partnerTransId, { alipayTransId: d.alipayTransId, paymentInst: d.paymentInst, buyerLoginId: d.buyerLoginId, paidAt: d.paidAt }, at);
            break;
          }
          case "closed": {
            const order = byTrade.get(decision.partnerTransId);
            if (order?.mode === "barcode") await store.markFailed(decision.partnerTransId, decision.reversed ? "REVERSED" : "CANCELED", "outcome unknown; cancelled by the sweep", at);
            else await store.markCanceled(decision.partnerTransId, { reason: "expired", reversed: decision.reversed, from: ["pending"] }, at);
            break;
          }
          case "refund_succeeded":
          case "refund_failed": {
            const refund = refunds.find((r) => r.partnerTransId === decision.partnerTransId && r.platformRefundId === decision.platformRefundId);
            if (refund) await store.settleRefund(refund.orderId, refund.platformRefundId, { status: decision.kind === "refund_succeeded" ? "succeeded" : "failed", code: decision.code }, at);
            break;
          }
          default:
            break;
        }
      } catch (error) {
        logger.log("error", "sweep could not record a decision", { partner_trans_id: decision.partnerTransId, kind: decision.kind, error: (error as Error).message });
      }
    }
    this.options.onEvents();
    return decisions;
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
