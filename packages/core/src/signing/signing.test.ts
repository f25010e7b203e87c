import { createHash, createSign, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize } from "./canonical";
import { forgeSigner } from "./forge-signer";
import { generateRsaKeyPair, parsePrivateKey, parsePublicKey, toBareBase64 } from "./keys";
import { signParams, verifyParams, type SignedParams } from "./params";
import { nodeCryptoSigner, type Signer } from "./signer";

const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const md5 = { md5Key: MD5_KEY };

// Spec §4.4 vectors (computed for the spec with Python hashlib, UTF-8).
const V1_PARAMS = {
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
};
const V1_CANONICAL =
  '_input_charset=UTF-8&alipay_seller_id=2088101122136241&biz_product=OVERSEAS_MBARCODE_PAY&buyer_identity_code=281234567890123456&currency=HKD&extend_info={"secondary_merchant_name":"Lotte","secondary_merchant_id":"123","secondary_merchant_industry":"5812","store_id":"A101","store_name":"McDonald in 966 3rd Ave, New York"}&identity_code_type=barcode&partner=2088101122136241&partner_trans_id=TRADE_20240101120000001&quantity=1&service=alipay.acquire.overseas.spot.pay&trans_amount=12.30&trans_create_time=20240101120000&trans_name=Mika\'s coffee shop';

const V2_FIELDS = {
  alipay_buyer_login_id: "852-****0654",
  alipay_buyer_user_id: "2088042172056571",
  alipay_pay_time: "20210119130016",
  alipay_trans_id: "2021011922001456571412147507",
  alipay_trans_status: "TRADE_SUCCESS",
  currency: "HKD",
  out_trade_no: "210119130014206010598",
  partner_trans_id: "210119130014206010598",
  payment_inst: "ALIPAYHK",
  result_code: "SUCCESS",
  trans_amount: "0.10",
};

const V3_FIELDS = {
  notify_type: "trade_status_sync",
  notify_id: "ac05099524730693a8b330c5ecf72da978",
  notify_time: "2024-01-01 12:00:05",
  out_trade_no: "4363476566647440",
  trade_no: "2024010122001456571400000001",
  trade_status: "TRADE_SUCCESS",
  subject: "測試商品",
  total_fee: "0.10",
  currency: "HKD",
  trans_currency: "HKD",
  gmt_payment: "2024-01-01 12:00:04",
  buyer_id: "2088042172056571",
  payment_inst: "ALIPAYHK",
  body: "",
};

describe.each<[string, Signer]>([
  ["node:crypto", nodeCryptoSigner],
  ["node-forge", forgeSigner],
])("spec §4.4 vectors with the %s signer", (_name, signer) => {
  it("V1: spot.pay request canonical string and MD5 sign", () => {
    expect(canonicalize(V1_PARAMS)).toBe(V1_CANONICAL);
    expect(signParams(V1_PARAMS, "MD5", md5, signer).sign).toBe("e70ce81141310bd17f648732bcbac8d7");
  });
  it("V2: response children", () => {
    expect(signer.sign("MD5", canonicalize(V2_FIELDS), md5)).toBe("1e45df3ca6c5c140b52ef7b200b4a840");
  });
  it("V3: notification with non-ASCII subject and an empty body dropped", () => {
    expect(signer.sign("MD5", canonicalize(V3_FIELDS), md5)).toBe("1d7a35bcd6117c4cc3999d3761b56fc0");
  });
  it("V4: signed failure", () => {
    expect(signer.sign("MD5", "error=PURCHASE_TRADE_NOT_EXIST", md5)).toBe("0d3845c7ca1d704b65c53c6f2e053c11");
  });
});

describe("canonicalize", () => {
  it("excludes sign and sign_type, sorts by byte order, keeps values raw", () => {
    expect(canonicalize({ b: "x y", a: "test@msn.com", sign: "s", sign_type: "MD5", Z: "1", c: undefined })).toBe("Z=1&a=test@msn.com&b=x y");
  });
});

const pair = generateRsaKeyPair();
const merchantPrivate = parsePrivateKey(pair.privateKeyPem, "privateKey");
const merchantPublic = parsePublicKey(pair.publicKeyPem, "alipayPublicKey");

describe("RSA and RSA2", () => {
  it.each(["RSA", "RSA2"] as const)("%s: both signers give byte-identical signatures and verify each other", (signType) => {
    const content = canonicalize(V3_FIELDS);
    const a = nodeCryptoSigner.sign(signType, content, { privateKey: merchantPrivate });
    const b = forgeSigner.sign(signType, content, { privateKey: merchantPrivate });
    expect(a).toBe(b);
    expect(nodeCryptoSigner.verify(signType, content, b, { publicKey: merchantPublic })).toBe(true);
    expect(forgeSigner.verify(signType, content, a, { publicKey: merchantPublic })).toBe(true);
  });

  it("pins RSA to SHA1withRSA and RSA2 to SHA256withRSA", () => {
    const content = "a=1&b=2";
    const sha1 = createSign("RSA-SHA1").update(content).sign(merchantPrivate.keyObject, "base64");
    const sha256 = createSign("RSA-SHA256").update(content).sign(merchantPrivate.keyObject, "base64");
    expect(nodeCryptoSigner.sign("RSA", content, { privateKey: merchantPrivate })).toBe(sha1);
    expect(nodeCryptoSigner.sign("RSA2", content, { privateKey: merchantPrivate })).toBe(sha256);
    expect(forgeSigner.sign("RSA", content, { privateKey: merchantPrivate })).toBe(sha1);
    expect(forgeSigner.sign("RSA2", content, { privateKey: merchantPrivate })).toBe(sha256);
    expect(sha1).not.toBe(sha256);
  });

  it("accepts a sign whose + arrived as a space", () => {
    let signed: SignedParams | undefined;
    // Find a signature that contains a '+', so the test really exercises the repair.
    for (let i = 0; i < 200 && !signed?.sign.includes("+"); i++) {
      signed = signParams({ ...V3_FIELDS, notify_id: `n${i}` }, "RSA2", { privateKey: merchantPrivate });
    }
    expect(signed!.sign).toContain("+");
    const mangled = { ...signed!, sign: signed!.sign.replace(/\+/g, " ") };
    expect(verifyParams(mangled, { publicKey: merchantPublic })).toEqual({ ok: true, signType: "RSA2" });
  });
});

describe("tampering", () => {
  const signers: Array<["MD5" | "RSA" | "RSA2", Parameters<typeof signParams>[2], Parameters<typeof verifyParams>[1]]> = [
    ["MD5", md5, md5],
    ["RSA", { privateKey: merchantPrivate }, { publicKey: merchantPublic }],
    ["RSA2", { privateKey: merchantPrivate }, { publicKey: merchantPublic }],
  ];
  const fields = Object.keys(V3_FIELDS).filter((k) => V3_FIELDS[k as keyof typeof V3_FIELDS] !== "");

  it.each(signers)("%s: changing any one signed field is rejected", (signType, signKey, verifyKey) => {
    const signed = signParams(V3_FIELDS, signType, signKey);
    expect(verifyParams(signed, verifyKey).ok).toBe(true);
    for (const field of fields) {
      const tampered = { ...signed, [field]: `${signed[field]}x` };
      expect(verifyParams(tampered, verifyKey), field).toEqual({ ok: false, reason: "bad_signature" });
    }
    // An added field is signed too.
    expect(verifyParams({ ...signed, extra: "1" }, verifyKey).ok).toBe(false);
  });

  it.each(signers)("%s: changing any one character of the signature is rejected", (signType, signKey, verifyKey) => {
    const signed = signParams(V3_FIELDS, signType, signKey);
    fc.assert(
      fc.property(fc.nat({ max: signed.sign.length - 1 }), fc.constantFrom(..."0123456789abcdefABCDEF+/"), (index, char) => {
        fc.pre(signed.sign[index] !== char && !(signType === "MD5" && signed.sign[index] === char.toLowerCase()));
        // A changed char in the base64 padding region can decode to the same bytes; skip those.
        fc.pre(!(signType !== "MD5" && index >= signed.sign.length - 3));
        const sign = signed.sign.slice(0, index) + char + signed.sign.slice(index + 1);
        expect(verifyParams({ ...signed, sign }, verifyKey).ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a sign_type downgrade", () => {
    const signed = signParams(V3_FIELDS, "MD5", md5);
    expect(verifyParams(signed, { publicKey: merchantPublic })).toEqual({ ok: false, reason: "sign_type_mismatch" });
    expect(verifyParams(signed, md5, { expectedSignType: "RSA2" })).toEqual({ ok: false, reason: "sign_type_mismatch" });
  });
});

describe("keys", () => {
  it("accepts PEM and bare base64 DER, PKCS#8 and PKCS#1", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const pkcs1Pem = privateKey.export({ format: "pem", type: "pkcs1" }).toString();
    const pkcs8Der = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    const pkcs1Der = privateKey.export({ format: "der", type: "pkcs1" }).toString("base64");
    const spkiDer = publicKey.export({ format: "der", type: "spki" }).toString("base64");
    const fromPem = parsePrivateKey(pkcs1Pem);
    expect(parsePrivateKey(pkcs8Der).pem).toBe(fromPem.pem);
    expect(parsePrivateKey(pkcs1Der).pem).toBe(fromPem.pem);
    expect(parsePublicKey(spkiDer).pem).toBe(fromPem.publicPem);
    expect(parsePublicKey(toBareBase64(fromPem.publicPem)).pem).toBe(fromPem.publicPem);
  });

  it("reports a key in the wrong role without echoing it", () => {
    expect(() => parsePrivateKey(pair.publicKeyPem, "ALIPAYHK_PRIVATE_KEY")).toThrowError(
      "ALIPAYHK_PRIVATE_KEY: this is a public key; a private key belongs here (PKCS#8 or PKCS#1)",
    );
    expect(() => parsePublicKey(pair.privateKeyPem, "ALIPAYHK_ALIPAY_PUBLIC_KEY")).toThrowError(
      "ALIPAYHK_ALIPAY_PUBLIC_KEY: this is a private key; a public key belongs here (SPKI)",
    );
    try {
      parsePrivateKey(toBareBase64(pair.publicKeyPem), "k");
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(toBareBase64(pair.publicKeyPem).slice(10, 40));
    }
    expect(() => parsePrivateKey("not a key", "k")).toThrowError(/^k: expected an RSA private key/);
  });

  it("computes the MD5 exactly as hex(md5(content + key))", () => {
    const expected = createHash("md5").update(`a=1${MD5_KEY}`).digest("hex");
    expect(nodeCryptoSigner.sign("MD5", "a=1", md5)).toBe(expected);
  });
});
