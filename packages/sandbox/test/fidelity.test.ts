/**
 * Points where the sandbox follows Alipay's HK documents: query misses answer FAIL, refund_reson is
 * String(128) counted in bytes of the request charset, identity_code_type is barcode only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayHkClient } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { callGateway, uid } from "./helpers";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

const spot = (id: string, extra: Record<string, string> = {}) => ({
  service: "alipay.acquire.overseas.spot.pay",
  alipay_seller_id: sandbox.partner,
  trans_name: "Tea",
  partner_trans_id: id,
  currency: "HKD",
  trans_amount: "10.00",
  buyer_identity_code: "280000000000000001",
  identity_code_type: "barcode",
  ...extra,
});

describe("HK document fidelity", () => {
  it("answers a query for an unknown trade with result_code FAIL and TRADE_NOT_EXIST; core's client reads it as not found", async () => {
    const r = await callGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: uid("NONE") });
    expect(r.reply.response).toMatchObject({ result_code: "FAIL", error: "TRADE_NOT_EXIST" });
    expect(r.signatureValid).toBe(true);
    const client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl });
    expect((await client.query({ partnerTransId: uid("NONE") })).found).toBe(false);
  });

  it("accepts identity_code_type barcode and refuses qrcode (ILLEGAL_ARGUMENT naming the field); nothing is charged", async () => {
    expect((await callGateway(sandbox, spot(uid("B")))).reply.response.result_code).toBe("SUCCESS");
    const id = uid("Q");
    const r = await callGateway(sandbox, spot(id, { identity_code_type: "qrcode" }));
    expect(r.reply).toMatchObject({ isSuccess: false, error: "ILLEGAL_ARGUMENT" });
    expect(r.detail).toBe('identity_code_type: expected one of barcode, got "qrcode"');
    expect(sandbox.trades().some((t) => t.out_trade_no === id)).toBe(false);
  });

  it("checks refund_reson as 128 bytes in the request charset: 43 CJK characters fail in UTF-8 and pass in GBK", async () => {
    const id = uid("R");
    await callGateway(sandbox, spot(id));
    const refund = (refundId: string, reason: string, charset: "UTF-8" | "GBK") =>
      callGateway(
        sandbox,
        {
          service: "alipay.acquire.overseas.spot.refund",
          partner_trans_id: id,
          partner_refund_id: refundId,
          refund_amount: "1.00",
          currency: "HKD",
          is_sync: "Y",
          refund_reson: reason,
        },
        { charset },
      );
    const long = "退".repeat(43);
    const utf8 = await refund(`${id}-1`, long, "UTF-8");
    expect(utf8.reply).toMatchObject({ isSuccess: false, error: "ILLEGAL_ARGUMENT" });
    expect(utf8.detail).toBe("refund_reson: at most 128 bytes in UTF-8, got 129");
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds).toHaveLength(0);
    expect((await refund(`${id}-2`, long, "GBK")).reply.response.result_code).toBe("SUCCESS");
    expect((await refund(`${id}-3`, "a".repeat(128), "UTF-8")).reply.response.result_code).toBe("SUCCESS");
    expect((await refund(`${id}-4`, "a".repeat(129), "UTF-8")).detail).toBe("refund_reson: at most 128 bytes in UTF-8, got 129");
  });

  it("precreate takes goods_detail, trade_information and terminal_timestamp, and answers the three picture sizes", async () => {
    const r = await callGateway(sandbox, {
      service: "alipay.acquire.precreate",
      out_trade_no: uid("G"),
      subject: "Tea set",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "20.00",
      currency: "HKD",
      goods_detail: JSON.stringify([{ goodsId: "t1", goodsName: "Tea", quantity: "1", price: "20.00" }]),
      trade_information: JSON.stringify({ business_type: "4", goods_info: "Tea^1" }),
      terminal_timestamp: String(Date.now()),
    });
    expect(r.reply.response.result_code).toBe("SUCCESS");
    expect(r.reply.response.small_pic_url).toMatch(/picSize=S$/);
    expect(r.reply.response.big_pic_url).toMatch(/picSize=L$/);
    const bad = await callGateway(sandbox, {
      service: "alipay.acquire.precreate",
      out_trade_no: uid("G"),
      subject: "x",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "1.00",
      currency: "HKD",
      trade_information: "not json",
    });
    expect(bad.detail).toBe('trade_information: expected a JSON object, got "not json"');
  });

  it("spot.pay takes trade_information; cancel takes terminal_timestamp; refund_reason (the misspelling's fix) has the same 128-byte limit", async () => {
    const id = uid("TI");
    expect((await callGateway(sandbox, spot(id, { trade_information: JSON.stringify({ business_type: "5" }) }))).reply.response.result_code).toBe("SUCCESS");
    const long = await callGateway(sandbox, {
      service: "alipay.acquire.overseas.spot.refund",
      partner_trans_id: id,
      partner_refund_id: `${id}-r`,
      refund_amount: "1.00",
      currency: "HKD",
      refund_reason: "a".repeat(129),
    });
    expect(long.detail).toBe("refund_reason: at most 128 bytes in UTF-8, got 129");
    const cancel = await callGateway(sandbox, { service: "alipay.acquire.cancel", out_trade_no: id, terminal_timestamp: "1700000000000" });
    expect(cancel.reply.response).toMatchObject({ result_code: "SUCCESS", action: "refund" });
    expect((await callGateway(sandbox, { service: "alipay.acquire.cancel", out_trade_no: id, terminal_timestamp: "soon" })).detail).toBe(
      'terminal_timestamp: expected epoch milliseconds, got "soon"',
    );
  });
});
