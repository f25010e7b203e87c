import type { MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import type { TradeEvent, TradeEventSource } from "../events";
import { DEFAULT_POLICY } from "../policy";
import type { CancelResult, QueryResult } from "../types";
import { checkPartnerTransId } from "./qr";
import { refundReturn, type RefundReturnResult, type RefundRetry } from "./refund";
import { leavesOutcomeOpen, sleeper } from "./retry";

export interface CancelOrderInput {
  partnerTransId: string;
  /**
   * When set, a paid trade whose cancel is refused (past its GMT+8 day, or any other definite
   * refusal) is refunded instead: the amount still refundable, and the platform id for that refund
   * (idempotency).
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
 * - `refunded`: the cancel was refused on a paid trade and the fallback refund went through;
 * - `failed`: the gateway refused (code), e.g. a paid trade past its day with no fallback configured;
 * - `unresolved`: still open after retries; try again later.
 *
 * `cancelCode` keeps the gateway's refusal code when the fallback refund was used, for the record.
 */
export type CancelOrderResult = (
  | { status: "closed" | "reversed"; partnerTransId: string }
  | { status: "refunded"; partnerTransId: string; refund: RefundReturnResult; cancelCode: string }
  | { status: "failed"; partnerTransId: string; code: string; refund?: RefundReturnResult; cancelCode?: string }
  | { status: "unresolved"; partnerTransId: string; reason: string; refund?: RefundReturnResult; cancelCode?: string }
) & {
  /** The verified facts to apply: `trade.closed`, or the fallback refund's event. */
  events: TradeEvent[];
};

type Refused = { code: string };

/**
 * Cancels an order's trade: closes it unpaid, reverses it on the day, or, when the gateway refuses
 * the cancel of a trade that a query shows paid (whatever the code), refunds what remains. The
 * decision is taken from the trade's state, not from a list of error codes.
 */
export async function cancelOrder(
  client: AlipayHkClient,
  input: CancelOrderInput,
  retry: CancelRetry = {},
  source: TradeEventSource = "cancel",
): Promise<CancelOrderResult> {
  checkPartnerTransId(input.partnerTransId);
  const id = input.partnerTransId;
  const sleep = sleeper(retry);
  const attempts = retry.cancelAttempts ?? DEFAULT_POLICY.cancelAttempts;
  let reason = "not attempted";
  let refused: Refused | undefined;
  for (let attempt = 0; attempt < attempts && !refused; attempt++) {
    if (attempt > 0) await sleep(retry.cancelRetryMs ?? DEFAULT_POLICY.cancelRetryMs);
    let cancel: CancelResult;
    try {
      cancel = await client.cancel({ outTradeNo: id });
    } catch (error) {
      if (!leavesOutcomeOpen(error)) {
        refused = { code: (error as { code?: string }).code ?? "CANCEL_REFUSED" };
        break;
      }
      reason = (error as { code?: string; type?: string }).code ?? (error as { type?: string }).type ?? "error";
      continue;
    }
    const outcome = cancel.outcome;
    if (outcome.kind === "succeeded") {
      const reversed = cancel.action === "refund";
      return {
        status: reversed ? "reversed" : "closed",
        partnerTransId: id,
        events: [{ type: "trade.closed", partnerTransId: id, source, reversed, cause: "canceled" }],
      };
    }
    if (outcome.kind === "failed" && !cancel.retry) {
      refused = { code: outcome.code };
      break;
    }
    reason = "code" in outcome && outcome.code ? outcome.code : cancel.retry ? "retry_flag=Y" : outcome.kind;
  }
  if (!refused) return { status: "unresolved", partnerTransId: id, reason, events: [] };
  return afterRefusal(client, input, refused.code, retry, source);
}

/** The cancel was refused for good: what the trade's state says decides what happens next. */
async function afterRefusal(
  client: AlipayHkClient,
  input: CancelOrderInput,
  cancelCode: string,
  retry: CancelRetry,
  source: TradeEventSource,
): Promise<CancelOrderResult> {
  const id = input.partnerTransId;
  let query: QueryResult;
  try {
    query = await client.query({ partnerTransId: id });
  } catch (error) {
    const code = (error as { code?: string; type?: string }).code ?? (error as { type?: string }).type ?? "error";
    return { status: "unresolved", partnerTransId: id, reason: `cancel refused (${cancelCode}); query: ${code}`, cancelCode, events: [] };
  }
  if (query.found && query.outcome.kind === "closed") {
    // Already closed (expired, or cancelled by an earlier attempt whose reply was lost).
    return { status: "closed", partnerTransId: id, events: [{ type: "trade.closed", partnerTransId: id, source, reversed: false, cause: "closed_at_alipay" }] };
  }
  if (!query.found && query.outcome.kind !== "failed") {
    return {
      status: "unresolved",
      partnerTransId: id,
      reason: `cancel refused (${cancelCode}); query: ${"code" in query.outcome ? query.outcome.code : "unknown"}`,
      cancelCode,
      events: [],
    };
  }
  if (!(query.found && query.outcome.kind === "paid")) {
    return { status: "failed", partnerTransId: id, code: cancelCode, events: [] };
  }
  if (!input.refundFallback) return { status: "failed", partnerTransId: id, code: cancelCode, cancelCode, events: [] };
  const refund = await refundReturn(
    client,
    { partnerTransId: id, platformRefundId: input.refundFallback.platformRefundId, amount: input.refundFallback.amount, reason: input.refundFallback.reason },
    retry,
    source,
  );
  if (refund.status === "succeeded") {
    const events = refund.events.map((event) => (event.type === "refund.succeeded" ? { ...event, cancelCode } : event));
    return { status: "refunded", partnerTransId: id, refund, cancelCode, events };
  }
  if (refund.status === "failed") return { status: "failed", partnerTransId: id, code: refund.code, refund, cancelCode, events: refund.events };
  return { status: "unresolved", partnerTransId: id, reason: refund.reason, refund, cancelCode, events: refund.events };
}
