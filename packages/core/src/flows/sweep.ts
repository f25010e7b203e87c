import type { MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import type { TradeDetails } from "../types";
import { resolveOpenCharge, type BarcodeRecovery } from "./barcode";
import { cancelOrder } from "./cancel";
import { refundReturn, type RefundRetry } from "./refund";
import { getPaymentStatus } from "./status";

/** A trade the platform still considers open. */
export interface OpenTrade {
  partnerTransId: string;
  /** `qr`: waiting for the buyer to scan; `barcode`: a charge whose outcome is still open. */
  kind: "qr" | "barcode";
  /** For QR trades: when the QR stops being payable. */
  expiresAt?: Date;
}

/** A refund whose outcome is still open (retried with the same id). */
export interface OpenRefund {
  partnerTransId: string;
  platformRefundId: string;
  amount: MinorUnits;
}

/** What the sweep found out; the adapter records each in its own store. */
export type SweepDecision =
  | { partnerTransId: string; kind: "paid"; details: TradeDetails }
  | { partnerTransId: string; kind: "closed"; reversed: boolean }
  | { partnerTransId: string; kind: "still_open" }
  | { partnerTransId: string; kind: "refund_succeeded" | "refund_failed" | "refund_pending"; platformRefundId: string; code?: string };

export interface SweepOptions extends RefundRetry, BarcodeRecovery {}

/**
 * One pass of the background job every adapter runs (shared so none re-implements it): query open
 * trades, close QR trades past their expiry, resolve open barcode charges, retry open refunds.
 */
export async function sweepOpenTrades(
  client: AlipayHkClient,
  work: { trades?: OpenTrade[]; refunds?: OpenRefund[] },
  options: SweepOptions = {},
): Promise<SweepDecision[]> {
  const decisions: SweepDecision[] = [];
  const now = client.clock.now();
  for (const trade of work.trades ?? []) {
    if (trade.kind === "barcode") {
      const resolved = await resolveOpenCharge(client, trade.partnerTransId, [], { ...options, maxPollMs: 0 });
      if (resolved.status === "paid") {
        const { status: _s, steps: _st, ...details } = resolved;
        decisions.push({ partnerTransId: trade.partnerTransId, kind: "paid", details });
      } else if (resolved.status === "canceled") {
        decisions.push({ partnerTransId: trade.partnerTransId, kind: "closed", reversed: resolved.reversed });
      } else {
        decisions.push({ partnerTransId: trade.partnerTransId, kind: "still_open" });
      }
      continue;
    }
    const { status, query } = await getPaymentStatus(client, trade.partnerTransId);
    if (status === "paid" && query) {
      const { reply: _r, outcome: _o, found: _f, status: _s, ...details } = query;
      decisions.push({ partnerTransId: trade.partnerTransId, kind: "paid", details });
    } else if (status === "closed") {
      decisions.push({ partnerTransId: trade.partnerTransId, kind: "closed", reversed: false });
    } else if ((status === "pending" || status === "not_found") && trade.expiresAt && trade.expiresAt.getTime() <= now.getTime()) {
      const cancel = await cancelOrder(client, { partnerTransId: trade.partnerTransId }, options);
      if (cancel.status === "closed" || cancel.status === "reversed") {
        decisions.push({ partnerTransId: trade.partnerTransId, kind: "closed", reversed: cancel.status === "reversed" });
      } else {
        decisions.push({ partnerTransId: trade.partnerTransId, kind: "still_open" });
      }
    } else {
      decisions.push({ partnerTransId: trade.partnerTransId, kind: "still_open" });
    }
  }
  for (const refund of work.refunds ?? []) {
    const result = await refundReturn(client, refund, options);
    decisions.push({
      partnerTransId: refund.partnerTransId,
      platformRefundId: refund.platformRefundId,
      kind: result.status === "succeeded" ? "refund_succeeded" : result.status === "failed" ? "refund_failed" : "refund_pending",
      code: result.status === "failed" ? result.code : undefined,
    });
  }
  return decisions;
}
