/**
 * The real captured requests of the spec (§1.4, §2.2, §2.5) and the official sample request,
 * re-signed with the test key (their merchants' keys are secret), must be accepted; the spec's
 * V1 vector is accepted with its published signature as is.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseGatewayReply, signParams } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { callGateway, TEST_MD5_KEY } from "./helpers";

const fixture = (name: string) => parseGatewayReply(readFileSync(new URL(`../../core/src/fixtures/${name}`, import.meta.url)));
const resign = (params: Record<string, string>) => signParams(params, "MD5", { md5Key: TEST_MD5_KEY });

// The official precreate sample request, verbatim from docs.antom.com (shown un-encoded there).
const OFFICIAL_SAMPLE =
  'https://intlmapi.alipay.com/gateway.do?_input_charset=UTF-8&body=iphone cellphone&currency=USD&extend_params={"secondary_merchant_name":"Lotte","secondary_merchant_id":"123","secondary_merchant_industry":"5812","store_id":"A101","store_name":"McDonald in 966 3rd Ave, New York"}&notify_url=http://api.test.alipay.net/atinterface/receive_notify.htm&out_trade_no=4363476566647440&partner=2088021966388155&passback_parameters=test&price=0.01&product_code=OVERSEAS_MBARCODE_PAY&quantity=1&seller_email= testoverseas1980@alipay.com&seller_id=2088021966388155&sendFormat=normal&service=alipay.acquire.precreate&show_url=http://www.taobao.com/product/113714.html&subject=Payment by QR-Code&total_fee=0.01&trans_currency=USD&sign=2127020ad640f41eec725c639f1de294';

function officialSample(): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of OFFICIAL_SAMPLE.split("?")[1]!.split("&")) {
    const eq = pair.indexOf("=");
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

let sandbox: RunningSandbox;
beforeAll(async () => {
  // The captures' partners, each with the spec's test key.
  sandbox = await startSandbox({
    startTime: "2024-01-01T09:00:00+08:00",
    partners: ["2088421920790891", "2088331370005945", "2088201565141845", "2088021966388155"].map((partner) => ({ partner, md5Key: TEST_MD5_KEY })),
  });
});
afterAll(() => sandbox.close());

describe("captured requests, re-signed with the test key", () => {
  it("precreate capture (SGD merchant): accepted and echoed; refused on business grounds only (HKD only)", async () => {
    const { sign: _sign, ...params } = fixture("precreate-sgd.xml").request;
    const sent = resign(params);
    const r = await callGateway(sandbox, sent, { raw: true });
    expect(r.reply.isSuccess).toBe(true);
    expect(r.reply.request).toEqual(sent);
    expect(r.reply.request.extend_params).toContain("蔡豆豆");
    expect(r.reply.response).toEqual({ result_code: "FAIL", error: "CURRENCY_NOT_SUPPORT", out_trade_no: "CBO20181026207446" });
    expect(r.signatureValid).toBe(true);

    const hkd = resign({ ...params, currency: "HKD", trans_currency: "HKD" });
    const ok = await callGateway(sandbox, hkd, { raw: true });
    expect(ok.reply.response).toMatchObject({ result_code: "SUCCESS", out_trade_no: "CBO20181026207446", voucher_type: "qrcode" });
    // The reply has exactly the capture's fields.
    expect(Object.keys(ok.reply.response).sort()).toEqual(Object.keys(fixture("precreate-sgd.xml").response).sort());
  });

  it("the official sample request (GET, un-encoded in the doc, extra sendFormat, a spaced seller_email)", async () => {
    const { sign: _sign, ...params } = officialSample();
    const r = await callGateway(sandbox, resign(params), { raw: true, method: "GET" });
    expect(r.reply.isSuccess).toBe(true);
    // The leading space is signed and echoed as sent (the XML reader trims it, so look at the body).
    expect(r.body.toString()).toContain('<param name="seller_email"> testoverseas1980@alipay.com</param>');
    expect(r.reply.response).toMatchObject({ result_code: "FAIL", error: "CURRENCY_NOT_SUPPORT" });
    const hkd = await callGateway(sandbox, resign({ ...params, currency: "HKD", trans_currency: "HKD" }), { raw: true, method: "GET" });
    expect(hkd.reply.response).toMatchObject({ result_code: "SUCCESS", out_trade_no: "4363476566647440" });
  });

  it("query capture (ALIPAYCN wallet): the same reply fields as the real one", async () => {
    const captured = fixture("query-alipaycn.xml");
    const { sign: _sign, ...params } = captured.request;
    // Make the trade exist: the capture's partner_trans_id, paid from an Alipay (CN) wallet.
    const pay = await callGateway(
      sandbox,
      resign({
        service: "alipay.acquire.overseas.spot.pay",
        partner: params.partner!,
        _input_charset: "UTF-8",
        alipay_seller_id: params.partner!,
        trans_name: "capture",
        partner_trans_id: params.partner_trans_id!,
        currency: "HKD",
        trans_amount: captured.response.trans_amount!,
        buyer_identity_code: "280000000000000002",
        identity_code_type: "barcode",
      }),
      { raw: true },
    );
    expect(pay.reply.response.result_code).toBe("SUCCESS");
    const sent = resign(params);
    const r = await callGateway(sandbox, sent, { raw: true });
    expect(r.reply.request).toEqual(sent);
    expect(r.signatureValid).toBe(true);
    const { alipay_pay_time: _t, alipay_trans_id: _id, ...stable } = captured.response;
    expect(r.reply.response).toMatchObject(stable);
    expect(Object.keys(r.reply.response).sort()).toEqual(Object.keys(captured.response).sort());
  });

  it("closed-trade query capture (ALIPAYHK, later cancelled): TRADE_CLOSED keeps the payment fields", async () => {
    const captured = fixture("query-closed-alipayhk.xml");
    const partner = "2088331370005945";
    const id = captured.response.partner_trans_id!;
    const base = { partner, _input_charset: "UTF-8" };
    await callGateway(
      sandbox,
      resign({
        ...base,
        service: "alipay.acquire.overseas.spot.pay",
        alipay_seller_id: partner,
        trans_name: "capture",
        partner_trans_id: id,
        currency: "HKD",
        trans_amount: "0.10",
        buyer_identity_code: "280000000000000001",
        identity_code_type: "barcode",
      }),
      { raw: true },
    );
    await callGateway(sandbox, resign({ ...base, service: "alipay.acquire.cancel", out_trade_no: id }), { raw: true });
    const r = await callGateway(sandbox, resign({ ...base, service: "alipay.acquire.overseas.query", partner_trans_id: id }), { raw: true });
    const { alipay_pay_time: _t, alipay_trans_id: _id, ...stable } = captured.response;
    expect(r.reply.response).toEqual({ ...stable, alipay_pay_time: r.reply.response.alipay_pay_time, alipay_trans_id: r.reply.response.alipay_trans_id });
  });

  it("cancel capture (GBK, no timestamp, unknown trade): exactly the captured reply", async () => {
    const captured = fixture("cancel.xml");
    const { sign: _sign, ...params } = captured.request;
    expect(params._input_charset).toBe("GBK");
    const sent = resign(params);
    const r = await callGateway(sandbox, sent, { raw: true, charset: "GBK" });
    expect(r.contentType).toBe("text/xml; charset=GBK");
    expect(r.reply.request).toEqual(sent);
    expect(r.reply.response).toEqual(captured.response);
    expect(r.signatureValid).toBe(true);
  });

  it("the spec's V1 spot.pay vector is accepted with its published signature", async () => {
    const v1 = {
      service: "alipay.acquire.overseas.spot.pay",
      partner: "2088101122136241",
      _input_charset: "UTF-8",
      alipay_seller_id: "2088101122136241",
      quantity: "1",
      trans_name: "Mika's coffee shop",
      partner_trans_id: "TRADE_20240101120000001",
      currency: "HKD",
      trans_amount: "12.30",
      buyer_identity_code: "281234567890123456",
      identity_code_type: "barcode",
      trans_create_time: "20240101120000",
      memo: "",
      biz_product: "OVERSEAS_MBARCODE_PAY",
      extend_info:
        '{"secondary_merchant_name":"Lotte","secondary_merchant_id":"123","secondary_merchant_industry":"5812","store_id":"A101","store_name":"McDonald in 966 3rd Ave, New York"}',
      sign_type: "MD5",
      sign: "e70ce81141310bd17f648732bcbac8d7",
    };
    const r = await callGateway(sandbox, v1, { raw: true });
    expect(r.reply.isSuccess).toBe(true);
    expect(r.reply.response).toMatchObject({
      result_code: "SUCCESS",
      partner_trans_id: "TRADE_20240101120000001",
      trans_amount: "12.30",
      payment_inst: "ALIPAYHK",
    });
  });
});
