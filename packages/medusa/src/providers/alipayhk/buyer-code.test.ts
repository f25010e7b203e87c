import { describe, expect, it } from "vitest";
import { maskBuyerCode, openBuyerCode, sealBuyerCode } from "./buyer-code";

describe("buyer code sealing", () => {
  it("masks all but the first and last four digits", () => {
    expect(maskBuyerCode("280000000000000003")).toBe("2800**********0003");
    expect(maskBuyerCode("1234")).toBe("****");
  });

  it("opens only with the same secret and the same session", () => {
    const sealed = sealBuyerCode("280000000000000003", "secret-a", "payses_1");
    expect(sealed).not.toContain("280000000000000003");
    expect(openBuyerCode(sealed, "secret-a", "payses_1")).toBe("280000000000000003");
    expect(openBuyerCode(sealed, "secret-b", "payses_1")).toBeUndefined();
    expect(openBuyerCode(sealed, "secret-a", "payses_2")).toBeUndefined();
    expect(openBuyerCode("v1.x.y", "secret-a", "payses_1")).toBeUndefined();
  });
});
