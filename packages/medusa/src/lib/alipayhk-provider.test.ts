import { describe, expect, it } from "vitest";
import { toAlipayProviderId } from "./alipayhk-provider";

describe("toAlipayProviderId", () => {
  it("accepts the notify URL's provider segment with or without pp_", () => {
    expect(toAlipayProviderId("alipayhk-qr_alipayhk")).toBe("pp_alipayhk-qr_alipayhk");
    expect(toAlipayProviderId("pp_alipayhk-barcode_shop-2")).toBe("pp_alipayhk-barcode_shop-2");
  });

  it("refuses other providers", () => {
    expect(toAlipayProviderId("stripe_stripe")).toBeUndefined();
    expect(toAlipayProviderId("pp_system_default")).toBeUndefined();
    expect(toAlipayProviderId("alipayhk-qr_x/../y")).toBeUndefined();
    expect(toAlipayProviderId(undefined)).toBeUndefined();
  });
});
