import { describe, expect, it } from "vitest";
import { checkSecondaryMerchant, secondaryMerchantFromEnv } from "./secondary-merchant";

const lotte = {
  secondary_merchant_name: "Lotte",
  secondary_merchant_id: "123",
  secondary_merchant_industry: "5812",
  store_id: "A101",
  store_name: "McDonald in 966 3rd Ave",
};

describe("secondary-merchant data", () => {
  it("keeps the documented fields, trimmed", () => {
    expect(checkSecondaryMerchant({ ...lotte, store_name: " McDonald in 966 3rd Ave " })).toEqual(lotte);
  });

  it("refuses missing required fields, a non-MCC industry, unknown fields, separators and long values, naming the field", () => {
    expect(() => checkSecondaryMerchant({ secondary_merchant_name: "x", secondary_merchant_industry: "5812" })).toThrow(
      /^secondaryMerchant\.secondary_merchant_id: required$/,
    );
    expect(() => checkSecondaryMerchant({ ...lotte, secondary_merchant_industry: "58A2" })).toThrow(
      /^secondaryMerchant\.secondary_merchant_industry: expected a 4-digit MCC/,
    );
    expect(() => checkSecondaryMerchant({ ...lotte, shop: "x" })).toThrow(/^secondaryMerchant\.shop: unknown field/);
    expect(() => checkSecondaryMerchant({ ...lotte, store_name: "a&b" })).toThrow(/^secondaryMerchant\.store_name: must not contain/);
    expect(() => checkSecondaryMerchant({ ...lotte, store_id: "x".repeat(65) })).toThrow(/^secondaryMerchant\.store_id: expected at most 64 bytes, got 65$/);
    expect(() => checkSecondaryMerchant("Lotte", "extendInfo")).toThrow(/^extendInfo: expected an object/);
  });

  it("reads one store's data from the environment, naming the variable in errors", () => {
    expect(secondaryMerchantFromEnv({})).toBeUndefined();
    expect(
      secondaryMerchantFromEnv({
        ALIPAYHK_SECONDARY_MERCHANT_NAME: "Lotte",
        ALIPAYHK_SECONDARY_MERCHANT_ID: "123",
        ALIPAYHK_SECONDARY_MERCHANT_INDUSTRY: "5812",
        ALIPAYHK_STORE_ID: "A101",
      }),
    ).toEqual({ secondary_merchant_name: "Lotte", secondary_merchant_id: "123", secondary_merchant_industry: "5812", store_id: "A101" });
    expect(() =>
      secondaryMerchantFromEnv({
        ALIPAYHK_SECONDARY_MERCHANT_NAME: "Lotte",
        ALIPAYHK_SECONDARY_MERCHANT_ID: "123",
        ALIPAYHK_SECONDARY_MERCHANT_INDUSTRY: "food",
      }),
    ).toThrow(/^ALIPAYHK_SECONDARY_MERCHANT_INDUSTRY: expected a 4-digit MCC/);
  });
});
