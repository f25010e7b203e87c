import type { MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import type { CancelResult } from "../types";
import { checkPartnerTransId } from "./qr";
import { refundReturn, type RefundReturnResult, type RefundRetry } from "./refund";
import { leavesOutcomeOpen, sleeper } from "./retry";

export interface CancelOrderInput {
  partnerTransId: string;
  /**
   * When set, a paid trade past its GMT+8 day (cancel refused) is refunded instead: the amount
   * still refundable, and the platform id for that refund (idempotency).
   */
  refundFallback?: { amount: MinorUnits; platformRefundId: string; reason?: string };
}

export interface CancelRetry extends RefundRetry {
  /** Cancel attempts while `retry_flag=Y` or the outcome is open. Default 5. */
  cancelAttempts?: number;
  cancelRetryMs?: number;
}

/**
 * - `closed`: an unpaid trade was closed (or never existed): no money moved;
 * - `reversed`: a paid trade was cancelled on its day: the buyer got everything back;
 * - `refunded`: past the day, the fallback refund went through;
 * - `failed`: the gateway refused (code), e.g. past the day with no fallback configured;
 * - `unresolved`: still open after retries; try again later.
 */
export type CancelOrderResult =
  | { status: "closed" | "reversed"; partnerTransId: string }
  | { status: "refunded"; partnerTransId: string; refund: RefundReturnResult }
  | { status: "failed"; partnerTransId: string; code: string; refund?: RefundReturnResult }
  | { status: "unresolved"; partnerTransId: string; reason: string; refund?: RefundReturnResult };

/** Codes with which Alipay refuses to cancel a trade that was paid on an earlier day. */
const PAST_THE_DAY = new Set(["TRADE_STATUS_ERROR", "REASON_TRADE_BEEN_FREEZEN", "TRADE_HAS_FINISHED", "CANCEL_NOT_ALLOWED"]);

/** Cancels an order's trade: closes it unpaid, reverses it on the day, or refunds it after (when configured). */
export async function cancelOrder(client: AlipayHkClient, input: CancelOrderInput, retry: CancelRetry = {}): Promise<CancelOrderResult> {
  checkPartnerTransId(input.partnerTransId);
  const sleep = sleeper(retry);
  const attempts = retry.cancelAttempts ?? 5;
  let reason = "not attempted";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(retry.cancelRetryMs ?? 2_000);
    let cancel: CancelResult;
    try {
      cancel = await client.cancel({ outTradeNo: input.partnerTransId });
    } catch (error) {
      if (!leavesOutcomeOpen(error)) {
        return { status: "failed", partnerTransId: input.partnerTransId, code: (error as { code?: string }).code ?? "CANCEL_REFUSED" };
      }
      reason = (error as { code?: string; type?: string }).code ?? (error as { type?: string }).type ?? "error";
      continue;
    }
    const outcome = cancel.outcome;
    if (outcome.kind === "succeeded") {
      return { status: cancel.action === "refund" ? "reversed" : "closed", partnerTransId: input.partnerTransId };
    }
    if (outcome.kind === "failed" && !cancel.retry) {
      if (input.refundFallback && PAST_THE_DAY.has(outcome.code)) {
        const refund = await refundReturn(
          client,
          { partnerTransId: input.partnerTransId, platformRefundId: input.refundFallback.platformRefundId, amount: input.refundFallback.amount, reason: input.refundFallback.reason },
          retry,
        );
        if (refund.status === "succeeded") return { status: "refunded", partnerTransId: input.partnerTransId, refund };
        if (refund.status === "failed") return { status: "failed", partnerTransId: input.partnerTransId, code: refund.code, refund };
        return { status: "unresolved", partnerTransId: input.partnerTransId, reason: refund.reason, refund };
      }
      return { status: "failed", partnerTransId: input.partnerTransId, code: outcome.code };
    }
    reason = "code" in outcome && outcome.code ? outcome.code : cancel.retry ? "retry_flag=Y" : outcome.kind;
  }
  return { status: "unresolved", partnerTransId: input.partnerTransId, reason };
}
