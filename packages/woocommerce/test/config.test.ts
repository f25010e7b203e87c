import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateRsaKeyPair } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const base = {
  WOO_URL: "https://shop.example.com/",
  WOO_CONSUMER_KEY: "ck_0123456789abcdef",
  WOO_CONSUMER_SECRET: "cs_0123456789abcdef",
  WOO_WEBHOOK_SECRET: "whsec-0123456789",
  PUBLIC_URL: "https://pay.example.com",
  BRIDGE_API_TOKEN: "tok-0123456789abcdef",
  WOO_PLUGIN_SECRET: "plugin-secret-0123456789abcdef-0123",
  ALIPAYHK_GATEWAY: "alipay-sandbox",
  ALIPAYHK_PARTNER: "2088101122136241",
  ALIPAYHK_SIGN_TYPE: "MD5",
  ALIPAYHK_MD5_KEY: "0123456789abcdef0123456789abcdef",
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("reads a complete MD5 configuration with defaults", () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      woo: { url: "https://shop.example.com", holdStockMinutes: 60 },
      host: "0.0.0.0",
      port: 8080,
      publicUrl: "https://pay.example.com",
      latePaymentPolicy: "refund",
      qrExpiryMinutes: 15,
      pollIntervalSeconds: 60,
      alipay: { gateway: "alipay-sandbox", partner: "2088101122136241", signType: "MD5", md5Key: base.ALIPAYHK_MD5_KEY },
    });
  });

  it("keeps its state in DATA_DIR like every alipayhk service; the old DB_PATH still works, with a warning", () => {
    expect(loadConfig(base)).toMatchObject({ dbPath: "./.data/alipayhk-woo.sqlite", warnings: [] });
    expect(loadConfig({ ...base, DATA_DIR: "/var/lib/alipayhk-woo/" })).toMatchObject({ dbPath: "/var/lib/alipayhk-woo/alipayhk-woo.sqlite", warnings: [] });
    expect(loadConfig({ ...base, DB_PATH: "/srv/bridge.sqlite" })).toMatchObject({
      dbPath: "/srv/bridge.sqlite",
      warnings: ["DB_PATH is deprecated: set DATA_DIR to its folder instead (the state file is DATA_DIR/alipayhk-woo.sqlite)"],
    });
  });

  it("lists every missing variable, one line each, naming it", () => {
    const list = problems({});
    for (const name of ["WOO_URL", "WOO_CONSUMER_KEY", "WOO_CONSUMER_SECRET", "WOO_WEBHOOK_SECRET", "PUBLIC_URL", "WOO_PLUGIN_SECRET", "ALIPAYHK_GATEWAY", "ALIPAYHK_PARTNER"]) {
      expect(list.some((p) => p.startsWith(`${name}: missing`))).toBe(true);
    }
    expect(list.some((p) => p.startsWith("BRIDGE_API_TOKEN"))).toBe(false); // the POS route is optional
    for (const p of list) expect(p).not.toContain("\n");
  });

  it("keeps the POS token and the plugin's secret apart, and reads HOST", () => {
    expect(problems({ ...base, BRIDGE_API_TOKEN: base.WOO_PLUGIN_SECRET })).toEqual([
      "BRIDGE_API_TOKEN: must differ from WOO_PLUGIN_SECRET (the POS and the WordPress plugin use separate credentials)",
    ]);
    expect(problems({ ...base, WOO_PLUGIN_SECRET: "short-secret" })).toEqual(["WOO_PLUGIN_SECRET: expected 32 or more characters"]);
    expect(problems({ ...base, HOST: "127.0.0.1; rm" })).toEqual(['HOST: expected an address such as 127.0.0.1, 0.0.0.0 or ::, got "127.0.0.1; rm"']);
    const { BRIDGE_API_TOKEN: _omit, ...noPos } = base;
    const c = loadConfig({ ...noPos, HOST: "127.0.0.1", PORT: "8787" });
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8787, pluginSecret: base.WOO_PLUGIN_SECRET });
    expect(c.apiToken).toBeUndefined();
  });

  it("explains bad values, and never echoes a secret", () => {
    const list = problems({
      ...base,
      WOO_URL: "shop.example.com",
      PORT: "70000",
      LATE_PAYMENT_POLICY: "keep",
      ALIPAYHK_SIGN_TYPE: "SHA1",
      BRIDGE_API_TOKEN: "short",
    });
    expect(list).toContain('WOO_URL: expected an http(s) URL such as https://shop.example.com, got "shop.example.com"');
    expect(list).toContain('PORT: expected a whole number from 0 to 65535, got "70000"');
    expect(list).toContain('LATE_PAYMENT_POLICY: expected refund or flag, got "keep"');
    expect(list).toContain('ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2, got "SHA1"');
    expect(list).toContain("BRIDGE_API_TOKEN: expected 16 or more characters");
    expect(list.join(" ")).not.toContain("short");
  });

  it("requires the QR to expire before WooCommerce's hold-stock window", () => {
    expect(problems({ ...base, QR_EXPIRY_MINUTES: "60", WOO_HOLD_STOCK_MINUTES: "60" })[0]).toMatch(/^QR_EXPIRY_MINUTES: must be below WOO_HOLD_STOCK_MINUTES \(60 >= 60\)/);
    expect(loadConfig({ ...base, QR_EXPIRY_MINUTES: "120", WOO_HOLD_STOCK_MINUTES: "0" }).qrExpiryMinutes).toBe(120);
  });

  it("lets core judge the MD5 key and names the variable", () => {
    expect(problems({ ...base, ALIPAYHK_MD5_KEY: "short" })).toEqual(["ALIPAYHK_MD5_KEY: expected the 32-character alphanumeric key from the merchant portal"]);
  });

  it("reads RSA keys from files or inline, and refuses keys in the wrong role", () => {
    const merchant = generateRsaKeyPair();
    const alipay = generateRsaKeyPair();
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-woo-config-"));
    const privFile = join(dir, "merchant.pem");
    writeFileSync(privFile, merchant.privateKeyPem);
    const rsa = { ...base, ALIPAYHK_SIGN_TYPE: "RSA2", ALIPAYHK_MD5_KEY: undefined, ALIPAYHK_PRIVATE_KEY: privFile, ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem };
    const config = loadConfig(rsa);
    expect(config.alipay.signType).toBe("RSA2");
    expect(config.alipay.privateKey).toContain("PRIVATE KEY");
    const inlineBase64 = alipay.publicKeyPem.replace(/-----[^-]+-----|\s/g, "");
    expect(loadConfig({ ...rsa, ALIPAYHK_ALIPAY_PUBLIC_KEY: inlineBase64 }).alipay.alipayPublicKey).toBe(inlineBase64);

    expect(problems({ ...rsa, ALIPAYHK_PRIVATE_KEY: join(dir, "missing.pem") })).toEqual([
      `ALIPAYHK_PRIVATE_KEY: cannot read file ${JSON.stringify(join(dir, "missing.pem"))} (ENOENT); expected a key file path or the key inline (PEM or base64)`,
    ]);
    const wrongRole = problems({ ...rsa, ALIPAYHK_ALIPAY_PUBLIC_KEY: merchant.publicKeyPem });
    expect(wrongRole).toHaveLength(1);
    expect(wrongRole[0]).toMatch(/^ALIPAYHK_ALIPAY_PUBLIC_KEY: /);
    expect(wrongRole[0]).not.toContain("BEGIN");
  });
});
