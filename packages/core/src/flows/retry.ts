import { AlipayNetworkError, AlipayProtocolError, AlipaySignatureError, AlipayTimeoutError, AlipayUnknownOutcomeError, AlipayGatewayError } from "../errors";
import { realSleep, type Sleep } from "../clock";

/**
 * True when an error leaves the outcome of a sent request open: the gateway may have executed
 * it. A bad reply signature counts: we cannot trust what it says, so we cannot trust "failed".
 */
export function leavesOutcomeOpen(error: unknown): boolean {
  return (
    error instanceof AlipayTimeoutError ||
    error instanceof AlipayNetworkError ||
    error instanceof AlipayUnknownOutcomeError ||
    error instanceof AlipayProtocolError ||
    error instanceof AlipaySignatureError ||
    (error instanceof AlipayGatewayError && error.code === "SYSTEM_ERROR")
  );
}

export interface RetryTiming {
  /** Waits between attempts; inject a fake in tests. */
  sleep?: Sleep;
}

export function sleeper(timing: RetryTiming | undefined): Sleep {
  return timing?.sleep ?? realSleep;
}

/** Exponential backoff with full jitter, capped: `base * 2^attempt`, at most `cap`. */
export function backoff(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.round(Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + random() / 2));
}
