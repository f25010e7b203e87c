import { describe, expect, it } from "vitest";
import { describeAlipayHkFailure, formatCountdown, normalizeBuyerCode } from "./messages";
import { findAlipayHkSession, isAlipayHkProvider, isAlipayHkQr } from "./client";

describe("buyer-facing wording", () => {
  it("explains a refused code in words and never shows only the code", () => {
    expect(describeAlipayHkFailure("BUYER_BALANCE_NOT_ENOUGH")).toMatch(/balance is not enough/);
    expect(describeAlipayHkFailure("NOT_SUPPORT_PAYMENT_INST")).toMatch(/cannot pay this shop/);
    expect(describeAlipayHkFailure("SOMETHING_NEW")).toMatch(/declined\. Nothing was charged/);
    expect(describeAlipayHkFailure(undefined)).toMatch(/declined/);
  });

  it("counts down as m:ss, h:mm:ss past an hour, never below zero", () => {
    expect(formatCountdown(14 * 60_000 + 59_500)).toBe("15:00");
    expect(formatCountdown(61_000)).toBe("1:01");
    expect(formatCountdown(2 * 3600_000 + 5_000)).toBe("2:00:05");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("accepts a wallet payment code with spaces, refuses anything else", () => {
    expect(normalizeBuyerCode("2800 0000 0000 0000 03")).toBe("280000000000000003");
    expect(normalizeBuyerCode("123456789012345678")).toBeUndefined();
    expect(normalizeBuyerCode("28000")).toBeUndefined();
  });
});

describe("sessions", () => {
  const cart = {
    payment_collection: {
      payment_sessions: [
        { id: "payses_old", provider_id: "pp_alipayhk-qr_alipayhk", status: "canceled" },
        { id: "payses_new", provider_id: "pp_alipayhk-qr_alipayhk", status: "pending" },
      ],
    },
  };
  it("finds the live Alipay HK session of a cart, whatever the registration id", () => {
    expect(findAlipayHkSession(cart)?.id).toBe("payses_new");
    expect(findAlipayHkSession({ payment_sessions: [{ id: "x", provider_id: "pp_system_default" }] })).toBeUndefined();
    expect(isAlipayHkProvider("pp_alipayhk-barcode_shop2")).toBe(true);
    expect(isAlipayHkQr("pp_alipayhk-barcode_alipayhk")).toBe(false);
    expect(isAlipayHkProvider("pp_stripe_stripe")).toBe(false);
  });
});
