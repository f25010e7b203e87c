import { AlipayConfigError } from "./errors";

/**
 * The signed string is `k=v` pairs joined by `&` without escaping, so a value holding `&` or `=`
 * could re-split into other fields under the same signature. Text that goes into a signed field
 * (subject, description, refund reason, memo) must carry neither.
 */
const SPLITTERS = /[&=]/;

/** Throws `AlipayConfigError` naming `field` when `value` holds `&` or `=`. Returns the value. */
export function checkSignedText(value: string, field: string): string {
  if (typeof value !== "string") throw new AlipayConfigError(`${field}: expected text`, { code: "INVALID_TEXT" });
  if (SPLITTERS.test(value)) {
    throw new AlipayConfigError(`${field}: must not contain "&" or "=" (they would change the fields Alipay signs)`, { code: "SIGNED_TEXT_SEPARATOR" });
  }
  return value;
}

/** True when `value` can go into a signed field as it is. */
export function isSafeSignedText(value: string): boolean {
  return typeof value === "string" && !SPLITTERS.test(value);
}

/**
 * Makes platform text safe for a signed field: `&` becomes "and", `=` becomes "-", and runs of
 * whitespace one space. For text the shop does not control (product names in a subject).
 */
export function sanitizeSignedText(value: string): string {
  return String(value)
    .replace(/\s*&\s*/g, " and ")
    .replace(/=/g, "-")
    .replace(/\s+/g, " ")
    .trim();
}
