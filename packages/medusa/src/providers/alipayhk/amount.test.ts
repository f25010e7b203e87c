import { BigNumber } from "@medusajs/framework/utils";
import { describe, expect, it } from "vitest";
import { toCents, toMedusaAmount } from "./amount";

describe("amounts between Medusa and Alipay", () => {
  it("takes Medusa's numbers, strings and BigNumber raw values in major units", () => {
    expect(toCents(12.5)).toBe(1250);
    expect(toCents("100")).toBe(10000);
    expect(toCents({ value: "40", precision: 20 })).toBe(4000);
    expect(toCents(new BigNumber(0.1 + 0.2))).toBe(30);
  });

  it("rounds a computed amount half-up to the cent", () => {
    expect(toCents("10.005")).toBe(1001);
    expect(toCents("10.004")).toBe(1000);
  });

  it("gives the workflows back major units", () => {
    expect(toMedusaAmount(1230)).toBe(12.3);
    expect(toMedusaAmount(1)).toBe(0.01);
  });
});
