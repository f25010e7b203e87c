import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAmountLenient } from "../amount";

// The grammar of a lenient amount, written the slow, obvious way: the scanner must agree with it.
const GRAMMAR = /^-?(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$/;
function reference(text: string): number | "error" {
  const t = text.trim();
  if (!GRAMMAR.test(t)) return "error";
  const negative = t.startsWith("-");
  const [whole, frac = ""] = (negative ? t.slice(1) : t).split(".");
  const cents = Number(whole) * 100 + Number(`${frac}00`.slice(0, 2));
  return negative ? -cents : cents;
}
function scanned(text: string): number | "error" {
  try {
    return parseAmountLenient(text);
  } catch {
    return "error";
  }
}

describe("parseAmountLenient, the amount reader of every reconciliation row", () => {
  it("reads the forms files write", () => {
    for (const text of ["0", "100", "100.5", "100.00", "0.01", "12.30", "9999999999999.99", "-3.10", " 7 "]) {
      expect(scanned(text)).toBe(reference(text));
    }
  });

  it("refuses everything else", () => {
    for (const text of ["", "-", "1 000", "007", "1.", ".5", "1.234", "1e3", "１", "1,000", "99999999999999", "+1", "1.-", "--1"]) {
      expect(scanned(text)).toBe("error");
    }
  });

  it("agrees with the grammar on any string of digits, dots, signs and spaces", () => {
    const text = fc.array(fc.constantFrom("0", "1", "5", "9", ".", "-", " ", "+", "e"), { maxLength: 18 }).map((c) => c.join(""));
    fc.assert(
      fc.property(text, (value) => {
        expect(scanned(value)).toBe(reference(value));
      }),
      { numRuns: 5000 },
    );
  });

  it("reads every amount a file writes exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.boolean(), (cents, short) => {
        const text = short && cents % 100 === 0 ? String(cents / 100) : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
        expect(parseAmountLenient(text)).toBe(cents);
      }),
    );
  });
});
