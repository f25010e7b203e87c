import type { AlipayTransStatus, CancelResult, PaymentOutcome, RefundResult } from "./types";

/** Codes that mean "we do not know": the request may have been executed. */
const UNKNOWN_CODES = new Set(["SYSTEM_ERROR", "SYSTEM_EXCEPTION", "UNKNOWN", "UNKNOW", "USER_PAYING", "TRADE_HAS_SUCCESS"]);

function errorCode(r: Record<string, string>): string | undefined {
  return r.error || r.detail_error_code || undefined;
}

/**
 * spot.pay `result_code`: SUCCESS → paid; FAILED/FAIL → failed with the code (but SYSTEM_ERROR
 * and TRADE_HAS_SUCCESS are not definite failures: the trade may exist → unknown);
 * UNKNOW/UNKNOWN or anything unexpected → unknown.
 */
export function classifyPayment(r: Record<string, string>): PaymentOutcome {
  const code = errorCode(r);
  switch (r.result_code) {
    case "SUCCESS":
      return { kind: "paid" };
    case "FAILED":
    case "FAIL":
      if (code && UNKNOWN_CODES.has(code)) return { kind: "unknown", code };
      return { kind: "failed", code: code ?? "FAILED" };
    default:
      return { kind: "unknown", code: code ?? r.result_code };
  }
}

/** Maps `alipay_trans_status` to an outcome. */
export function outcomeOfStatus(status: AlipayTransStatus | undefined): PaymentOutcome {
  switch (status) {
    case "TRADE_SUCCESS":
    case "TRADE_FINISHED":
      return { kind: "paid" };
    case "WAIT_BUYER_PAY":
      return { kind: "waiting" };
    case "TRADE_CLOSED":
      return { kind: "closed" };
    default:
      return { kind: "unknown", code: status };
  }
}

/** query: SUCCESS → the trade's status; FAILED with TRADE_NOT_EXIST → not found; else unknown. */
export function classifyQuery(r: Record<string, string>): { found: boolean; status?: AlipayTransStatus; outcome: PaymentOutcome } {
  const code = errorCode(r);
  if (r.result_code === "SUCCESS") {
    return { found: true, status: r.alipay_trans_status, outcome: outcomeOfStatus(r.alipay_trans_status) };
  }
  if (code === "TRADE_NOT_EXIST") return { found: false, outcome: { kind: "failed", code } };
  return { found: false, outcome: { kind: "unknown", code: code ?? r.result_code } };
}

/**
 * Refund codes that are not a definite "not executed": the gateway erred, or the code proves a
 * refund with this `partner_refund_id` already exists (`CONTEXT_INCONSISTENT`: same id, other
 * content; it may well have been executed). Never recorded as failed.
 */
export const REFUND_OPEN_CODES: ReadonlySet<string> = new Set([
  "SYSTEM_ERROR",
  "SYSTEM_EXCEPTION",
  "UNKNOW",
  "UNKNOWN",
  "CONTEXT_INCONSISTENT",
  "REFUND_ID_DUPLICATE",
  "DUPLICATE_REQUEST",
  "REQUEST_PROCESSING",
]);

/** Refund `result_code`; with `is_sync=N` a SUCCESS only means "accepted". */
export function classifyRefund(r: Record<string, string>, isSync: boolean): RefundResult["outcome"] {
  const code = errorCode(r);
  switch (r.result_code) {
    case "SUCCESS":
      return isSync ? { kind: "succeeded" } : { kind: "accepted" };
    case "FAILED":
    case "FAIL":
      if (code && REFUND_OPEN_CODES.has(code)) return { kind: "unknown", code };
      return { kind: "failed", code: code ?? "FAILED" };
    default:
      return { kind: "unknown", code: code ?? r.result_code };
  }
}

/** Cancel `result_code`: SUCCESS / FAIL(ED) / UNKNOWN. */
export function classifyCancel(r: Record<string, string>): CancelResult["outcome"] {
  const code = errorCode(r);
  switch (r.result_code) {
    case "SUCCESS":
      return { kind: "succeeded" };
    case "FAIL":
    case "FAILED":
      if (code === "SYSTEM_ERROR") return { kind: "unknown", code };
      return { kind: "failed", code: code ?? "FAIL" };
    default:
      return { kind: "unknown", code: code ?? r.result_code };
  }
}
