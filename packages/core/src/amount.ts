import { scanAmount } from "./amount-scan";
import { AlipayConfigError } from "./errors";

/**
 * Money as integer minor units (cents). Alipay HK amounts are HKD with two decimals, from
 * 0.01 to 100000000.00; they travel as decimal strings and are never held in a binary float.
 */

/** Integer number of minor units (HKD cents). Always a safe, non-negative integer once validated. */
export type MinorUnits = number;

/** The smallest HKD amount the gateway accepts, in cents. */
export const MIN_HKD_CENTS = 1;
/** The largest HKD amount the gateway accepts (100000000.00), in cents. */
export const MAX_HKD_CENTS = 10_000_000_000;

/**
 * Thrown for an amount that is not a valid money value; `field` names the input. Part of the one
 * error hierarchy: an `AlipayConfigError` (bad input) with code `INVALID_AMOUNT`.
 */
export class AmountError extends AlipayConfigError {
  declare readonly field: string;
  constructor(field: string, message: string) {
    super(message, { field, code: "INVALID_AMOUNT" });
  }
}

const STRICT_2DP = /^(0|[1-9][0-9]{0,8})\.[0-9]{2}$/;

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * Parses a request amount exactly as the gateway wants it: a decimal string with exactly two
 * decimals ("12.30"), within 0.01–100000000.00. Returns cents.
 *
 * @example parseHkdAmount("12.30") // 1230
 */
export function parseHkdAmount(value: string, field = "amount"): MinorUnits {
  if (typeof value !== "string" || !STRICT_2DP.test(value)) {
    throw new AmountError(field, `${field}: expected a decimal string with exactly 2 decimals like "12.30", got ${quote(value)}`);
  }
  return checkHkdRange(scanLenient(value), field);
}

/**
 * Parses an amount as replies and files carry it: "100", "100.5" and "100.00" are all accepted,
 * a leading minus too (refund direction in files). More than two decimals is an error.
 *
 * Read character by character without allocating: reconciliation files hold millions of these,
 * and this is the one definition of a lenient amount (the reconciliation parser uses it as is).
 */
export function parseAmountLenient(value: string, field = "amount"): MinorUnits {
  const cents = typeof value === "string" ? scanLenient(value.trim()) : Number.NaN;
  if (Number.isNaN(cents)) {
    throw new AmountError(field, `${field}: expected a decimal amount with at most 2 decimals, got ${quote(value)}`);
  }
  return cents;
}

function scanLenient(text: string): MinorUnits {
  return scanAmount(text, 0, text.length);
}

/** Checks that `cents` is an integer HKD amount within the gateway's range. */
export function checkHkdRange(cents: MinorUnits, field = "amount"): MinorUnits {
  if (!Number.isSafeInteger(cents)) {
    throw new AmountError(field, `${field}: expected an integer number of cents, got ${quote(cents)}`);
  }
  if (cents < MIN_HKD_CENTS || cents > MAX_HKD_CENTS) {
    throw new AmountError(field, `${field}: expected 0.01 to 100000000.00 HKD, got ${formatAmount(cents)}`);
  }
  return cents;
}

/**
 * Accepts an amount from a platform in any of the exact forms adapters meet: integer cents
 * (`{ cents: 1230 }` or a plain integer with `unit: "minor"`), or a decimal string. Binary floats
 * with a fraction are refused: 12.3 is not exact money.
 */
export function toMinorUnits(value: unknown, field = "amount", unit: "major" | "minor" = "major"): MinorUnits {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new AmountError(field, `${field}: expected a finite amount, got ${quote(value)}`);
    if (unit === "minor") {
      if (!Number.isSafeInteger(value)) throw new AmountError(field, `${field}: expected integer cents, got ${quote(value)}`);
      return value;
    }
    // A whole number of dollars is exact as a float; anything with a fraction must come as a string.
    if (!Number.isSafeInteger(value)) {
      throw new AmountError(field, `${field}: expected a decimal string like "12.30" (a number with a fraction is not exact), got ${quote(value)}`);
    }
    return value * 100;
  }
  if (typeof value === "string") {
    const cents = scanLenient(value.trim());
    if (Number.isNaN(cents)) {
      throw new AmountError(field, `${field}: expected a decimal amount with at most 2 decimals like "12.30", got ${quote(value)}`);
    }
    return cents;
  }
  throw new AmountError(field, `${field}: expected a decimal string like "12.30", got ${quote(value)}`);
}

/**
 * Formats cents as the gateway's two-decimal string.
 *
 * @example formatAmount(1230) // "12.30"
 */
export function formatAmount(cents: MinorUnits): string {
  if (!Number.isSafeInteger(cents)) throw new AmountError("amount", `amount: expected integer cents, got ${quote(cents)}`);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, "0");
  return `${sign}${whole}.${frac}`;
}
