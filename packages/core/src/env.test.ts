import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clientOptionsFromEnv, clientOptionsFromSettings, readInlineOrFile } from "./env";
import { generateRsaKeyPair, toBareBase64 } from "./signing/keys";

const PARTNER = "2088101122136241";
const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const merchant = generateRsaKeyPair();
const alipay = generateRsaKeyPair();

describe("clientOptionsFromEnv", () => {
  it("reads an MD5 configuration and defaults the sign type to MD5", () => {
    expect(clientOptionsFromEnv({ ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_MD5_KEY: MD5_KEY, ALIPAYHK_GATEWAY: "alipay-sandbox" })).toMatchObject({
      partner: PARTNER,
      signType: "MD5",
      md5Key: MD5_KEY,
      gateway: "alipay-sandbox",
    });
  });

  it("defaults to RSA2 when only a private key is given, and reads keys from files or inline base64", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-env-"));
    writeFileSync(join(dir, "merchant.pem"), merchant.privateKeyPem);
    const options = clientOptionsFromEnv({
      ALIPAYHK_PARTNER: PARTNER,
      ALIPAYHK_PRIVATE_KEY: join(dir, "merchant.pem"),
      ALIPAYHK_ALIPAY_PUBLIC_KEY: toBareBase64(alipay.publicKeyPem),
    });
    expect(options.signType).toBe("RSA2");
    expect(options.privateKey).toBe(merchant.privateKeyPem.trim());
    expect(options.alipayPublicKey).toBe(toBareBase64(alipay.publicKeyPem));
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ["no partner", { ALIPAYHK_MD5_KEY: MD5_KEY }, /^ALIPAYHK_PARTNER: required/],
    ["bad partner", { ALIPAYHK_PARTNER: "123", ALIPAYHK_MD5_KEY: MD5_KEY }, /^ALIPAYHK_PARTNER: expected 16 digits starting with 2088/],
    ["no MD5 key", { ALIPAYHK_PARTNER: PARTNER }, /^ALIPAYHK_MD5_KEY: required for sign type MD5$/],
    ["bad sign type", { ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_SIGN_TYPE: "DSA" }, /^ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2/],
    [
      "missing key file",
      { ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_SIGN_TYPE: "RSA2", ALIPAYHK_PRIVATE_KEY: "/no/such.pem", ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem },
      /^ALIPAYHK_PRIVATE_KEY: cannot read file "\/no\/such.pem"/,
    ],
    [
      "key in the wrong role",
      { ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_SIGN_TYPE: "RSA2", ALIPAYHK_PRIVATE_KEY: merchant.publicKeyPem, ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem },
      /^ALIPAYHK_PRIVATE_KEY: this is a public key/,
    ],
    [
      "merchant key as Alipay's",
      {
        ALIPAYHK_PARTNER: PARTNER,
        ALIPAYHK_SIGN_TYPE: "RSA2",
        ALIPAYHK_PRIVATE_KEY: merchant.privateKeyPem,
        ALIPAYHK_ALIPAY_PUBLIC_KEY: merchant.publicKeyPem,
      },
      /^ALIPAYHK_ALIPAY_PUBLIC_KEY: this is the merchant's own public key/,
    ],
    ["bad gateway", { ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_MD5_KEY: MD5_KEY, ALIPAYHK_GATEWAY: "ftp://x" }, /^ALIPAYHK_GATEWAY: expected an http\(s\) URL/],
    ["bad timeout", { ALIPAYHK_PARTNER: PARTNER, ALIPAYHK_MD5_KEY: MD5_KEY, ALIPAYHK_TIMEOUT_MS: "1.5" }, /^ALIPAYHK_TIMEOUT_MS: expected a whole number/],
  ])("%s: one message naming the variable, no key in it", (_name, env, pattern) => {
    let message = "";
    try {
      clientOptionsFromEnv(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(pattern);
    expect(message).not.toContain("BEGIN");
    expect(message).not.toContain(MD5_KEY);
  });

  it("names flags instead when told to, and can require the gateway", () => {
    expect(() => clientOptionsFromSettings({ partner: PARTNER, md5Key: MD5_KEY }, { labels: { gateway: "--gateway" }, requireGateway: true })).toThrowError(
      /^--gateway: required/,
    );
    expect(() => clientOptionsFromSettings({ partner: "1", md5Key: MD5_KEY }, { labels: { partner: "--partner" } })).toThrowError(
      /^--partner: expected 16 digits/,
    );
  });
});

describe("readInlineOrFile", () => {
  it("keeps an inline MD5 key and refuses a path that does not exist", () => {
    expect(readInlineOrFile(MD5_KEY, "K", "text")).toBe(MD5_KEY);
    expect(() => readInlineOrFile("./keys/md5.txt", "K", "text")).toThrowError(/^K: cannot read file "\.\/keys\/md5\.txt"/);
  });
  it("never echoes a value that is not plainly a file name (a mistyped inline key)", () => {
    const typo = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA/half-a-key";
    expect(() => readInlineOrFile(typo, "K", "key")).toThrowError(`K: neither a readable file nor an inline PEM/base64 key (${typo.length} characters given)`);
  });
});
