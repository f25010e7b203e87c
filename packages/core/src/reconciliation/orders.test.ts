import { describe, expect, it } from "vitest";
import { ReconParseError } from "./errors";
import { loadStoreLedger, parseStoreLedger, toAlipayDay, toStoreOrderStatus } from "./orders";
import { fixture } from "./test-helpers";

describe("parseStoreLedger: CSV", () => {
  it("reads orders and refunds with exact amounts and GMT+8 days", () => {
    const csv = [
      "type,id,order_id,amount,currency,status,date",
      "order,o-1,,12.30,HKD,completed,2024-01-02",
      "order,o-2,,100,hkd,cancelled,2024-01-01T17:30:00Z",
      'refund,r-1,o-1,"2.3",HKD,succeeded,2024-01-02 18:00:00',
    ].join("\n");
    expect(parseStoreLedger(csv, "orders.csv")).toEqual({
      orders: [
        { id: "o-1", amount: 1230, currency: "HKD", status: "paid", date: "2024-01-02" },
        { id: "o-2", amount: 10000, currency: "HKD", status: "canceled", date: "2024-01-02" },
      ],
      refunds: [{ id: "r-1", orderId: "o-1", amount: 230, currency: "HKD", status: "succeeded", date: "2024-01-02" }],
    });
  });

  it("reads integer cents from amount_minor, and rows without a type as orders", () => {
    const ledger = parseStoreLedger("id,amount_minor,currency,status\no-1,1230,HKD,paid\n", "x.csv");
    expect(ledger.orders).toEqual([{ id: "o-1", amount: 1230, currency: "HKD", status: "paid", date: null }]);
  });

  it("names the file, line and column of a bad value", () => {
    const csv = "id,amount,currency,status,date\no-1,12.30,HKD,paid,2024-01-02\no-2,12.345,HKD,paid,2024-01-02\n";
    const err = (() => {
      try {
        parseStoreLedger(csv, "orders.csv");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ReconParseError);
    expect((err as Error).message).toBe('orders.csv:3: column 2 (amount): amount: expected a decimal amount with at most 2 decimals, got "12.345"');
  });

  it("names the line of an unclosed quote", () => {
    expect(() => parseStoreLedger('id,amount,currency,status\no-1,1.00,HKD,paid\n"o-2,1.00,HKD,paid\n', "o.csv")).toThrow(
      'o.csv:3: column 1: a quoted field is never closed; expected a closing "',
    );
  });

  it("refuses an unknown status and a missing column", () => {
    expect(() => parseStoreLedger("id,amount,currency,status\no-1,1.00,HKD,shipped?\n", "o.csv")).toThrow(
      'o.csv:2: column 4 (status): expected an order status (paid, completed, processing, refunded, pending, canceled, failed…), got "shipped?"',
    );
    expect(() => parseStoreLedger("id,amount,status\n", "o.csv")).toThrow('o.csv:1: the column-name row lacks "currency"');
  });
});

describe("parseStoreLedger: JSON", () => {
  it("reads { orders, refunds } and arrays of rows; refuses float cents", () => {
    const json = JSON.stringify({
      orders: [{ id: "o-1", amount: "12.30", currency: "HKD", status: "paid", date: "2024-01-02" }],
      refunds: [{ id: "r-1", orderId: "o-1", amount: 2, currency: "HKD", status: "pending", date: 1704186000000 }],
    });
    expect(parseStoreLedger(json, "orders.json")).toEqual({
      orders: [{ id: "o-1", amount: 1230, currency: "HKD", status: "paid", date: "2024-01-02" }],
      refunds: [{ id: "r-1", orderId: "o-1", amount: 200, currency: "HKD", status: "pending", date: "2024-01-02" }],
    });
    const rows = JSON.stringify([{ type: "order", id: "o-1", amount: 12.3, currency: "HKD", status: "paid" }]);
    expect(() => parseStoreLedger(rows, "orders.json")).toThrow(/^orders\.json:1: column row 1, amount \(|orders\.json:1/);
  });

  it("refuses JSON that is not rows", () => {
    expect(() => parseStoreLedger('{"x":1}', "o.json")).toThrow("o.json:1: expected a JSON array of rows or { orders: [...], refunds: [...] }");
  });

  it("loads the fixtures from disk", async () => {
    const csv = await loadStoreLedger(fixture("store-orders.csv"));
    const json = await loadStoreLedger(fixture("store-orders.json"));
    expect(json).toEqual(csv);
  });
});

describe("status and day helpers", () => {
  it("maps store status words", () => {
    expect(["processing", "wc-completed", "Captured", "partially_refunded", "on-hold", "Cancelled", "failed", "shipped"].map(toStoreOrderStatus)).toEqual([
      "paid",
      "paid",
      "paid",
      "refunded",
      "pending",
      "canceled",
      "failed",
      null,
    ]);
  });

  it("turns store times into Alipay's GMT+8 day", () => {
    expect(toAlipayDay("2024-01-02")).toBe("2024-01-02");
    expect(toAlipayDay("2024-01-02 23:59:59")).toBe("2024-01-02");
    expect(toAlipayDay("2024-01-02T16:00:00Z")).toBe("2024-01-03");
    expect(toAlipayDay("2024-01-02T23:30:00+08:00")).toBe("2024-01-02");
    expect(toAlipayDay(1704211200000)).toBe("2024-01-03");
    expect(toAlipayDay("yesterday")).toBeNull();
  });
});
