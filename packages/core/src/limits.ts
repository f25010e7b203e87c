/**
 * Documented length limits of request fields that the gateway counts in bytes of the request's
 * charset, checked before anything is sent so a too-long value never reaches Alipay.
 */
import { AlipayConfigError } from "./errors";
import { encodeForCharset } from "./signing/index";

/** `refund_reson` is String(128) in the HK refund API: 128 bytes in the request charset. */
export const REFUND_REASON_MAX_BYTES = 128;

/** Bytes of `value` in `charset` (UTF-8 or GBK; anything else counts as UTF-8). */
export function byteLength(value: string, charset = "UTF-8"): number {
  const encoded = encodeForCharset(value, charset);
  return typeof encoded === "string" ? new TextEncoder().encode(encoded).length : encoded.length;
}

/**
 * Throws an {@link AlipayConfigError} naming `reason` when a refund reason exceeds
 * {@link REFUND_REASON_MAX_BYTES} bytes in `charset`.
 *
 * @example
 * checkRefundReason("客人退貨", "UTF-8"); // 12 bytes: fine
 */
export function checkRefundReason(value: string | undefined, charset = "UTF-8"): void {
  if (value === undefined) return;
  const bytes = byteLength(value, charset);
  if (bytes > REFUND_REASON_MAX_BYTES) {
    throw new AlipayConfigError(`reason: at most ${REFUND_REASON_MAX_BYTES} bytes in ${charset.toUpperCase()} (refund_reson is String(128)), got ${bytes}`);
  }
}
