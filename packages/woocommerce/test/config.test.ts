import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateRsaKeyPair } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { AlipayConfigError } from "@alipayhk/core";
import { SettingError } from "@alipayhk/service-kit";
import { BRIDGE_SETTINGS, bridgeHelp, CONFIG_VARIABLES, ConfigError, loadConfig } from "../src/config.js";

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

/** The one line a bad configuration is refused with (a ConfigError in core's hierarchy, with `field`). */
function refusal(env: Record<string, string | undefined>): { message: string; field: string | undefined } {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(SettingError);
    expect(err).toBeInstanceOf(AlipayConfigError);
    const error = err as ConfigError;
    expect(error.message).not.toContain("\n");
    expect(error.problems).toEqual([error.message]);
    return { message: error.message, field: error.field };
  }
  throw new Error("expected a ConfigError");
}
const problem = (env: Record<string, string | undefined>) => refusal(env).message;

describe("loadConfig", () => {
  it("passes ALIPAYHK_TIMEOUT_MS to the gateway client, and refuses one that is not whole milliseconds", () => {
    expect(loadConfig(base).alipay.timeoutMs).toBeUndefined();
    expect(loadConfig({ ...base, ALIPAYHK_TIMEOUT_MS: "8000" }).alipay.timeoutMs).toBe(8000);
    const refused = refusal({ ...base, ALIPAYHK_TIMEOUT_MS: "8s" });
    expect(refused.field).toBe("ALIPAYHK_TIMEOUT_MS");
    expect(refused.message).toMatch(/^ALIPAYHK_TIMEOUT_MS: expected a whole number of milliseconds/);
  });

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
      warnings: ["DB_PATH is deprecated; use DATA_DIR (set DATA_DIR to its folder instead; the state file is DATA_DIR/alipayhk-woo.sqlite)"],
    });
    // DATA_DIR wins over the old name, with no warning.
    expect(loadConfig({ ...base, DB_PATH: "/srv/bridge.sqlite", DATA_DIR: "/srv/woo" })).toMatchObject({
      dbPath: "/srv/woo/alipayhk-woo.sqlite",
      warnings: [],
    });
  });

  it("names a missing required variable in one line, with its meaning", () => {
    for (const name of [
      "WOO_URL",
      "WOO_CONSUMER_KEY",
      "WOO_CONSUMER_SECRET",
      "WOO_WEBHOOK_SECRET",
      "PUBLIC_URL",
      "WOO_PLUGIN_SECRET",
      "ALIPAYHK_GATEWAY",
      "ALIPAYHK_PARTNER",
    ]) {
      const { message, field } = refusal({ ...base, [name]: undefined });
      expect(field).toBe(name);
      expect(message).toMatch(new RegExp(`^${name}: expected a value \\(.+\\)$`));
    }
    expect(refusal({}).message).toBe("WOO_URL: expected a value (shop home URL, e.g. https://shop.example.com)");
    const { BRIDGE_API_TOKEN: _omit, ...noPos } = base;
    expect(loadConfig(noPos).apiToken).toBeUndefined(); // the POS route is optional
  });

  it("keeps the POS token and the plugin's secret apart, and reads HOST", () => {
    expect(refusal({ ...base, BRIDGE_API_TOKEN: base.WOO_PLUGIN_SECRET })).toEqual({
      message: "BRIDGE_API_TOKEN: must differ from WOO_PLUGIN_SECRET (the POS and the WordPress plugin use separate credentials)",
      field: "BRIDGE_API_TOKEN",
    });
    expect(problem({ ...base, WOO_PLUGIN_SECRET: "short-secret" })).toBe("WOO_PLUGIN_SECRET: expected 32 or more characters, got a value of another form");
    expect(problem({ ...base, HOST: "127.0.0.1; rm" })).toBe('HOST: expected an address such as 127.0.0.1, 0.0.0.0 or ::, got "127.0.0.1; rm"');
    const { BRIDGE_API_TOKEN: _omit, ...noPos } = base;
    const c = loadConfig({ ...noPos, HOST: "127.0.0.1", PORT: "8787" });
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8787, pluginSecret: base.WOO_PLUGIN_SECRET });
    expect(c.apiToken).toBeUndefined();
  });

  it("explains bad values, and never echoes a secret", () => {
    expect(problem({ ...base, WOO_URL: "shop.example.com" })).toBe(
      'WOO_URL: expected an http(s) base URL such as https://shop.example.com, without query or fragment, got "shop.example.com"',
    );
    expect(problem({ ...base, PUBLIC_URL: "https://pay.example.com/?x=1" })).toMatch(/^PUBLIC_URL: expected an http\(s\) base URL/);
    expect(problem({ ...base, PORT: "70000" })).toBe('PORT: expected an integer from 0 to 65535, got "70000"');
    expect(problem({ ...base, LATE_PAYMENT_POLICY: "keep" })).toBe('LATE_PAYMENT_POLICY: expected one of refund, flag, got "keep"');
    expect(loadConfig({ ...base, LATE_PAYMENT_POLICY: "FLAG" }).latePaymentPolicy).toBe("flag");
    expect(problem({ ...base, ALIPAYHK_SIGN_TYPE: "SHA1" })).toBe('ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2, got "SHA1"');
    const token = refusal({ ...base, BRIDGE_API_TOKEN: "short" });
    expect(token).toEqual({ message: "BRIDGE_API_TOKEN: expected 16 or more characters, got a value of another form", field: "BRIDGE_API_TOKEN" });
    expect(problem({ ...base, WOO_CA_FILE: "/nonexistent/ca.pem" })).toBe('WOO_CA_FILE: expected a readable PEM certificate file, got "/nonexistent/ca.pem"');
  });

  it("generates --help from the same declarations as the checks", () => {
    const help = bridgeHelp();
    expect(help).toMatch(/^Usage: alipayhk-woo \[--check \| --help\]/);
    expect(help).toContain("--check");
    for (const one of Object.values(BRIDGE_SETTINGS)) expect(help).toContain(`  ${one.env}\n`);
    expect(help).toContain("(default ./.data; formerly DB_PATH)");
    expect(help).toContain("shop home URL, e.g. https://shop.example.com (required)");
    expect(CONFIG_VARIABLES.map(([name]) => name)).toEqual(Object.values(BRIDGE_SETTINGS).map((one) => one.env));
  });

  it("requires the QR to expire before WooCommerce's hold-stock window", () => {
    expect(refusal({ ...base, QR_EXPIRY_MINUTES: "60", WOO_HOLD_STOCK_MINUTES: "60" }).field).toBe("QR_EXPIRY_MINUTES");
    expect(problem({ ...base, QR_EXPIRY_MINUTES: "60", WOO_HOLD_STOCK_MINUTES: "60" })).toMatch(
      /^QR_EXPIRY_MINUTES: must be below WOO_HOLD_STOCK_MINUTES \(60 >= 60\)/,
    );
    expect(loadConfig({ ...base, QR_EXPIRY_MINUTES: "120", WOO_HOLD_STOCK_MINUTES: "0" }).qrExpiryMinutes).toBe(120);
  });

  it("lets core judge the MD5 key and names the variable", () => {
    expect(refusal({ ...base, ALIPAYHK_MD5_KEY: "short" })).toEqual({
      message: "ALIPAYHK_MD5_KEY: expected the 32-character alphanumeric key from the merchant portal",
      field: "ALIPAYHK_MD5_KEY",
    });
  });

  it("reads RSA keys from files or inline, and refuses keys in the wrong role", () => {
    const merchant = generateRsaKeyPair();
    const alipay = generateRsaKeyPair();
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-woo-config-"));
    const privFile = join(dir, "merchant.pem");
    writeFileSync(privFile, merchant.privateKeyPem);
    const rsa = {
      ...base,
      ALIPAYHK_SIGN_TYPE: "RSA2",
      ALIPAYHK_MD5_KEY: undefined,
      ALIPAYHK_PRIVATE_KEY: privFile,
      ALIPAYHK_ALIPAY_PUBLIC_KEY: alipay.publicKeyPem,
    };
    const config = loadConfig(rsa);
    expect(config.alipay.signType).toBe("RSA2");
    expect(config.alipay.privateKey).toContain("PRIVATE KEY");
    const inlineBase64 = alipay.publicKeyPem.replace(/-----[^-]+-----|\s/g, "");
    expect(loadConfig({ ...rsa, ALIPAYHK_ALIPAY_PUBLIC_KEY: inlineBase64 }).alipay.alipayPublicKey).toBe(inlineBase64);

    expect(problem({ ...rsa, ALIPAYHK_PRIVATE_KEY: join(dir, "missing.pem") })).toBe(
      `ALIPAYHK_PRIVATE_KEY: cannot read file ${JSON.stringify(join(dir, "missing.pem"))} (ENOENT); expected a key file path or the key inline (PEM or base64)`,
    );
    const wrongRole = refusal({ ...rsa, ALIPAYHK_ALIPAY_PUBLIC_KEY: merchant.publicKeyPem });
    expect(wrongRole.field).toBe("ALIPAYHK_ALIPAY_PUBLIC_KEY");
    expect(wrongRole.message).toMatch(/^ALIPAYHK_ALIPAY_PUBLIC_KEY: /);
    expect(wrongRole.message).not.toContain("BEGIN");
  });
});
