import {
  barcodeRequestBudgetMs,
  cancelOrder,
  derivePartnerRefundId,
  formatAmount,
  refundRequestBudgetMs,
  refundReturn,
  sanitizeSignedText,
  sweepOpenTrades,
  toMinorUnits,
  type AlipayHkClient,
  type MinorUnits,
  type OpenRefund,
  type OpenTrade,
  type SweepOptions,
  type WatchedTrade,
} from "@alipayhk/core";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { Logger } from "./log.js";
import { PAYMENT_METHOD, REFUND_MARKER, type PaymentService } from "./payments.js";
import { confirmWcRefund, type WcRefundRefusalReason } from "./refund-confirmation.js";
import { ok, refuse, type Result } from "./result.js";
import type { BridgeStore, RefundRecord } from "./store.js";
import type { WebhookHealth } from "./webhook-health.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";
import type { WcOrder, WcRefund } from "./woo/types.js";

export { REFUND_MARKER, type WcRefundRefusalReason };
export const WEBHOOK_TOPICS = ["order.created", "order.updated", "order.deleted"] as const;

export interface WooSyncOptions {
  woo: WooClient;
  alipay: AlipayHkClient;
  store: BridgeStore;
  locks: KeyedMutex;
  log: Logger;
  payments: PaymentService;
  publicUrl: string;
  webhookSecret: string;
  sweep?: SweepOptions;
  /** Told when webhooks are (re-)registered and which orders changed, to notice missing deliveries. */
  health?: WebhookHealth;
}

/** Runs one step of the poll, counting and logging its failure instead of stopping the poll. */
type Guard = (what: string, fields: Record<string, unknown>, work: () => Promise<void>) => Promise<void>;

export interface PollReport {
  ordersChecked: number;
  webhooksCreated: number;
  webhooksReactivated: number;
  decisions: number;
  errors: number;
}

/**
 * Keeps WooCommerce and Alipay in step. Webhooks are only hints ("order N changed"): every hint
 * re-reads the order and its refunds. The poll is the backstop for lost, late, coalesced or
 * disabled deliveries: it re-activates the bridge's webhooks, re-reads recently modified orders,
 * and runs core's sweep over open trades and open refunds.
 */
export class WooSync {
  constructor(private readonly o: WooSyncOptions) {}

  /** A webhook delivery (or the poll) says the order changed. */
  async syncOrder(orderId: number): Promise<void> {
    let order: WcOrder | undefined;
    try {
      order = await this.o.woo.getOrder(orderId);
    } catch (err) {
      if (!(err instanceof WooError && err.status === 404)) throw err;
    }
    const rec = this.o.store.getOrder(orderId);
    if (!rec) return; // the bridge never took payment for it: nothing to keep in step
    if (order && order.payment_method !== PAYMENT_METHOD && rec.state === "awaiting" && !rec.paidTransId) return;
    await this.o.locks.run(orderId, async () => {
      const status = order?.status ?? "trash";
      if (status === "cancelled" || status === "trash") {
        await this.cancelled(orderId, status);
        return;
      }
      const now = this.o.store.getOrder(orderId)!;
      if (now.state === "paid" && order) await this.syncRefunds(order);
    });
  }

  /**
   * The order was cancelled (or trashed) in WooCommerce: close every open trade at Alipay; if it
   * had been paid, give the money back (cancel on the day, refund of what is left after it).
   */
  private async cancelled(orderId: number, status: string): Promise<void> {
    await this.closeOpenTrades(orderId, status);
    const store = this.o.store;
    const rec = store.getOrder(orderId)!;
    if (rec.state === "paid" && rec.paidTransId && !(await this.givePaymentBack(orderId, rec.paidTransId, status))) return;
    const state = store.getOrder(orderId)!.state;
    if (state === "awaiting" || state === "paid") store.setOrderState(orderId, "cancelled");
  }

  private async closeOpenTrades(orderId: number, status: string): Promise<void> {
    for (const trade of this.o.store.tradesForOrder(orderId)) {
      if (trade.status !== "open" && trade.status !== "unresolved") continue;
      const res = await cancelOrder(this.o.alipay, { partnerTransId: trade.partnerTransId }, this.o.sweep);
      await this.o.payments.applyAllLocked(res.events, `order ${status}`);
      if (res.status !== "closed" && res.status !== "reversed") {
        this.o.log.warn("could not close an open trade of a cancelled order; the sweep retries", { orderId, partnerTransId: trade.partnerTransId });
      }
    }
  }

  /**
   * Gives back what is left of a cancelled order's payment. `true` when the order may be marked
   * cancelled now (given back, or still in progress); `false` when a person has to step in or the
   * refund had already gone through.
   */
  private async givePaymentBack(orderId: number, paidTransId: string, status: string): Promise<boolean> {
    const store = this.o.store;
    const payments = this.o.payments;
    const paid = store.getTrade(paidTransId)!;
    const left = paid.amountCents - store.refundedCents(paid.partnerTransId);
    if (left <= 0) return true;
    const refundKey = `cancel-${orderId}`;
    const { record } = store.claimRefund({
      refundKey,
      orderId,
      partnerTransId: paid.partnerTransId,
      wcRefundId: null,
      amountCents: left,
      origin: "bridge",
      partnerRefundId: derivePartnerRefundId(paid.partnerTransId, refundKey),
      reason: "order cancelled",
    });
    if (record.status === "succeeded") return false;
    const reason = record.reason ?? undefined;
    const alreadyRefunded = record.amountCents !== paid.amountCents;
    // A partly refunded trade cannot be cancelled as a whole: refund the rest.
    const res = alreadyRefunded
      ? await refundReturn(
          this.o.alipay,
          { partnerTransId: paid.partnerTransId, platformRefundId: refundKey, amount: record.amountCents, reason },
          this.o.sweep,
        )
      : await cancelOrder(
          this.o.alipay,
          { partnerTransId: paid.partnerTransId, refundFallback: { amount: record.amountCents, platformRefundId: refundKey, reason } },
          this.o.sweep,
        );
    await payments.applyAllLocked(res.events, `order ${status}`);
    if (res.status === "reversed" || res.status === "refunded" || res.status === "succeeded") {
      // A same-day cancel reverses the trade as a whole: the claimed refund is done too.
      if (res.status === "reversed") store.updateRefund(refundKey, { status: "succeeded" });
      const how =
        res.status === "reversed"
          ? "trade cancelled the same day"
          : "cancelCode" in res && res.cancelCode
            ? `refunded; Alipay refused the cancel with ${res.cancelCode}`
            : "refunded";
      await payments.note(orderId, `Order ${status}: HKD ${formatAmount(record.amountCents)} given back to the buyer at Alipay (${how}).`);
      return true;
    }
    const open = res.status === "unresolved" || res.status === "pending";
    const code = "code" in res ? res.code : "reason" in res ? res.reason : res.status;
    // Without a refund attempt (the cancel itself failed) the refund event did not record it.
    if (!res.events.some((e) => e.type.startsWith("refund."))) store.updateRefund(refundKey, { status: open ? "pending" : "failed", lastError: code });
    await payments.note(orderId, `Order ${status}, but returning HKD ${formatAmount(record.amountCents)} at Alipay did not complete (${code}).`);
    this.o.log.alert("cancelled order not refunded", { orderId, code });
    return open;
  }

  /** Every WooCommerce refund the bridge has not executed yet goes to Alipay, once. */
  private async syncRefunds(order: WcOrder): Promise<void> {
    if (!order.refunds.length) return;
    const refunds = (await this.o.woo.listRefunds(order.id)).sort((a, b) => a.id - b.id);
    for (const refund of refunds) {
      if (this.o.store.getRefundByWcId(refund.id)) continue;
      if (refund.meta_data.some((m) => m.key === REFUND_MARKER)) continue; // recorded by the bridge itself
      if (refund.refunded_payment === true) continue; // a gateway already executed it
      const executed = await this.executeWcRefund(order.id, refund.id, toMinorUnits(refund.amount, "refund.amount"), refund.reason);
      if (!executed.ok)
        this.o.log.warn("refund not executed", { orderId: order.id, wcRefundId: refund.id, reason: executed.reason, message: executed.message });
    }
  }

  /**
   * Executes one WooCommerce refund at Alipay. Idempotent on the WooCommerce refund id: the
   * `partner_refund_id` is derived from `wc-{order}-{refund}`, and the store remembers the outcome.
   * Called for refunds seen by webhook/poll and, through {@link executeRequestedWcRefund}, by the
   * plugin's `process_refund`. Refused (`not_paid`) when the bridge recorded no payment for the order.
   */
  async executeWcRefund(orderId: number, wcRefundId: number, amount: MinorUnits, reason: string): Promise<Result<RefundRecord, "not_paid">> {
    const store = this.o.store;
    const rec = store.getOrder(orderId);
    if (rec?.state !== "paid" || !rec.paidTransId) {
      return refuse("not_paid", `order ${orderId} has no Alipay HK payment recorded by this bridge`);
    }
    const refundKey = `wc-${orderId}-${wcRefundId}`;
    const { record, created } = store.claimRefund({
      refundKey,
      orderId,
      partnerTransId: rec.paidTransId,
      wcRefundId,
      amountCents: amount,
      origin: "woocommerce",
      partnerRefundId: derivePartnerRefundId(rec.paidTransId, refundKey),
      // The reason is part of the request's content: stored once, resent unchanged.
      reason: reason ? sanitizeSignedText(reason).slice(0, 80) : null,
    });
    if (!created && record.status !== "pending") return ok(record);
    store.updateRefund(refundKey, { addTry: true });
    const res = await refundReturn(
      this.o.alipay,
      { partnerTransId: record.partnerTransId, platformRefundId: refundKey, amount: record.amountCents, reason: record.reason ?? undefined },
      this.o.sweep,
    );
    await this.o.payments.applyAllLocked(res.events, "refund");
    if (res.status === "succeeded") {
      await this.o.payments.note(
        orderId,
        `Refund #${wcRefundId} executed at Alipay HK: HKD ${formatAmount(record.amountCents)} (partner_refund_id ${res.partnerRefundId}).`,
      );
    } else if (res.status === "failed") {
      this.o.log.alert("refund refused by Alipay", { orderId, wcRefundId, code: res.code });
      await this.o.payments.note(
        orderId,
        `Refund #${wcRefundId} (HKD ${formatAmount(record.amountCents)}) was NOT executed at Alipay HK: ${res.code}. Please return the money to the buyer another way.`,
      );
    } else {
      this.o.log.warn("refund outcome open; the sweep resends it with the same id and content", { orderId, wcRefundId, reason: res.reason });
    }
    return ok(store.getRefund(refundKey)!);
  }

  /**
   * The WordPress plugin's refund call (issue 11): executes only a refund WooCommerce really has,
   * on that order, for that amount, read back over REST before anything reaches Alipay. A refusal
   * changes nothing.
   */
  async executeRequestedWcRefund(
    orderId: number,
    wcRefundId: number,
    amount: MinorUnits,
    reason: string,
  ): Promise<Result<RefundRecord, WcRefundRefusalReason>> {
    const confirmed = await confirmWcRefund(this.o.woo, this.o.log, orderId, wcRefundId, amount);
    if (!confirmed.ok) return confirmed;
    return this.executeWcRefund(orderId, wcRefundId, amount, reason);
  }

  /** The backstop: webhooks health, recently modified orders, and core's sweep. */
  async poll(): Promise<PollReport> {
    const report: PollReport = { ordersChecked: 0, webhooksCreated: 0, webhooksReactivated: 0, decisions: 0, errors: 0 };
    const guard: Guard = async (what, fields, work) => {
      try {
        await work();
      } catch (err) {
        report.errors++;
        this.o.log.error(`poll: ${what} failed`, { ...fields, error: err });
      }
    };
    await guard("webhook check", {}, async () => {
      const r = await this.ensureWebhooks();
      report.webhooksCreated = r.created;
      report.webhooksReactivated = r.reactivated;
    });
    await guard("order scan", {}, async () => {
      report.ordersChecked = await this.scanModifiedOrders(guard);
    });
    // Payments stored as paid whose WooCommerce update did not go through (WooCommerce was down).
    for (const trade of this.o.store.tradesInStatus("paid")) {
      if (this.o.store.getOrder(trade.orderId)?.state === "awaiting") {
        await guard("payment completion", { partnerTransId: trade.partnerTransId }, () => this.o.payments.recordPaid(trade.partnerTransId, {}, "poll"));
      }
    }
    const work = this.sweepWork();
    if (work.trades.length || work.refunds.length || work.watches.length) {
      await guard("sweep", {}, async () => {
        const events = await sweepOpenTrades(this.o.alipay, work, this.o.sweep);
        report.decisions = events.length;
        for (const event of events) {
          await guard("sweep decision", { partnerTransId: event.partnerTransId }, () => this.o.payments.applyAll([event], "poll"));
        }
      });
    }
    return report;
  }

  /** Re-reads the orders WooCommerce modified since the last scan (with a margin); returns how many were the bridge's. */
  private async scanModifiedOrders(guard: Guard): Promise<number> {
    const store = this.o.store;
    const cursor = store.getSetting("poll.modified_after") ?? new Date(this.now().getTime() - 24 * 3600_000).toISOString();
    // Re-read a margin before the cursor: modification times are per second and clocks drift.
    const since = new Date(Date.parse(cursor) - 5 * 60_000).toISOString();
    const orders = await this.o.woo.listAllOrders({ modifiedAfter: since, orderby: "modified", order: "asc" });
    let newest = cursor;
    let checked = 0;
    for (const order of orders) {
      const modified = order.date_modified_gmt ? Date.parse(`${order.date_modified_gmt}Z`) : NaN;
      if (modified > Date.parse(newest)) newest = new Date(modified).toISOString();
      this.o.health?.orderChanged(order.id, new Date(modified));
      if (order.payment_method !== PAYMENT_METHOD && !store.getOrder(order.id)) continue;
      checked++;
      await guard("order sync", { orderId: order.id }, () => this.syncOrder(order.id));
    }
    store.setSetting("poll.modified_after", newest);
    return checked;
  }

  /**
   * Open trades, refunds whose outcome is open, and ids on the late-charge watch, for core's
   * sweep; a trade or refund whose live request may still be in flight is left to that request.
   */
  private sweepWork(): { trades: OpenTrade[]; refunds: OpenRefund[]; watches: WatchedTrade[] } {
    const store = this.o.store;
    const now = this.now().getTime();
    const timeoutMs = this.o.alipay.timeoutMs;
    const trades = store
      .tradesInStatus("open", "unresolved")
      .filter((t) => !(t.kind === "barcode" && t.status === "open" && Date.parse(t.createdAt) + barcodeRequestBudgetMs(timeoutMs, this.o.sweep) > now))
      .map((t) => ({ partnerTransId: t.partnerTransId, kind: t.kind, amount: t.amountCents, ...(t.expiresAt ? { expiresAt: new Date(t.expiresAt) } : {}) }));
    const refunds = store
      .refundsInStatus("pending")
      .filter((r) => Date.parse(r.updatedAt) + refundRequestBudgetMs(timeoutMs, this.o.sweep) <= now)
      .map((r) => ({ partnerTransId: r.partnerTransId, platformRefundId: r.refundKey, amount: r.amountCents, reason: r.reason ?? undefined }));
    const watches = store.watchedTrades().map((t) => ({ partnerTransId: t.partnerTransId, until: new Date(t.watchUntil!) }));
    return { trades, refunds, watches };
  }

  /** Creates the bridge's order webhooks if missing and re-activates any WooCommerce disabled. */
  async ensureWebhooks(): Promise<{ created: number; reactivated: number }> {
    const deliveryUrl = `${this.o.publicUrl}/woocommerce/webhook`;
    const hooks = await this.o.woo.listWebhooks();
    let created = 0;
    let reactivated = 0;
    for (const topic of WEBHOOK_TOPICS) {
      const mine = hooks.filter((h) => h.delivery_url === deliveryUrl && h.topic === topic);
      if (!mine.length) {
        this.o.health?.registered(); // before: WooCommerce pings during the create call
        await this.o.woo.createWebhook({ name: `Alipay HK bridge: ${topic}`, topic, deliveryUrl, secret: this.o.webhookSecret });
        created++;
        continue;
      }
      for (const hook of mine) {
        if (hook.status === "active") continue;
        this.o.health?.registered();
        await this.o.woo.setWebhookStatus(hook.id, "active");
        reactivated++;
        this.o.log.warn("webhook was not active (WooCommerce disables one after repeated failed deliveries); re-activated", {
          webhookId: hook.id,
          topic,
          was: hook.status,
        });
      }
    }
    this.o.health?.watching();
    return { created, reactivated };
  }

  private now(): Date {
    return this.o.alipay.clock.now();
  }
}

export type { WcRefund };
