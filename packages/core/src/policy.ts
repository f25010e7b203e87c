/**
 * The one retry and timing policy. Flows read their defaults from here and adapters derive their
 * own schedules (when the sweep may take over a request) from the same numbers, so no package
 * copies core's figures.
 */
export const DEFAULT_POLICY = {
  /** Per-request timeout of the client (the official SDK's read timeout). */
  timeoutMs: 15_000,
  /** Barcode: query interval while the outcome is open or the buyer confirms in-app. */
  barcodePollIntervalMs: 5_000,
  /** Barcode: how long to keep querying before cancelling. */
  barcodeMaxPollMs: 30_000,
  /** Cancel attempts while the gateway answers `retry_flag=Y` or the outcome is open. */
  cancelAttempts: 5,
  /** Wait between cancel attempts. */
  cancelRetryMs: 2_000,
  /** Refund attempts with the same `partner_refund_id` while the outcome is open. */
  refundAttempts: 3,
  /** First refund backoff step (doubles, with jitter, capped at `refundRetryCapMs`). */
  refundRetryBaseMs: 1_000,
  refundRetryCapMs: 30_000,
  /**
   * After a cancelled id the gateway did not know, how long a delayed charge request could still
   * arrive, beyond the client's timeout. The id is watched by query until then.
   */
  lateChargeMarginMs: 5 * 60_000,
} as const;

export type Policy = typeof DEFAULT_POLICY;

/** Timing a request flow needs (all optional: `DEFAULT_POLICY` fills the rest). */
export interface FlowTiming {
  pollIntervalMs?: number;
  maxPollMs?: number;
  cancelAttempts?: number;
  cancelRetryMs?: number;
  attempts?: number;
  retryBaseMs?: number;
  lateChargeMarginMs?: number;
}

/**
 * The longest a live barcode request can take (pay, poll, cancel with retries, each call up to the
 * client's timeout): the sweep must leave the charge to the live request until then.
 */
export function barcodeRequestBudgetMs(timeoutMs: number, timing: FlowTiming = {}): number {
  const maxPoll = timing.maxPollMs ?? DEFAULT_POLICY.barcodeMaxPollMs;
  const interval = timing.pollIntervalMs ?? DEFAULT_POLICY.barcodePollIntervalMs;
  const queries = Math.ceil(maxPoll / Math.max(1, interval)) + 1;
  const cancels = timing.cancelAttempts ?? DEFAULT_POLICY.cancelAttempts;
  return timeoutMs + maxPoll + queries * timeoutMs + cancels * ((timing.cancelRetryMs ?? DEFAULT_POLICY.cancelRetryMs) + timeoutMs) + 5_000;
}

/**
 * The longest a live refund request can take (every attempt up to the timeout, plus the capped
 * backoffs): the sweep must not resend the refund before then, or two sends race.
 */
export function refundRequestBudgetMs(timeoutMs: number, timing: FlowTiming = {}): number {
  const attempts = timing.attempts ?? DEFAULT_POLICY.refundAttempts;
  const base = timing.retryBaseMs ?? DEFAULT_POLICY.refundRetryBaseMs;
  let waits = 0;
  for (let i = 0; i < attempts - 1; i++) waits += Math.min(DEFAULT_POLICY.refundRetryCapMs, base * 2 ** i);
  return attempts * timeoutMs + waits + 5_000;
}

/** The longest a cancel (with its retries and a fallback refund) can take. */
export function cancelRequestBudgetMs(timeoutMs: number, timing: FlowTiming = {}): number {
  const cancels = timing.cancelAttempts ?? DEFAULT_POLICY.cancelAttempts;
  return cancels * ((timing.cancelRetryMs ?? DEFAULT_POLICY.cancelRetryMs) + timeoutMs) + timeoutMs + refundRequestBudgetMs(timeoutMs, timing);
}
