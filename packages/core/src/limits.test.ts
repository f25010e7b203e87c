import { describe, expect, it } from "vitest";
import { AlipayHkClient } from "./client";
import { AlipayConfigError } from "./errors";
import { byteLength, checkRefundReason, REFUND_REASON_MAX_BYTES } from "./limits";

describe("refund reason length (refund_reson String(128), bytes in the request charset)", () => {
  it("accepts 128 bytes and refuses 129, naming the field", () => {
    expect(() => checkRefundReason("a".repeat(128))).not.toThrow();
    expect(() => checkRefundReason("a".repeat(129))).toThrow(
      new AlipayConfigError("reason: at most 128 bytes in UTF-8 (refund_reson is String(128)), got 129"),
    );
  });

  it("counts bytes, not characters: 43 CJK characters are 129 bytes in UTF-8 but 86 in GBK", () => {
    const reason = "退".repeat(43);
    expect(byteLength(reason, "UTF-8")).toBe(129);
    expect(byteLength(reason, "GBK")).toBe(86);
    expect(() => checkRefundReason(reason, "UTF-8")).toThrow(/^reason: at most 128 bytes in UTF-8/);
    expect(() => checkRefundReason(reason, "GBK")).not.toThrow();
    expect(REFUND_REASON_MAX_BYTES).toBe(128);
  });

  it("the client refuses a too-long reason before anything is sent", async () => {
    let sent = 0;
    const client = new AlipayHkClient({
      partner: "2088101122136241",
      signType: "MD5",
      md5Key: "0123456789abcdefghijklmnopqrstuv",
      gateway: "http://127.0.0.1:9/gateway.do",
      transport: async () => {
        sent += 1;
        throw new Error("must not be called");
      },
    });
    await expect(client.refund({ partnerTransId: "o-1", partnerRefundId: "r-1", amount: 100, reason: "退".repeat(43) })).rejects.toThrow(
      /^reason: at most 128 bytes/,
    );
    expect(sent).toBe(0);
  });
});
