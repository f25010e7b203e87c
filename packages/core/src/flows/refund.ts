import { createHash } from "node:crypto";
import { checkHkdRange, type MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { AlipayConfigError } from "../errors";
import type { RefundResult } from "../types";
import { checkPartnerTransId } from "./qr";
import { backoff, leavesOutcomeOpen, sleeper, type RetryTiming } from "./retry";

export interface RefundReturnInput {
  partnerTransId: string;
  /** The platform's own id of this refund/return (Medusa refund id, WooCommerce refund id, ...). */
  platformRefundId: string;
  amount: MinorUnits;
  reason?: string;
}

export interface RefundRetry extends RetryTiming {
  /** Attempts with the same `partner_refund_id` while the outcome is open. Default 3. */
  attempts?: number;
  /** First backoff step. Default 1 s (the WAP HK page asks for ≥ 3 s between refunds of one partner; the sweep spaces them further). */
  retryBaseMs?: number;
}

/**
 * - `succeeded`: the money went back (sync refund);
 * - `failed`: definitely not executed (code: REFUND_AMT_RESTRICTION, REFUNDMENT_VALID_DATE_EXCEED, ...);
 * - `pending`: the outcome is still open after the retries: retry later with the same id (the sweep does).
 */
export type RefundReturnResult =
  | { status: "succeeded"; partnerRefundId: string; amount: MinorUnits; attempts: number }
  | { status: "failed"; partnerRefundId: string; amount: MinorUnits; code: string; attempts: number }
  | { status: "pending"; partnerRefundId: string; amount: MinorUnits; reason: string; attempts: number };

/**
 * The Alipay `partner_refund_id` for a platform refund: deterministic (so a retry, a restart or a
 * second adapter instance sends the same id and Alipay refunds once), at most 64 characters,
 * never equal to the trade id, and unique per trade.
 */
export function derivePartnerRefundId(partnerTransId: string, platformRefundId: string): string {
  if (typeof platformRefundId !== "string" || platformRefundId.trim() === "") {
    throw new AlipayConfigError("platformRefundId: expected the platform's refund id (non-empty)");
  }
  const digest = createHash("sha256").update(`${partnerTransId}\u0000${platformRefundId}`).digest("hex");
  const readable = platformRefundId.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 28);
  return `R${readable ? `${readable}-` : ""}${digest.slice(0, 32)}`;
}

/**
 * Refunds (part of) a paid trade for a platform return. Partial and repeated refunds are fine;
 * the same `platformRefundId` always maps to the same Alipay refund, so retries never refund twice.
 */
export async function refundReturn(client: AlipayHkClient, input: RefundReturnInput, retry: RefundRetry = {}): Promise<RefundReturnResult> {
  checkPartnerTransId(input.partnerTransId);
  checkHkdRange(input.amount, "amount");
  const partnerRefundId = derivePartnerRefundId(input.partnerTransId, input.platformRefundId);
  const sleep = sleeper(retry);
  const attempts = retry.attempts ?? 3;
  let reason = "not attempted";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt - 1, retry.retryBaseMs ?? 1_000, 30_000));
    let result: RefundResult;
    try {
      result = await client.refund({
        partnerTransId: input.partnerTransId,
        partnerRefundId,
        amount: input.amount,
        reason: input.reason,
        isSync: true,
      });
    } catch (error) {
      if (!leavesOutcomeOpen(error)) {
        const code = (error as { code?: string }).code ?? "REFUND_REFUSED";
        return { status: "failed", partnerRefundId, amount: input.amount, code, attempts: attempt + 1 };
      }
      reason = (error as { code?: string; type?: string }).code ?? (error as { type?: string }).type ?? "error";
      continue;
    }
    const outcome = result.outcome;
    if (outcome.kind === "succeeded" || outcome.kind === "accepted") {
      return { status: "succeeded", partnerRefundId, amount: input.amount, attempts: attempt + 1 };
    }
    if (outcome.kind === "failed") {
      return { status: "failed", partnerRefundId, amount: input.amount, code: outcome.code, attempts: attempt + 1 };
    }
    reason = outcome.code ?? "UNKNOW";
  }
  return { status: "pending", partnerRefundId, amount: input.amount, reason, attempts };
}
