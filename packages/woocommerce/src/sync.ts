import {
  cancelOrder,
  formatAmount,
  refundReturn,
  sweepOpenTrades,
  toMinorUnits,
  type AlipayHkClient,
  type AlipayNotification,
  type MinorUnits,
  type OpenRefund,
  type OpenTrade,
  type SweepOptions,
} from "@alipayhk/core";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { Logger } from "./log.js";
import { PAYMENT_METHOD, type PaymentService } from "./payments.js";
import type { BridgeStore, RefundRecord } from "./store.js";
import type { WebhookHealth } from "./webhook-health.js";
import type { WooClient } from "./woo/client.js";
import { WooError } from "./woo/errors.js";
import type { WcOrder, WcRefund } from "./woo/types.js";

/** Order meta written on refunds the bridge itself records in WooCommerce (never executed again). */
export const REFUND_MARKER = "alipayhk_refund_key";
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
    const store = this.o.store;
    for (const trade of store.tradesForOrder(orderId)) {
      if (trade.status !== "open" && trade.status !== "unresolved") continue;
      const res = await cancelOrder(this.o.alipay, { partnerTransId: trade.partnerTransId }, this.o.sweep);
      if (res.status === "closed") store.updateTrade(trade.partnerTransId, { status: "closed" });
      else if (res.status === "reversed") {
        store.updateTrade(trade.partnerTransId, { status: "reversed" });
        await this.o.payments.note(orderId, `Alipay HK trade ${trade.partnerTransId} had been paid and was reversed because the order is ${status}.`);
      } else {
        this.o.log.warn("could not close an open trade of a cancelled order; the sweep retries", { orderId, partnerTransId: trade.partnerTransId });
      }
    }
    const rec = store.getOrder(orderId)!;
    if (rec.state === "paid" && rec.paidTransId) {
      const paid = store.getTrade(rec.paidTransId)!;
      const left = paid.amountCents - store.refundedCents(paid.partnerTransId);
      if (left > 0) {
        const refundKey = `cancel-${orderId}`;
        const { record } = store.claimRefund({ refundKey, orderId, partnerTransId: paid.partnerTransId, wcRefundId: null, amountCents: left, origin: "bridge" });
        if (record.status === "succeeded") return;
        const alreadyRefunded = left !== paid.amountCents;
        // A partly refunded trade cannot be cancelled as a whole: refund the rest.
        const res = alreadyRefunded
          ? await refundReturn(this.o.alipay, { partnerTransId: paid.partnerTransId, platformRefundId: refundKey, amount: left, reason: "order cancelled" }, this.o.sweep).then((r) =>
              r.status === "succeeded" ? ({ status: "refunded" } as const) : r.status === "failed" ? ({ status: "failed", code: r.code } as const) : ({ status: "unresolved", reason: r.reason } as const),
            )
          : await cancelOrder(
              this.o.alipay,
              { partnerTransId: paid.partnerTransId, refundFallback: { amount: left, platformRefundId: refundKey, reason: "order cancelled" } },
              this.o.sweep,
            );
        if (res.status === "reversed" || res.status === "refunded") {
          store.updateRefund(refundKey, { status: "succeeded" });
          store.updateTrade(paid.partnerTransId, { status: res.status });
          await this.o.payments.note(
            orderId,
            `Order ${status}: HKD ${formatAmount(left)} given back to the buyer at Alipay (${res.status === "reversed" ? "trade cancelled the same day" : "refunded"}).`,
          );
        } else {
          const code = res.status === "failed" ? res.code : res.status === "unresolved" ? res.reason : res.status;
          store.updateRefund(refundKey, { status: res.status === "unresolved" ? "pending" : "failed", lastError: code });
          await this.o.payments.note(orderId, `Order ${status}, but returning HKD ${formatAmount(left)} at Alipay did not complete (${code}).`);
          this.o.log.alert("cancelled order not refunded", { orderId, code });
          if (res.status !== "unresolved") return;
        }
      }
    }
    const state = store.getOrder(orderId)!.state;
    if (state === "awaiting" || state === "paid") store.setOrderState(orderId, "cancelled");
  }

  /** Every WooCommerce refund the bridge has not executed yet goes to Alipay, once. */
  private async syncRefunds(order: WcOrder): Promise<void> {
    if (!order.refunds.length) return;
    const refunds = (await this.o.woo.listRefunds(order.id)).sort((a, b) => a.id - b.id);
    for (const refund of refunds) {
      if (this.o.store.getRefundByWcId(refund.id)) continue;
      if (refund.meta_data.some((m) => m.key === REFUND_MARKER)) continue; // recorded by the bridge itself
      if (refund.refunded_payment === true) continue; // a gateway already executed it
      await this.executeWcRefund(order.id, refund.id, toMinorUnits(refund.amount, "refund.amount"), refund.reason);
    }
  }

  /**
   * Executes one WooCommerce refund at Alipay. Idempotent on the WooCommerce refund id: the
   * `partner_refund_id` is derived from `wc-{order}-{refund}`, and the store remembers the outcome.
   * Called for refunds seen by webhook/poll and, synchronously, by the plugin's `process_refund`.
   */
  async executeWcRefund(orderId: number, wcRefundId: number, amount: MinorUnits, reason: string): Promise<RefundRecord> {
    const store = this.o.store;
    const rec = store.getOrder(orderId);
    if (!rec || rec.state !== "paid" || !rec.paidTransId) {
      throw new WooSyncError("not_paid", `order ${orderId} has no Alipay HK payment recorded by this bridge`);
    }
    const refundKey = `wc-${orderId}-${wcRefundId}`;
    const { record, created } = store.claimRefund({ refundKey, orderId, partnerTransId: rec.paidTransId, wcRefundId, amountCents: amount, origin: "woocommerce" });
    if (!created && record.status !== "pending") return record;
    store.updateRefund(refundKey, { addTry: true });
    const res = await refundReturn(this.o.alipay, { partnerTransId: rec.paidTransId, platformRefundId: refundKey, amount, reason: reason || undefined }, this.o.sweep);
    if (res.status === "succeeded") {
      store.updateRefund(refundKey, { status: "succeeded", partnerRefundId: res.partnerRefundId, lastError: null });
      await this.o.payments.note(orderId, `Refund #${wcRefundId} executed at Alipay HK: HKD ${formatAmount(amount)} (partner_refund_id ${res.partnerRefundId}).`);
    } else if (res.status === "failed") {
      store.updateRefund(refundKey, { status: "failed", partnerRefundId: res.partnerRefundId, lastError: res.code });
      await this.o.payments.note(orderId, `Refund #${wcRefundId} (HKD ${formatAmount(amount)}) was NOT executed at Alipay HK: ${res.code}. Please return the money to the buyer another way.`);
      this.o.log.alert("refund refused by Alipay", { orderId, wcRefundId, code: res.code });
    } else {
      store.updateRefund(refundKey, { status: "pending", partnerRefundId: res.partnerRefundId, lastError: res.reason });
      this.o.log.warn("refund outcome open; the sweep retries it with the same id", { orderId, wcRefundId, reason: res.reason });
    }
    return store.getRefund(refundKey)!;
  }

  /** A verified Alipay notification: payments complete orders; refund results update records. */
  async onNotification(n: AlipayNotification): Promise<void> {
    if (n.partnerRefundId) {
      const refund = this.o.store.getRefundByPartnerRefundId(n.partnerRefundId);
      if (refund && refund.status === "pending" && /^(SUCCESS|REFUND_SUCCESS)$/i.test(n.refundStatus ?? "")) {
        await this.refundSucceeded(refund);
      }
      return;
    }
    const id = n.outTradeNo ?? n.partnerTransId;
    if (!id) return;
    const trade = this.o.store.getTrade(id);
    if (!trade) {
      this.o.log.info("notification for a trade this bridge did not make; ignored", { outTradeNo: id });
      return;
    }
    if (n.tradeStatus === "TRADE_SUCCESS" || n.tradeStatus === "TRADE_FINISHED") {
      await this.o.payments.recordPaid(id, { alipayTransId: n.tradeNo, amount: n.totalFee, paidAt: n.paidAt }, "notification");
    } else if (n.tradeStatus === "TRADE_CLOSED" && trade.status === "open") {
      this.o.store.updateTrade(id, { status: "closed" });
    }
  }

  /** The backstop: webhooks health, recently modified orders, and core's sweep. */
  async poll(): Promise<PollReport> {
    const report: PollReport = { ordersChecked: 0, webhooksCreated: 0, webhooksReactivated: 0, decisions: 0, errors: 0 };
    const guard = async (what: string, fields: Record<string, unknown>, work: () => Promise<void>) => {
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

    const store = this.o.store;
    await guard("order scan", {}, async () => {
      const cursor = store.getSetting("poll.modified_after") ?? new Date(this.now().getTime() - 24 * 3600_000).toISOString();
      // Re-read a margin before the cursor: modification times are per second and clocks drift.
      const since = new Date(Date.parse(cursor) - 5 * 60_000).toISOString();
      const orders = await this.o.woo.listAllOrders({ modifiedAfter: since, orderby: "modified", order: "asc" });
      let newest = cursor;
      for (const order of orders) {
        const modified = order.date_modified_gmt ? Date.parse(`${order.date_modified_gmt}Z`) : NaN;
        if (modified > Date.parse(newest)) newest = new Date(modified).toISOString();
        this.o.health?.orderChanged(order.id, new Date(modified));
        if (order.payment_method !== PAYMENT_METHOD && !store.getOrder(order.id)) continue;
        report.ordersChecked++;
        await guard("order sync", { orderId: order.id }, () => this.syncOrder(order.id));
      }
      store.setSetting("poll.modified_after", newest);
    });

    // Payments stored as paid whose WooCommerce update did not go through (WooCommerce was down).
    for (const trade of store.tradesInStatus("paid")) {
      if (store.getOrder(trade.orderId)?.state === "awaiting") {
        await guard("payment completion", { partnerTransId: trade.partnerTransId }, () => this.o.payments.recordPaid(trade.partnerTransId, {}, "poll"));
      }
    }
    // Refunds whose outcome is open, and paid orders whose refunds were missed, via the order scan above.
    const openTrades: OpenTrade[] = store
      .tradesInStatus("open", "unresolved")
      .map((t) => ({ partnerTransId: t.partnerTransId, kind: t.kind, ...(t.expiresAt ? { expiresAt: new Date(t.expiresAt) } : {}) }));
    const openRefunds: OpenRefund[] = store
      .refundsInStatus("pending")
      .map((r) => ({ partnerTransId: r.partnerTransId, platformRefundId: r.refundKey, amount: r.amountCents }));
    if (openTrades.length || openRefunds.length) {
      await guard("sweep", {}, async () => {
        const decisions = await sweepOpenTrades(this.o.alipay, { trades: openTrades, refunds: openRefunds }, this.o.sweep);
        report.decisions = decisions.length;
        for (const d of decisions) {
          await guard("sweep decision", { partnerTransId: d.partnerTransId }, async () => {
            if (d.kind === "paid") {
              await this.o.payments.recordPaid(d.partnerTransId, { alipayTransId: d.details.alipayTransId, amount: d.details.amount, paidAt: d.details.paidAt }, "poll");
            } else if (d.kind === "closed") {
              store.updateTrade(d.partnerTransId, { status: d.reversed ? "reversed" : "closed" });
            } else if (d.kind === "refund_succeeded") {
              const r = store.getRefund(d.platformRefundId);
              if (r) await this.refundSucceeded(r);
            } else if (d.kind === "refund_failed") {
              store.updateRefund(d.platformRefundId, { status: "failed", lastError: d.code ?? "FAILED" });
              const r = store.getRefund(d.platformRefundId);
              if (r) await this.o.payments.note(r.orderId, `Refund ${r.refundKey} (HKD ${formatAmount(r.amountCents)}) was NOT executed at Alipay HK: ${d.code ?? "FAILED"}.`);
              this.o.log.alert("refund refused by Alipay", { refundKey: d.platformRefundId, code: d.code });
            }
          });
        }
      });
    }
    return report;
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
        this.o.log.warn("webhook was not active (WooCommerce disables one after repeated failed deliveries); re-activated", { webhookId: hook.id, topic, was: hook.status });
      }
    }
    this.o.health?.watching();
    return { created, reactivated };
  }

  private async refundSucceeded(refund: RefundRecord): Promise<void> {
    this.o.store.updateRefund(refund.refundKey, { status: "succeeded", lastError: null });
    const text = `Alipay HK refund ${refund.refundKey} (HKD ${formatAmount(refund.amountCents)}) went through after a retry.`;
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
    await this.o.payments.note(refund.orderId, text);
  }

  private now(): Date {
    return this.o.alipay.clock.now();
  }
}

export class WooSyncError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type { WcRefund };
