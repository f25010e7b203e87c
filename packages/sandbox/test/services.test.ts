/**
 * Every service with each sign type over real HTTP, with requests built by hand (core's
 * signParams + fetch), replies verified with the MD5 key or the sandbox's Alipay public key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignType } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { admin, callGateway, sendGateway, uid } from "./helpers";

describe.each<SignType>(["MD5", "RSA", "RSA2"])("services signed with %s", (signType) => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    // A fixed morning (GMT+8), so the same-day cancel never straddles midnight.
    sandbox = await startSandbox({ signType, startTime: "2024-01-01T09:00:00+08:00" });
  });
  afterAll(() => sandbox.close());

  const call = (params: Record<string, string | undefined>, method: "GET" | "POST" = "POST") => callGateway(sandbox, params, { signType, method });

  it("exposes the keys a client needs", () => {
    expect(sandbox.signType).toBe(signType);
    expect(sandbox.alipayPublicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    if (signType === "MD5") expect(sandbox.merchantPrivateKeyPem).toBeUndefined();
    else expect(sandbox.merchantPrivateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("precreate → pay → query → two refunds → query, each reply signed with the request's sign type", async () => {
    const id = uid("QR");
    const pre = await call({
      service: "alipay.acquire.precreate",
      out_trade_no: id,
      subject: "Flat white",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "38.00",
      currency: "HKD",
      trans_currency: "HKD",
      timestamp: String(Date.now()),
    });
    expect(pre.status).toBe(200);
    expect(pre.contentType).toBe("text/xml; charset=UTF-8");
    expect(pre.reply.isSuccess).toBe(true);
    expect(pre.reply.signType).toBe(signType);
    expect(pre.signatureValid).toBe(true);
    expect(pre.reply.request).toEqual(pre.sent);
    expect(pre.reply.response).toMatchObject({ result_code: "SUCCESS", out_trade_no: id, voucher_type: "qrcode" });
    const code = pre.reply.response.qr_code!.replace("https://qr.alipay.com/", "");
    expect(code).toMatch(/^bax[0-9a-z]{21}$/);
    expect(pre.reply.response.pic_url).toBe(`https://mobilecodec.alipay.com/show.htm?code=${code}&picSize=M`);

    const waiting = await call({ service: "alipay.acquire.overseas.query", partner_trans_id: id });
    expect(waiting.signatureValid).toBe(true);
    expect(waiting.reply.response).toMatchObject({ result_code: "SUCCESS", alipay_trans_status: "WAIT_BUYER_PAY", trans_amount: "38.00", currency: "HKD" });

    const paid = await admin(sandbox, "POST", `/sandbox/trades/${id}/pay`, { wallet: "ALIPAYCN" });
    expect(paid.status).toBe(200);

    const query = await call({ service: "alipay.acquire.overseas.query", partner_trans_id: id }, "GET");
    expect(query.signatureValid).toBe(true);
    expect(query.reply.response).toMatchObject({
      result_code: "SUCCESS",
      alipay_trans_status: "TRADE_SUCCESS",
      out_trade_no: id,
      partner_trans_id: id,
      payment_inst: "ALIPAYCN",
      alipay_buyer_login_id: "132****6685",
      trans_amount: "38.00",
    });
    expect(query.reply.response.alipay_trans_id).toMatch(/^\d{28}$/);
    expect(query.reply.response.alipay_pay_time).toMatch(/^\d{14}$/);

    for (const [n, amount] of [
      [1, "10.00"],
      [2, "8.50"],
    ] as const) {
      const refund = await call({
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: id,
        partner_refund_id: `${id}-R${n}`,
        refund_amount: amount,
        currency: "HKD",
        is_sync: "Y",
      });
      expect(refund.signatureValid).toBe(true);
      expect(refund.reply.response).toMatchObject({ result_code: "SUCCESS", partner_refund_id: `${id}-R${n}`, refund_amount: amount, partner_trans_id: id });
    }
    const after = await call({ service: "alipay.acquire.overseas.query", partner_trans_id: id });
    expect(after.reply.response.alipay_trans_status).toBe("TRADE_SUCCESS");
    const trade = (await admin<Array<{ out_trade_no: string; refunded: string }>>(sandbox, "GET", "/sandbox/trades")).json.find((t) => t.out_trade_no === id);
    expect(trade?.refunded).toBe("18.50");
  });

  it("spot.pay, then cancel reverses it on the same day", async () => {
    const id = uid("BC");
    const pay = await call({
      service: "alipay.acquire.overseas.spot.pay",
      alipay_seller_id: sandbox.partner,
      trans_name: "Mika's coffee shop",
      partner_trans_id: id,
      currency: "HKD",
      trans_amount: "12.30",
      buyer_identity_code: "281234567890123456",
      identity_code_type: "barcode",
      trans_create_time: "20240101120000",
      biz_product: "OVERSEAS_MBARCODE_PAY",
    });
    expect(pay.signatureValid).toBe(true);
    expect(pay.reply.response).toMatchObject({
      result_code: "SUCCESS",
      partner_trans_id: id,
      payment_inst: "ALIPAYHK",
      trans_amount: "12.30",
      currency: "HKD",
    });

    const cancel = await call({ service: "alipay.acquire.cancel", out_trade_no: id, timestamp: String(Date.now()) });
    expect(cancel.signatureValid).toBe(true);
    expect(cancel.reply.response).toMatchObject({
      result_code: "SUCCESS",
      retry_flag: "N",
      action: "refund",
      out_trade_no: id,
      trade_no: pay.reply.response.alipay_trans_id,
    });
    const query = await call({ service: "alipay.acquire.overseas.query", partner_trans_id: id });
    expect(query.reply.response.alipay_trans_status).toBe("TRADE_CLOSED");
  });

  it("notify_verify answers plain text, signed or not", async () => {
    const signed = await sendGateway(sandbox, { service: "notify_verify", notify_id: "ac05099524730693a8b330c5ecf72da978" }, { signType, method: "GET" });
    expect(signed.response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(signed.body.toString()).toBe("false");
    const unsigned = await fetch(`${sandbox.gatewayUrl}?service=notify_verify&partner=${sandbox.partner}&notify_id=unknown`);
    expect(await unsigned.text()).toBe("false");
  });
});
