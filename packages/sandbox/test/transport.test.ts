/** Transport-level behaviour: charsets, GET/POST, merged query and body, and the is_success=F errors. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeForm, nodeCryptoSigner, parseGatewayReply, signParams } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { callGateway, sendGateway, TEST_MD5_KEY, uid } from "./helpers";

let sandbox: RunningSandbox;
let rsa: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
  rsa = await startSandbox({ signType: "RSA2", partner: "2088000000000011" });
});
afterAll(async () => {
  await sandbox.close();
  await rsa.close();
});

const query = (id: string) => ({ service: "alipay.acquire.overseas.query", partner_trans_id: id });
const precreate = (id: string, extra: Record<string, string> = {}) => ({
  service: "alipay.acquire.precreate",
  out_trade_no: id,
  subject: "Coffee",
  product_code: "OVERSEAS_MBARCODE_PAY",
  total_fee: "12.30",
  currency: "HKD",
  timestamp: String(Date.now()),
  ...extra,
});

describe("transport errors answer is_success=F like the captures", () => {
  it("ILLEGAL_SIGN for a wrong signature, unsigned, with no request echo", async () => {
    const r = await callGateway(sandbox, query("x"), { signKey: { md5Key: "wrongwrongwrongwrongwrongwrong12" } });
    expect(r.status).toBe(200);
    expect(r.reply).toMatchObject({ isSuccess: false, error: "ILLEGAL_SIGN", request: {}, response: {} });
    expect(r.reply.sign).toBeUndefined();
    expect(r.detail).toMatch(/^sign: does not verify/);
    // The capture's shape exactly: no request, no response, no sign.
    expect(r.body.toString()).toBe('<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>F</is_success><error>ILLEGAL_SIGN</error></alipay>');
  });

  it("ILLEGAL_SIGN when a signed value is changed on the way", async () => {
    const signed = signParams({ ...query("a"), partner: sandbox.partner, _input_charset: "UTF-8" }, "MD5", { md5Key: TEST_MD5_KEY });
    const r = await callGateway(sandbox, { ...signed, partner_trans_id: "b" }, { raw: true });
    expect(r.reply.error).toBe("ILLEGAL_SIGN");
  });

  it("ILLEGAL_SIGN when the sign is missing", async () => {
    const r = await callGateway(sandbox, { ...query("a"), partner: sandbox.partner, _input_charset: "UTF-8", sign_type: "MD5" }, { raw: true });
    expect(r.reply.error).toBe("ILLEGAL_SIGN");
  });

  it("ILLEGAL_PARTNER for a partner the sandbox does not have", async () => {
    const r = await callGateway(sandbox, { ...query("a"), partner: "2088999999999999" });
    expect(r.reply.error).toBe("ILLEGAL_PARTNER");
  });

  it("ILLEGAL_SERVICE for an unknown or missing service", async () => {
    expect((await callGateway(sandbox, { service: "alipay.acquire.create" })).reply.error).toBe("ILLEGAL_SERVICE");
    expect((await callGateway(sandbox, { service: undefined, partner_trans_id: "a" })).reply.error).toBe("ILLEGAL_SERVICE");
  });

  it("ILLEGAL_SIGN_TYPE for DSA, and for RSA when the partner has no RSA key", async () => {
    const r = await callGateway(sandbox, { ...query("a"), partner: sandbox.partner, _input_charset: "UTF-8", sign_type: "DSA", sign: "abc" }, { raw: true });
    expect(r.reply.error).toBe("ILLEGAL_SIGN_TYPE");
    const key = { privateKey: (await import("@alipayhk/core")).parsePrivateKey(rsa.merchantPrivateKeyPem!) };
    const r2 = await callGateway(sandbox, query("a"), { signType: "RSA", signKey: key });
    expect(r2.reply.error).toBe("ILLEGAL_SIGN_TYPE");
  });

  it("ILLEGAL_ARGUMENT for missing, malformed, too long and out-of-range parameters", async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [precreate(uid(), { total_fee: "12.3" }), /^total_fee: expected a decimal string with exactly 2 decimals/],
      [precreate(uid(), { total_fee: "0.00" }), /^total_fee: expected 0.01 to 100000000.00 HKD/],
      [precreate(uid(), { total_fee: "100000000.01" }), /^total_fee: expected 0.01 to 100000000.00 HKD/],
      [precreate(uid(), { total_fee: "12,30" }), /^total_fee:/],
      [precreate(uid(), { subject: "" }), /^subject: required/],
      [precreate(uid(), { subject: "x".repeat(257) }), /^subject: at most 256 characters/],
      [precreate(uid(), { subject: 'The "best" coffee' }), /^subject: must not contain a half-width double quote/],
      [precreate("x".repeat(65)), /^out_trade_no: at most 64 characters/],
      [precreate(uid(), { currency: "hkd" }), /^currency: expected a 3-letter currency code/],
      [precreate(uid(), { timestamp: "yesterday" }), /^timestamp: expected epoch milliseconds or "yyyy-MM-dd HH:mm:ss"/],
      [precreate(uid(), { it_b_pay: "1.5h" }), /^it_b_pay: expected a whole number/],
      [precreate(uid(), { it_b_pay: "16d" }), /^it_b_pay: at most 15 days/],
      [precreate(uid(), { notify_url: "ftp://shop/notify" }), /^notify_url: expected an http\(s\) URL/],
      [precreate(uid(), { extend_params: "{not json" }), /^extend_params: expected a JSON object/],
      [precreate(uid(), { seller_id: "2088000000000000" }), /^seller_id: expected the partner id/],
      [{ service: "alipay.acquire.overseas.query" }, /^partner_trans_id or alipay_trans_id: one of them is required/],
      [
        { service: "alipay.acquire.overseas.spot.refund", partner_trans_id: "a", partner_refund_id: "a", refund_amount: "1.00", currency: "HKD" },
        /^partner_refund_id: must differ/,
      ],
      [
        {
          service: "alipay.acquire.overseas.spot.pay",
          alipay_seller_id: sandbox.partner,
          trans_name: "x",
          partner_trans_id: "p",
          currency: "HKD",
          trans_amount: "1.00",
          buyer_identity_code: "281234567890123456",
          identity_code_type: "card",
        },
        /^identity_code_type: expected one of barcode, got "card"/,
      ],
      [{ service: "alipay.acquire.cancel", out_trade_no: "a", timestamp: "1456507704" }, /^timestamp:/],
    ];
    for (const [params, detail] of cases) {
      const r = await callGateway(sandbox, params);
      expect(r.reply.error, JSON.stringify(params)).toBe("ILLEGAL_ARGUMENT");
      expect(r.detail, JSON.stringify(params)).toMatch(detail);
    }
  });

  it("accepts the timestamp as epoch ms and as yyyy-MM-dd HH:mm:ss (spec §0)", async () => {
    expect((await callGateway(sandbox, precreate(uid(), { timestamp: "1456507704121" }))).reply.response.result_code).toBe("SUCCESS");
    expect((await callGateway(sandbox, precreate(uid(), { timestamp: "2024-01-01 12:00:00" }))).reply.response.result_code).toBe("SUCCESS");
  });

  it("ILLEGAL_CHARSET for a charset it does not speak", async () => {
    const r = await callGateway(sandbox, query("a"), { charset: "ISO-8859-1" as "UTF-8" });
    expect(r.reply.error).toBe("ILLEGAL_CHARSET");
  });

  it("signs failures over error=<code> when signFailures is on", async () => {
    const signing = await startSandbox({ signFailures: true });
    try {
      const r = await callGateway(signing, {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: "none",
        partner_refund_id: "r1",
        refund_amount: "1.00",
        currency: "HKD",
      });
      expect(r.reply).toMatchObject({ isSuccess: false, error: "PURCHASE_TRADE_NOT_EXIST", signType: "MD5" });
      expect(r.signatureValid).toBe(true);
      expect(nodeCryptoSigner.verify("MD5", "error=PURCHASE_TRADE_NOT_EXIST", r.reply.sign!, { md5Key: TEST_MD5_KEY })).toBe(true);
    } finally {
      await signing.close();
    }
  });
});

describe("requests", () => {
  it("merges the query string and the body before verifying (_input_charset in the URL, as the SDK sends it)", async () => {
    const id = uid();
    const post = await callGateway(sandbox, precreate(id));
    expect(post.reply.response.result_code).toBe("SUCCESS");
    expect(post.reply.request._input_charset).toBe("UTF-8");
    const inBody = await callGateway(sandbox, precreate(uid()), { charsetInBody: true });
    expect(inBody.reply.response.result_code).toBe("SUCCESS");
    const get = await callGateway(sandbox, query(id), { method: "GET" });
    expect(get.reply.response.alipay_trans_status).toBe("WAIT_BUYER_PAY");
  });

  it("refuses a parameter given with different values in the query and the body", async () => {
    const signed = signParams({ ...query("a"), partner: sandbox.partner, _input_charset: "UTF-8" }, "MD5", { md5Key: TEST_MD5_KEY });
    const response = await fetch(`${sandbox.gatewayUrl}?partner_trans_id=b`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: encodeForm(signed),
    });
    const reply = parseGatewayReply(Buffer.from(await response.arrayBuffer()));
    expect(reply.error).toBe("ILLEGAL_ARGUMENT");
    expect(response.headers.get("x-sandbox-detail")).toMatch(/^partner_trans_id: given in the query string and the body/);
  });

  it("decodes GBK requests before verifying and answers in GBK", async () => {
    const id = uid();
    const r = await callGateway(sandbox, precreate(id, { subject: "測試商品" }), { charset: "GBK" });
    expect(r.contentType).toBe("text/xml; charset=GBK");
    expect(r.body.subarray(0, 40).toString("latin1")).toContain('encoding="GBK"');
    expect(r.reply.response.result_code).toBe("SUCCESS");
    // The echo came back in GBK bytes and decodes to the same text.
    expect(new TextDecoder("gbk").decode(r.body)).toContain("測試商品");
    expect(r.body.includes(Buffer.from("測試商品", "utf8"))).toBe(false);
    expect(r.reply.request.subject).toBe("測試商品");
    expect(r.signatureValid).toBe(true);
    expect(sandbox.trades().find((t) => t.out_trade_no === id)?.subject).toBe("測試商品");
  });

  it("a GBK-signed value sent with a UTF-8 declaration does not verify (the classic charset pitfall)", async () => {
    const params = { ...precreate(uid(), { subject: "測試商品" }), partner: sandbox.partner, _input_charset: "GBK" };
    const signed = signParams(params, "MD5", { md5Key: TEST_MD5_KEY });
    const body = encodeForm({ ...signed, _input_charset: "UTF-8" }, "UTF-8");
    const response = await fetch(sandbox.gatewayUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(parseGatewayReply(Buffer.from(await response.arrayBuffer())).error).toBe("ILLEGAL_SIGN");
  });

  it("defaults to GBK when no _input_charset is sent", async () => {
    const signed = signParams({ ...query("none"), partner: sandbox.partner }, "MD5", { md5Key: TEST_MD5_KEY });
    const r = await sendGateway(sandbox, signed, { raw: true, method: "GET", charset: "GBK" });
    expect(r.response.headers.get("content-type")).toBe("text/xml; charset=GBK");
    expect(parseGatewayReply(r.body).response.error).toBe("TRADE_NOT_EXIST");
  });

  it("accepts an RSA signature whose + signs arrived as spaces", async () => {
    const id = uid();
    let sent: Record<string, string> | undefined;
    for (let i = 0; i < 20 && !sent?.sign?.includes("+"); i++) {
      sent = (await callGateway(rsa, { ...query(`${id}-${i}`) }, { signType: "RSA2" })).sent;
    }
    expect(sent!.sign).toContain("+");
    // Hand-encode the body so + is not escaped: form decoding turns it into a space.
    const body = Object.entries(sent!)
      .map(([k, v]) => `${k}=${k === "sign" ? v.replace(/\//g, "%2F").replace(/=/g, "%3D") : encodeURIComponent(v)}`)
      .join("&");
    const response = await fetch(rsa.gatewayUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const reply = parseGatewayReply(Buffer.from(await response.arrayBuffer()));
    expect(reply.isSuccess).toBe(true);
  });

  it("keeps admin routes out of /gateway.do and answers 404 elsewhere", async () => {
    const response = await fetch(`${sandbox.url}/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { code: "route_not_found", message: "path: no route GET /nothing; the gateway is /gateway.do, the admin routes are under /sandbox/" },
    });
  });
});
