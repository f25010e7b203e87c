import { createHash } from "node:crypto";
import { checkHkdRange, type MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { AlipayConfigError } from "../errors";
import type { RefundEvent, TradeEventSource } from "../events";
import { DEFAULT_POLICY } from "../policy";
import { REFUND_OPEN_CODES } from "../outcome";
import { checkSignedText } from "../text";
import type { RefundResult } from "../types";
import { checkPartnerTransId } from "./qr";
import { backoff, leavesOutcomeOpen, sleeper, type RetryTiming } from "./retry";

export interface RefundReturnInput {
  partnerTransId: string;
  /** The platform's own id of this refund/return (Medusa refund id, WooCommerce refund id, ...). */
  platformRefundId: string;
  amount: MinorUnits;
  /**
   * Part of the request's content: store it with the refund and send the same text on every
   * resend (a different reason under the same id is `CONTEXT_INCONSISTENT`).
   */
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
/** How a refund ended (without its events). */
export type RefundOutcome =
  | { status: "succeeded"; partnerRefundId: string; amount: MinorUnits; attempts: number }
  | { status: "failed"; partnerRefundId: string; amount: MinorUnits; code: string; attempts: number }
  | { status: "pending"; partnerRefundId: string; amount: MinorUnits; reason: string; attempts: number };

export type RefundReturnResult = RefundOutcome & {
  /** The verified fact to apply: one `refund.succeeded`, `refund.failed` or `refund.pending`. */
  events: RefundEvent[];
};

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
export async function refundReturn(
  client: AlipayHkClient,
  input: RefundReturnInput,
  retry: RefundRetry = {},
  source: TradeEventSource = "refund",
): Promise<RefundReturnResult> {
  checkPartnerTransId(input.partnerTransId);
  checkHkdRange(input.amount, "amount");
  if (input.reason !== undefined && input.reason !== "") checkSignedText(input.reason, "reason");
  const partnerRefundId = derivePartnerRefundId(input.partnerTransId, input.platformRefundId);
  const sleep = sleeper(retry);
  const attempts = retry.attempts ?? DEFAULT_POLICY.refundAttempts;
  const base = { partnerTransId: input.partnerTransId, platformRefundId: input.platformRefundId, partnerRefundId, amount: input.amount, source };
  const done = (result: RefundOutcome): RefundReturnResult => {
    const event: RefundEvent =
      result.status === "succeeded"
        ? { type: "refund.succeeded", ...base }
        : result.status === "failed"
          ? { type: "refund.failed", ...base, code: result.code }
          : { type: "refund.pending", ...base, reason: result.reason };
    return { ...result, events: [event] };
  };
  let reason = "not attempted";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt - 1, retry.retryBaseMs ?? DEFAULT_POLICY.refundRetryBaseMs, DEFAULT_POLICY.refundRetryCapMs));
    let result: RefundResult;
    try {
      result = await client.refund({
        partnerTransId: input.partnerTransId,
        partnerRefundId,
        amount: input.amount,
        reason: input.reason || undefined,
        isSync: true,
      });
    } catch (error) {
      const errorCode = (error as { code?: string }).code;
      if (!leavesOutcomeOpen(error) && !(errorCode && REFUND_OPEN_CODES.has(errorCode))) {
        const code = errorCode ?? "REFUND_REFUSED";
        return done({ status: "failed", partnerRefundId, amount: input.amount, code, attempts: attempt + 1 });
      }
      reason = (error as { code?: string; type?: string }).code ?? (error as { type?: string }).type ?? "error";
      continue;
    }
    const outcome = result.outcome;
    if (outcome.kind === "succeeded" || outcome.kind === "accepted") {
      return done({ status: "succeeded", partnerRefundId, amount: input.amount, attempts: attempt + 1 });
    }
    if (outcome.kind === "failed") {
      return done({ status: "failed", partnerRefundId, amount: input.amount, code: outcome.code, attempts: attempt + 1 });
    }
    reason = outcome.code ?? "UNKNOW";
  }
  return done({ status: "pending", partnerRefundId, amount: input.amount, reason, attempts });
}
