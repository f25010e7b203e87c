import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmountError, formatAmount, parseAmountLenient, parseHkdAmount, toMinorUnits } from "./amount";

describe("parseHkdAmount", () => {
  it("parses two-decimal strings into cents", () => {
    expect(parseHkdAmount("12.30")).toBe(1230);
    expect(parseHkdAmount("0.01")).toBe(1);
    expect(parseHkdAmount("100000000.00")).toBe(10_000_000_000);
  });

  it.each(["12.3", "12", "12.300", "-1.00", "0.00", "100000000.01", "1e2", " 1.00", "01.00", ""])("refuses %j with an error naming the field", (input) => {
    expect(() => parseHkdAmount(input, "total_fee")).toThrowError(/^total_fee: expected/);
  });
});

describe("parseAmountLenient", () => {
  it("accepts the forms files and replies use", () => {
    expect(parseAmountLenient("100")).toBe(10000);
    expect(parseAmountLenient("100.5")).toBe(10050);
    expect(parseAmountLenient("100.00")).toBe(10000);
    expect(parseAmountLenient("-3.10")).toBe(-310);
  });
  it("refuses three decimals", () => {
    expect(() => parseAmountLenient("1.005")).toThrow(AmountError);
  });
});

describe("toMinorUnits", () => {
  it("takes decimal strings and whole numbers, refuses fractional floats", () => {
    expect(toMinorUnits("12.30")).toBe(1230);
    expect(toMinorUnits(12)).toBe(1200);
    expect(toMinorUnits(1230, "amount", "minor")).toBe(1230);
    expect(() => toMinorUnits(12.3, "amount")).toThrowError(/^amount: expected a decimal string/);
    expect(() => toMinorUnits("12.345", "refund.amount")).toThrowError(/^refund\.amount:/);
    expect(() => toMinorUnits(null, "amount")).toThrow(AmountError);
  });
});

describe("formatAmount", () => {
  it("round-trips every cent value exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (cents) => {
        expect(parseHkdAmount(formatAmount(cents))).toBe(cents);
      }),
    );
  });
  it("formats negatives", () => {
    expect(formatAmount(-5)).toBe("-0.05");
  });
});
