import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAmountLenient } from "../amount";
import { plainCents } from "./row";

describe("plainCents", () => {
  it("reads the plain forms exactly as parseAmountLenient does", () => {
    for (const text of ["0", "100", "100.5", "100.00", "0.01", "12.30", "9999999999999.99"]) {
      expect(plainCents(text)).toBe(parseAmountLenient(text));
    }
  });

  it("leaves everything else to parseAmountLenient", () => {
    for (const text of ["", "-1", " 1", "1 ", "007", "1.", ".5", "1.234", "1e3", "１", "1,000", "99999999999999", "+1", "1.-"]) {
      expect(plainCents(text)).toBe(-1);
    }
  });

  it("never disagrees with parseAmountLenient on any string of digits, dots, signs and spaces", () => {
    const text = fc.array(fc.constantFrom("0", "1", "5", "9", ".", "-", " ", "+", "e"), { maxLength: 18 }).map((c) => c.join(""));
    fc.assert(
      fc.property(text, (value) => {
        const fast = plainCents(value);
        if (fast === -1) return;
        expect(fast).toBe(parseAmountLenient(value));
      }),
      { numRuns: 5000 },
    );
  });

  it("takes the fast path for every amount a file writes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.boolean(), (cents, short) => {
        const text = short && cents % 100 === 0 ? String(cents / 100) : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
        expect(plainCents(text)).toBe(cents);
      }),
    );
  });
});
