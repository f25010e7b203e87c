import type { MinorUnits } from "./amount";

/**
 * `-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?` in `text[start, end)` → cents, or NaN; too many digits to stay
 * exact → NaN. The one definition of a lenient amount: `parseAmountLenient` reads a whole string with
 * it, the reconciliation parser a field of a line in place, without slicing it out first.
 */
export function scanAmount(text: string, start: number, end: number): MinorUnits {
  let i = start;
  const negative = end > start && text.charCodeAt(start) === 45;
  if (negative) i++;
  const digitsStart = i;
  let whole = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) break;
    if (c < 48 || c > 57) return Number.NaN;
    whole = whole * 10 + (c - 48);
  }
  const digits = i - digitsStart;
  if (digits === 0 || digits > 13 || (digits > 1 && text.charCodeAt(digitsStart) === 48)) return Number.NaN;
  let cents = whole * 100;
  if (i < end) {
    const decimals = end - i - 1;
    if (decimals < 1 || decimals > 2) return Number.NaN;
    const tenths = text.charCodeAt(i + 1) - 48;
    const hundredths = decimals === 2 ? text.charCodeAt(i + 2) - 48 : 0;
    if (tenths < 0 || tenths > 9 || hundredths < 0 || hundredths > 9) return Number.NaN;
    cents += tenths * 10 + hundredths;
  }
  return negative ? -cents : cents;
}
