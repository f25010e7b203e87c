import { describe, expect, it } from "vitest";
import { AlipayHkClient } from "./client";
import { AlipayConfigError, AlipayGatewayError, AlipayNetworkError, AlipayProtocolError, AlipaySignatureError, AlipayTimeoutError } from "./errors";
import { generateRsaKeyPair, toBareBase64 } from "./signing/keys";
import { verifyParams } from "./signing/params";
import { buildSignedNotification, scriptedGateway } from "./testing/index";

const PARTNER = "2088101122136241";
const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const fixedClock = { now: () => new Date("2024-01-01T04:00:00Z") };

function md5Client(handle: Parameters<typeof scriptedGateway>[1]) {
  const gw = scriptedGateway({ signType: "MD5", md5Key: MD5_KEY }, handle);
  const client = new AlipayHkClient({
    partner: PARTNER,
    signType: "MD5",
    md5Key: MD5_KEY,
    gateway: "http://127.0.0.1:1/gateway.do",
    transport: gw.transport,
    clock: fixedClock,
  });
  return { client, requests: gw.requests };
}

describe("AlipayHkClient configuration", () => {
  it("names the wrong option", () => {
    expect(() => new AlipayHkClient({ partner: "123", signType: "MD5", md5Key: MD5_KEY })).toThrowError(/^partner: expected 16 digits starting with 2088/);
    expect(() => new AlipayHkClient({ partner: PARTNER, signType: "MD5" })).toThrowError("md5Key: required for sign type MD5");
    expect(() => new AlipayHkClient({ partner: PARTNER, signType: "SHA" as never })).toThrowError(/^signType:/);
    expect(() => new AlipayHkClient({ partner: PARTNER, signType: "RSA2", privateKey: "x" })).toThrowError(/^alipayPublicKey: required/);
    expect(() => new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY, gateway: "ftp://x" })).toThrowError(/^gateway:/);
  });

  it("reports keys in the wrong role at construction", () => {
    const merchant = generateRsaKeyPair();
    const alipay = generateRsaKeyPair();
    expect(
      () => new AlipayHkClient({ partner: PARTNER, signType: "RSA2", privateKey: merchant.publicKeyPem, alipayPublicKey: alipay.publicKeyPem }),
    ).toThrowError("privateKey: this is a public key; a private key belongs here (PKCS#8 or PKCS#1)");
    expect(
      () =>
        new AlipayHkClient({ partner: PARTNER, signType: "RSA2", privateKey: merchant.privateKeyPem, alipayPublicKey: toBareBase64(merchant.publicKeyPem) }),
    ).toThrowError(/^alipayPublicKey: this is the merchant's own public key/);
    expect(
      () => new AlipayHkClient({ partner: PARTNER, signType: "RSA2", privateKey: merchant.privateKeyPem, alipayPublicKey: alipay.privateKeyPem }),
    ).toThrowError(AlipayConfigError);
  });

  it("resolves presets", () => {
    expect(new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY }).gatewayUrl).toBe("https://intlmapi.alipay.com/gateway.do");
    expect(new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY, gateway: "alipay-sandbox" }).gatewayUrl).toBe(
      "https://mapi.alipaydev.com/gateway.do",
    );
    expect(new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY, gateway: "http://127.0.0.1:4010" }).gatewayUrl).toBe(
      "http://127.0.0.1:4010/gateway.do",
    );
  });
});

describe("requests", () => {
  it("sends a signed precreate with _input_charset in the URL and the signed string", async () => {
    let url = "";
    const gw = scriptedGateway({ signType: "MD5", md5Key: MD5_KEY }, () => ({
      response: { result_code: "SUCCESS", out_trade_no: "o-1", qr_code: "https://qr.alipay.com/bax1", voucher_type: "qrcode" },
    }));
    const client = new AlipayHkClient({
      partner: PARTNER,
      signType: "MD5",
      md5Key: MD5_KEY,
      gateway: "http://127.0.0.1:1",
      clock: fixedClock,
      transport: async (req) => {
        url = req.url;
        return gw.transport(req);
      },
    });
    const result = await client.precreate({ outTradeNo: "o-1", subject: "測試", totalFee: 1230 });
    expect(result.qrCode).toBe("https://qr.alipay.com/bax1");
    expect(url).toBe("http://127.0.0.1:1/gateway.do?_input_charset=UTF-8");
    const sent = gw.requests[0]!;
    expect(sent).toMatchObject({
      service: "alipay.acquire.precreate",
      total_fee: "12.30",
      currency: "HKD",
      trans_currency: "HKD",
      timestamp: "1704081600000",
      subject: "測試",
    });
    expect(verifyParams(sent, { md5Key: MD5_KEY })).toEqual({ ok: true, signType: "MD5" });
  });

  it("normalises spot.pay results", async () => {
    const codes: Array<Record<string, string>> = [
      { result_code: "SUCCESS", partner_trans_id: "p1", trans_amount: "12.30", payment_inst: "ALIPAYCN", alipay_pay_time: "20240101120000" },
      { result_code: "FAILED", partner_trans_id: "p1", error: "BUYER_BALANCE_NOT_ENOUGH" },
      { result_code: "UNKNOW", partner_trans_id: "p1", error: "SYSTEM_ERROR" },
      { result_code: "FAILED", partner_trans_id: "p1", error: "SYSTEM_ERROR" },
    ];
    const { client } = md5Client((_p, i) => ({ response: codes[i]! }));
    const pay = () => client.spotPay({ partnerTransId: "p1", amount: 1230, buyerIdentityCode: "281234567890123456", transName: "t" });
    const paid = await pay();
    expect(paid.outcome).toEqual({ kind: "paid" });
    expect(paid).toMatchObject({ amount: 1230, paymentInst: "ALIPAYCN", paidAt: new Date("2024-01-01T04:00:00Z") });
    expect((await pay()).outcome).toEqual({ kind: "failed", code: "BUYER_BALANCE_NOT_ENOUGH" });
    expect((await pay()).outcome).toEqual({ kind: "unknown", code: "SYSTEM_ERROR" });
    expect((await pay()).outcome).toEqual({ kind: "unknown", code: "SYSTEM_ERROR" });
  });
});

describe("reply verification", () => {
  it("throws a signature error for a tampered reply and never returns its fields", async () => {
    const { client } = md5Client(() => ({ fault: "badSignature" }));
    await expect(client.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipaySignatureError);
  });
  it("refuses an unsigned is_success=T reply", async () => {
    const client = new AlipayHkClient({
      partner: PARTNER,
      signType: "MD5",
      md5Key: MD5_KEY,
      transport: async () => ({
        status: 200,
        headers: {},
        body: Buffer.from("<alipay><is_success>T</is_success><response><alipay><result_code>SUCCESS</result_code></alipay></response></alipay>"),
      }),
    });
    await expect(client.query({ partnerTransId: "p1" })).rejects.toThrowError(/reply has no signature/);
  });
  it("maps is_success=F, signed or not, to a gateway error with the code", async () => {
    const { client } = md5Client((_p, i) => (i === 0 ? { error: "ILLEGAL_SIGN" } : { error: "PURCHASE_TRADE_NOT_EXIST", signed: true }));
    await expect(client.query({ partnerTransId: "p1" })).rejects.toMatchObject({
      constructor: AlipayGatewayError,
      code: "ILLEGAL_SIGN",
      service: "alipay.acquire.overseas.query",
      partnerTransId: "p1",
    });
    await expect(client.query({ partnerTransId: "p1" })).rejects.toMatchObject({ code: "PURCHASE_TRADE_NOT_EXIST" });
  });
  it("refuses a validly signed reply about another trade", async () => {
    const { client } = md5Client(() => ({ response: { result_code: "SUCCESS", partner_trans_id: "other", alipay_trans_status: "TRADE_SUCCESS" } }));
    await expect(client.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipayProtocolError);
  });
  it("maps transport faults", async () => {
    const faults = ["timeout", "network", "http500", "malformedXml"] as const;
    const { client } = md5Client((_p, i) => ({ fault: faults[i]! }));
    await expect(client.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipayTimeoutError);
    await expect(client.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipayNetworkError);
    await expect(client.query({ partnerTransId: "p1" })).rejects.toMatchObject({ code: "HTTP_500" });
    await expect(client.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipayProtocolError);
  });
  it("verifies RSA2 replies with Alipay's key", async () => {
    const merchant = generateRsaKeyPair();
    const alipay = generateRsaKeyPair();
    const gw = scriptedGateway({ signType: "RSA2", privateKey: alipay.privateKeyPem }, () => ({
      response: { result_code: "SUCCESS", partner_trans_id: "p1", alipay_trans_status: "WAIT_BUYER_PAY" },
    }));
    const client = new AlipayHkClient({
      partner: PARTNER,
      signType: "RSA2",
      privateKey: merchant.privateKeyPem,
      alipayPublicKey: alipay.publicKeyPem,
      transport: gw.transport,
    });
    const query = await client.query({ partnerTransId: "p1" });
    expect(query.outcome).toEqual({ kind: "waiting" });
    expect(verifyParams(gw.requests[0]!, { publicKey: (await import("./signing/keys")).parsePublicKey(merchant.publicKeyPem) }).ok).toBe(true);
    // A reply signed by the merchant key (not Alipay's) is refused.
    const forged = scriptedGateway({ signType: "RSA2", privateKey: merchant.privateKeyPem }, () => ({
      response: { result_code: "SUCCESS", partner_trans_id: "p1" },
    }));
    const client2 = new AlipayHkClient({
      partner: PARTNER,
      signType: "RSA2",
      privateKey: merchant.privateKeyPem,
      alipayPublicKey: alipay.publicKeyPem,
      transport: forged.transport,
    });
    await expect(client2.query({ partnerTransId: "p1" })).rejects.toBeInstanceOf(AlipaySignatureError);
  });
});

describe("notifications", () => {
  const { client } = md5Client(() => ({ response: {} }));
  const fields = {
    notify_id: "n1",
    notify_type: "trade_status_sync",
    notify_time: "2024-01-01 12:00:05",
    out_trade_no: "o-1",
    trade_status: "TRADE_SUCCESS",
    total_fee: "12.30",
    subject: "A+B 測試",
    payment_inst: "ALIPAYHK",
  };
  it("verifies a signed body and types its fields", () => {
    const body = buildSignedNotification(fields, { signType: "MD5", md5Key: MD5_KEY });
    const n = client.verifyNotification(body);
    expect(n).toMatchObject({ notifyId: "n1", outTradeNo: "o-1", tradeStatus: "TRADE_SUCCESS", totalFee: 1230, paymentInst: "ALIPAYHK" });
    expect(n.fields.subject).toBe("A+B 測試");
  });
  it("refuses a tampered body", () => {
    const body = buildSignedNotification(fields, { signType: "MD5", md5Key: MD5_KEY }).replace("total_fee=12.30", "total_fee=0.01");
    expect(() => client.verifyNotification(body)).toThrow(AlipaySignatureError);
  });
  it("accepts an RSA2 notification whose + arrived as a space", () => {
    const alipay = generateRsaKeyPair();
    const merchant = generateRsaKeyPair();
    const rsaClient = new AlipayHkClient({ partner: PARTNER, signType: "RSA2", privateKey: merchant.privateKeyPem, alipayPublicKey: alipay.publicKeyPem });
    for (let i = 0; i < 100; i++) {
      const body = buildSignedNotification({ ...fields, notify_id: `n${i}` }, { signType: "RSA2", privateKey: alipay.privateKeyPem });
      const sign = new URLSearchParams(body).get("sign")!;
      if (!sign.includes("+")) continue;
      const mangled = body.replace(/sign=[^&]+/, `sign=${sign.replace(/\+/g, "+")}`); // raw '+' decodes to a space
      expect(mangled).not.toBe(body);
      expect(rsaClient.verifyNotification(mangled).notifyId).toBe(`n${i}`);
      return;
    }
    throw new Error("no signature with a '+' in 100 tries");
  });
});

describe("GBK notifications", () => {
  it("verifies a GBK-encoded body when told its charset", async () => {
    const { encodeForm } = await import("./form");
    const { signParams } = await import("./signing/params");
    const fields = { notify_id: "g1", notify_type: "trade_status_sync", out_trade_no: "o-g", subject: "測試商品", _input_charset: "GBK" };
    const body = encodeForm(signParams(fields, "MD5", { md5Key: MD5_KEY }), "GBK");
    const gbkClient = new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY });
    expect(gbkClient.verifyNotification(body, { charset: "GBK" }).fields.subject).toBe("測試商品");
    expect(() => gbkClient.verifyNotification(body)).toThrow(AlipaySignatureError);
  });
});
