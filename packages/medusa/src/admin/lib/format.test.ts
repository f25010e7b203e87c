import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAdminAmount, formatAdminDate } from "./format";

describe("the widget's times and amounts, written as Medusa's order page writes them", () => {
  const tz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "Asia/Hong_Kong";
  });
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("dd MMM, yyyy, HH:mm:ss in the local time zone", () => {
    expect(formatAdminDate("2026-12-01T14:47:50.123Z")).toBe("01 Dec, 2026, 22:47:50");
    expect(formatAdminDate("2027-01-09T16:05:09Z")).toBe("10 Jan, 2027, 00:05:09");
  });

  it("an unreadable time is shown as it is", () => {
    expect(formatAdminDate("not a date")).toBe("not a date");
  });

  it("amounts in the payment's currency, from a decimal string or Medusa's number", () => {
    const hkd = new Intl.NumberFormat([], { style: "currency", currencyDisplay: "narrowSymbol", currency: "HKD" });
    expect(formatAdminAmount("50.00", "hkd")).toBe(hkd.format(50));
    expect(formatAdminAmount(1200.5, "HKD")).toBe(hkd.format(1200.5));
    expect(formatAdminAmount("1200.50", "hkd")).toMatch(/1,200\.50/);
    expect(formatAdminAmount("abc", "hkd")).toBe("HKD abc");
    expect(formatAdminAmount("5.00", "not-a-currency")).toBe("NOT-A-CURRENCY 5.00");
  });
});
