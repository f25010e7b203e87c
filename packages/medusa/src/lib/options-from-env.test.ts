import { generateRsaKeyPair } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { alipayHkOptionsFromEnv } from "./options-from-env";

const md5Env = { ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_MD5_KEY: "0123456789abcdefghijklmnopqrstuv" };
const merchant = generateRsaKeyPair(1024);
const alipay = generateRsaKeyPair(1024);

describe("alipayHkOptionsFromEnv", () => {
  it("reads core's ALIPAYHK_* table plus the plugin's notify URL and subject", () => {
    const warnings: string[] = [];
    const options = alipayHkOptionsFromEnv(
      {
        ...md5Env,
        ALIPAYHK_GATEWAY: "http://127.0.0.1:4010/gateway.do",
        ALIPAYHK_NOTIFY_URL: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk",
        ALIPAYHK_SUBJECT: "Tea shop",
        ALIPAYHK_TIMEOUT_MS: "9000",
      },
      { warn: (m) => warnings.push(m) },
    );
    expect(options).toEqual({
      partner: "2088101122136241",
      signType: "MD5",
      md5Key: "0123456789abcdefghijklmnopqrstuv",
      gateway: "http://127.0.0.1:4010/gateway.do",
      timeoutMs: 9000,
      notifyUrl: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk",
      subject: "Tea shop",
    });
    expect(warnings).toEqual([]);
  });

  it("reads RSA2 keys under ALIPAYHK_ALIPAY_PUBLIC_KEY", () => {
    const options = alipayHkOptionsFromEnv(
      { ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_PRIVATE_KEY: merchant.privateKeyPem, ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem },
      { warn: () => undefined },
    );
    expect(options).toMatchObject({
      signType: "RSA2",
      privateKey: expect.stringContaining("PRIVATE KEY"),
      alipayPublicKey: expect.stringContaining("PUBLIC KEY"),
    });
  });

  it("still reads the old ALIPAYHK_PUBLIC_KEY, with a deprecation notice naming the new variable", () => {
    const warnings: string[] = [];
    const options = alipayHkOptionsFromEnv(
      { ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_PRIVATE_KEY: merchant.privateKeyPem, ALIPAYHK_PUBLIC_KEY: alipay.publicKeyPem },
      { warn: (m) => warnings.push(m) },
    );
    expect(options.alipayPublicKey).toContain("PUBLIC KEY");
    expect(warnings).toEqual([expect.stringMatching(/ALIPAYHK_PUBLIC_KEY is deprecated; rename it to ALIPAYHK_ALIPAY_PUBLIC_KEY/)]);

    warnings.length = 0;
    alipayHkOptionsFromEnv(
      {
        ALIPAYHK_PARTNER: "2088101122136241",
        ALIPAYHK_PRIVATE_KEY: merchant.privateKeyPem,
        ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem,
        ALIPAYHK_PUBLIC_KEY: "stale",
      },
      { warn: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual([expect.stringMatching(/ALIPAYHK_PUBLIC_KEY is deprecated and ignored because ALIPAYHK_ALIPAY_PUBLIC_KEY is set/)]);
  });

  it("uses defaults only for variables that are not set", () => {
    const options = alipayHkOptionsFromEnv({ ALIPAYHK_GATEWAY: "" }, { defaults: { ...md5Env, ALIPAYHK_GATEWAY: "http://127.0.0.1:4010/gateway.do" } });
    expect(options).toMatchObject({ partner: "2088101122136241", signType: "MD5", gateway: "http://127.0.0.1:4010/gateway.do" });
  });

  it("names the variable that is wrong, never echoing a key", () => {
    expect(() => alipayHkOptionsFromEnv({ ALIPAYHK_MD5_KEY: md5Env.ALIPAYHK_MD5_KEY })).toThrow(/@alipayhk\/medusa: ALIPAYHK_PARTNER: required/);
    let message = "";
    try {
      alipayHkOptionsFromEnv({ ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_PRIVATE_KEY: merchant.privateKeyPem }, { warn: () => undefined });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/ALIPAYHK_ALIPAY_PUBLIC_KEY: required for sign type RSA2/);
    expect(message).not.toContain(merchant.privateKeyPem.split("\n")[1]);
  });
});
