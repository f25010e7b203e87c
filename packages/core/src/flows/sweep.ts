import type { MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { paidOrMismatch, type TradeEvent } from "../events";
import { resolveOpenCharge, type BarcodeRecovery } from "./barcode";
import { cancelOrder } from "./cancel";
import { refundReturn, type RefundRetry } from "./refund";
import { getPaymentStatus } from "./status";

/** A trade the platform still considers open. */
export interface OpenTrade {
  partnerTransId: string;
  /** `qr`: waiting for the buyer to scan; `barcode`: a charge whose outcome is still open. */
  kind: "qr" | "barcode";
  /** The amount the store asked: a reported payment must match it. */
  amount: MinorUnits;
  /** For QR trades: when the QR stops being payable. */
  expiresAt?: Date;
}

/**
 * A refund whose outcome is still open: resent with the same id AND the same content it was first
 * sent with (store the reason with the refund).
 */
export interface OpenRefund {
  partnerTransId: string;
  platformRefundId: string;
  amount: MinorUnits;
  reason?: string;
}

/**
 * An id cancelled before the gateway knew it (`trade.closed` with `watchUntil`): a delayed charge
 * request could still create a payment under it until `until`.
 */
export interface WatchedTrade {
  partnerTransId: string;
  until: Date;
}

/** What the sweep found out: the same events the flows and notifications produce. */
export type SweepDecision = TradeEvent;

export interface SweepOptions extends RefundRetry, BarcodeRecovery {}

/** The platform refund id core uses to give back a late charge found on a watched id. */
export function lateChargeRefundId(partnerTransId: string): string {
  return `~late-${partnerTransId}`;
}

/**
 * One pass of the background job every adapter runs (shared so none re-implements it): query open
 * trades, close QR trades past their expiry, resolve open barcode charges, resend open refunds
 * (identical content), and watch cancelled ids for late charges, giving any back.
 */
export async function sweepOpenTrades(
  client: AlipayHkClient,
  work: { trades?: OpenTrade[]; refunds?: OpenRefund[]; watches?: WatchedTrade[] },
  options: SweepOptions = {},
): Promise<TradeEvent[]> {
  const events: TradeEvent[] = [];
  for (const trade of work.trades ?? []) events.push(...(await sweepTrade(client, trade, options)));
  for (const refund of work.refunds ?? []) {
    const result = await refundReturn(client, refund, options, "sweep");
    events.push(...result.events);
  }
  for (const watch of work.watches ?? []) events.push(...(await watchTrade(client, watch, options)));
  return events;
}

async function sweepTrade(client: AlipayHkClient, trade: OpenTrade, options: SweepOptions): Promise<TradeEvent[]> {
  const id = trade.partnerTransId;
  if (trade.kind === "barcode") {
    const resolved = await resolveOpenCharge(client, trade, [], { ...options, maxPollMs: 0 }, undefined, "sweep");
    return resolved.events;
  }
  const { status, query } = await getPaymentStatus(client, id);
  if (status === "paid" && query) {
    const { reply: _r, outcome: _o, found: _f, status: _s, ...details } = query;
    return [paidOrMismatch(trade, details, "sweep")];
  }
  if (status === "closed") return [{ type: "trade.closed", partnerTransId: id, source: "sweep", reversed: false, cause: "closed_at_alipay" }];
  const expired = trade.expiresAt !== undefined && trade.expiresAt.getTime() <= client.clock.now().getTime();
  if ((status === "pending" || status === "not_found") && expired) {
    const cancel = await cancelOrder(client, { partnerTransId: id }, options, "sweep");
    if (cancel.status === "closed" || cancel.status === "reversed") {
      return [{ type: "trade.closed", partnerTransId: id, source: "sweep", reversed: cancel.status === "reversed", cause: "expired" }];
    }
    if (cancel.status === "failed") {
      // Refused and not paid: the query decides on the next pass.
      return [{ type: "trade.open", partnerTransId: id, source: "sweep", reason: `cancel refused (${cancel.code})` }];
    }
    return [{ type: "trade.open", partnerTransId: id, source: "sweep", reason: cancel.status === "unresolved" ? cancel.reason : cancel.status }];
  }
  return [{ type: "trade.open", partnerTransId: id, source: "sweep", reason: status, ...(status === "unknown" ? { queryFailed: true } : {}) }];
}

/**
 * A watched id: a charge found there is a late one (its order was settled as "no money kept"), so
 * it is given back at once: cancelled on its day, else refunded in full.
 */
async function watchTrade(client: AlipayHkClient, watch: WatchedTrade, options: SweepOptions): Promise<TradeEvent[]> {
  const id = watch.partnerTransId;
  const { status, query } = await getPaymentStatus(client, id);
  if (status === "paid" && query) {
    const amount = query.amount;
    const result = await cancelOrder(
      client,
      { partnerTransId: id, refundFallback: amount ? { amount, platformRefundId: lateChargeRefundId(id), reason: "late charge returned" } : undefined },
      options,
      "watch",
    );
    const resolution =
      result.status === "reversed"
        ? "reversed"
        : result.status === "refunded"
          ? "refunded"
          : result.status === "unresolved"
            ? "pending"
            : result.status === "closed"
              ? "reversed"
              : "failed";
    return [
      {
        type: "late_charge.found",
        partnerTransId: id,
        source: "watch",
        amount,
        alipayTransId: query.alipayTransId,
        resolution,
        ...(result.status === "failed" ? { code: result.code } : result.status === "unresolved" ? { code: result.reason } : {}),
      },
    ];
  }
  if (status === "pending") {
    // A late charge waiting for the buyer's confirmation: close it before it can be paid.
    const result = await cancelOrder(client, { partnerTransId: id }, options, "watch");
    if (result.status === "reversed") {
      return [
        { type: "late_charge.found", partnerTransId: id, source: "watch", amount: query?.amount, alipayTransId: query?.alipayTransId, resolution: "reversed" },
      ];
    }
    return [];
  }
  if (status === "unknown") return []; // look again on the next pass
  if (status === "closed" && query?.found && query.paidAt) {
    // Closed after a payment: a late charge landed and was reversed meanwhile (by a cancel whose
    // reply was lost). No money is kept, but it is still a late charge to report.
    return [
      { type: "late_charge.found", partnerTransId: id, source: "watch", amount: query.amount, alipayTransId: query.alipayTransId, resolution: "reversed" },
    ];
  }
  if (watch.until.getTime() <= client.clock.now().getTime()) return [{ type: "watch.ended", partnerTransId: id, source: "watch" }];
  return [];
}
