import { generateRsaKeyPair } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { AlipayHkQrService } from "./services/alipayhk-qr";

const md5 = { partner: "2088101122136241", signType: "MD5", md5Key: "0123456789abcdefghijklmnopqrstuv" };
const merchant = generateRsaKeyPair(1024);
const alipay = generateRsaKeyPair(1024);
const rsa = { partner: "2088101122136241", signType: "RSA2", privateKey: merchant.privateKeyPem, alipayPublicKey: alipay.publicKeyPem };

function validate(options: Record<string, unknown>): void {
  AlipayHkQrService.validateOptions(options);
}

describe("validateOptions", () => {
  it("accepts an MD5 and an RSA2 configuration", () => {
    expect(() => validate(md5)).not.toThrow();
    expect(() => validate(rsa)).not.toThrow();
    expect(() => validate({ ...md5, currency: "hkd", notifyUrl: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk" })).not.toThrow();
  });

  it("names a missing option", () => {
    expect(() => validate({ ...md5, partner: undefined })).toThrow(/options\.partner: expected 16 digits/);
    expect(() => validate({ ...md5, md5Key: undefined })).toThrow(/options\.md5Key: required for sign type MD5/);
    expect(() => validate({ ...rsa, privateKey: undefined })).toThrow(/options\.privateKey: required for sign type RSA2/);
    expect(() => validate({ ...rsa, alipayPublicKey: undefined })).toThrow(/options\.alipayPublicKey: required/);
    expect(() => validate({ ...md5, signType: undefined })).toThrow(/options\.signType: expected MD5, RSA or RSA2/);
    expect(() => validate(undefined as never)).toThrow(/options\.partner is missing/);
  });

  it("names a key given in the wrong role, without echoing it", () => {
    let message = "";
    try {
      validate({ ...rsa, privateKey: merchant.publicKeyPem });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/options\.privateKey: this is a public key/);
    expect(message).not.toContain(merchant.publicKeyPem.split("\n")[1]);
    expect(() => validate({ ...rsa, alipayPublicKey: alipay.privateKeyPem })).toThrow(/options\.alipayPublicKey: this is a private key/);
    expect(() => validate({ ...rsa, alipayPublicKey: merchant.publicKeyPem })).toThrow(/options\.alipayPublicKey: this is the merchant's own public key/);
  });

  it("refuses a store in another currency than HKD", () => {
    expect(() => validate({ ...md5, currency: "USD" })).toThrow(/options\.currency is "USD", but Alipay HK settles HKD only/);
  });

  it("checks the plugin's own options", () => {
    expect(() => validate({ ...md5, notifyUrl: "/hooks/alipayhk" })).toThrow(/options\.notifyUrl must be an absolute http\(s\) URL/);
    expect(() => validate({ ...md5, qrExpiresInMinutes: 0 })).toThrow(/options\.qrExpiresInMinutes must be a positive whole number/);
    expect(() => validate({ ...md5, gateway: "ftp://x" })).toThrow(/options\.gateway: expected an http\(s\) URL/);
  });

  it("refuses a subject that would re-split the signed fields, naming the option", () => {
    expect(() => validate({ ...md5, subject: "Tea & Cakes" })).toThrow(/options\.subject must not contain "&" or "="/);
    expect(() => validate({ ...md5, subject: "total_fee=0.01" })).toThrow(/options\.subject must not contain "&" or "="/);
    expect(() => validate({ ...md5, subject: "x".repeat(257) })).toThrow(/options\.subject must be at most 256 characters/);
    expect(() => validate({ ...md5, subject: "Tea and Cakes 茶餅" })).not.toThrow();
  });
});
