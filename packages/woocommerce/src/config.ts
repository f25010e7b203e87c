import { readFileSync } from "node:fs";
import { AlipayConfigError, clientOptionsFromEnv } from "@alipayhk/core";

/** What the bridge does when Alipay reports a payment for an order WooCommerce no longer takes payment for. */
export type LatePaymentPolicy = "refund" | "flag";

export type AlipaySignType = "MD5" | "RSA" | "RSA2";

export interface AlipayEnvConfig {
  /** `production`, `production-global`, `alipay-sandbox` or a gateway URL. */
  gateway: string;
  partner: string;
  signType: AlipaySignType;
  md5Key?: string;
  /** PEM or bare base64 DER text (read from the file when the variable named a file). */
  privateKey?: string;
  alipayPublicKey?: string;
}

export interface BridgeConfig {
  woo: {
    url: string;
    consumerKey: string;
    consumerSecret: string;
    webhookSecret: string;
    /** Extra CA certificate (PEM) to trust for the shop, from `WOO_CA_FILE`. */
    ca?: string;
    /** The shop's "Hold stock (minutes)"; 0 = off. The QR must expire before it. */
    holdStockMinutes: number;
  };
  alipay: AlipayEnvConfig;
  /** Address to listen on (`HOST`, default `0.0.0.0`; `127.0.0.1` behind a reverse proxy on the same machine). */
  host: string;
  port: number;
  /** Where buyers, WooCommerce and Alipay reach the bridge, without a trailing slash. */
  publicUrl: string;
  /** Bearer token for the POS barcode route only (`BRIDGE_API_TOKEN`); unset = the route is off. */
  apiToken?: string;
  /**
   * HMAC-SHA256 key shared with the WordPress plugin (`WOO_PLUGIN_SECRET`): the plugin signs its
   * refund calls and transaction links with it and never sends it. Never equal to `apiToken`.
   */
  pluginSecret: string;
  latePaymentPolicy: LatePaymentPolicy;
  qrExpiryMinutes: number;
  pollIntervalSeconds: number;
  dbPath: string;
  /** One line per deprecated setting name in use (the bin prints them). Absent when built by hand. */
  warnings?: string[];
}

/**
 * A configuration problem. `problems` holds one line per variable, each naming it and what was
 * expected; `message` joins them.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

/** Every variable the bridge reads, for `--help` and the README. */
export const CONFIG_VARIABLES: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ["WOO_URL", "shop home URL, e.g. https://shop.example.com (required)"],
  ["WOO_CONSUMER_KEY", "WooCommerce REST key ck_... with Read/Write (required)"],
  ["WOO_CONSUMER_SECRET", "WooCommerce REST secret cs_... (required)"],
  ["WOO_WEBHOOK_SECRET", "secret of the order.* webhooks the bridge registers (required)"],
  ["WOO_CA_FILE", "extra CA certificate (PEM file) to trust for the shop (optional)"],
  ["WOO_HOLD_STOCK_MINUTES", "the shop's Hold stock (minutes), 0 = off (default 60)"],
  ["HOST", "address to listen on (default 0.0.0.0; 127.0.0.1 behind a reverse proxy)"],
  ["PORT", "port to listen on (default 8080, a port WooCommerce delivers webhooks to)"],
  ["PUBLIC_URL", "public base URL of this bridge, e.g. https://pay.example.com (required; WooCommerce delivers webhooks only to ports 80, 443, 8080 and public hosts)"],
  ["WOO_PLUGIN_SECRET", "key the WordPress plugin signs refund calls with (its Bridge secret), 32+ chars (required)"],
  ["BRIDGE_API_TOKEN", "bearer token of the POS barcode route, 16+ chars, not the plugin secret (optional; unset = route off)"],
  ["LATE_PAYMENT_POLICY", "refund | flag: a payment arriving for a cancelled order (default refund)"],
  ["QR_EXPIRY_MINUTES", "QR validity, must be below WOO_HOLD_STOCK_MINUTES (default 15)"],
  ["POLL_INTERVAL_SECONDS", "reconciliation poll period, 5 or more (default 60)"],
  ["DATA_DIR", "folder of the bridge's SQLite state, alipayhk-woo.sqlite (default ./.data; the old DB_PATH, a file, still works, with a warning)"],
  ["ALIPAYHK_GATEWAY", "production | production-global | alipay-sandbox | gateway URL (required)"],
  ["ALIPAYHK_PARTNER", "Alipay partner id, 16 digits starting 2088 (required)"],
  ["ALIPAYHK_SIGN_TYPE", "MD5 | RSA | RSA2 (default MD5)"],
  ["ALIPAYHK_MD5_KEY", "MD5 key, inline or a file path (MD5)"],
  ["ALIPAYHK_PRIVATE_KEY", "merchant private key, PEM/base64 inline or a file path (RSA, RSA2)"],
  ["ALIPAYHK_ALIPAY_PUBLIC_KEY", "Alipay public key, PEM/base64 inline or a file path (RSA, RSA2)"],
];

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the bridge's configuration from environment variables. Throws a
 * {@link ConfigError} listing every problem at once, one line each, never echoing a secret.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env = process.env): BridgeConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const required = (name: string, hint: string): string => {
    const v = get(name);
    if (v === undefined) problems.push(`${name}: missing (${hint})`);
    return v ?? "";
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return dflt;
    }
    return Number(v);
  };
  const url = (name: string, hint: string): string => {
    const v = required(name, hint);
    if (!v) return "";
    try {
      const u = new URL(v);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
      if (u.search || u.hash) {
        problems.push(`${name}: expected a base URL without query or fragment, got ${JSON.stringify(v)}`);
      }
      return v.replace(/\/+$/, "");
    } catch {
      problems.push(`${name}: expected an http(s) URL such as ${hint.replace(/^.*e\.g\. /, "")}, got ${JSON.stringify(v)}`);
      return "";
    }
  };

  const wooUrl = url("WOO_URL", "e.g. https://shop.example.com");
  const consumerKey = required("WOO_CONSUMER_KEY", "a WooCommerce REST key, ck_...");
  const consumerSecret = required("WOO_CONSUMER_SECRET", "the secret of that key, cs_...");
  const webhookSecret = required("WOO_WEBHOOK_SECRET", "any long random string; the bridge registers its webhooks with it");
  let ca: string | undefined;
  const caFile = get("WOO_CA_FILE");
  if (caFile) {
    try {
      ca = readFileSync(caFile, "utf8");
      if (!ca.includes("-----BEGIN CERTIFICATE-----")) problems.push(`WOO_CA_FILE: ${JSON.stringify(caFile)} holds no PEM certificate`);
    } catch {
      problems.push(`WOO_CA_FILE: cannot read ${JSON.stringify(caFile)}`);
    }
  }
  const holdStockMinutes = int("WOO_HOLD_STOCK_MINUTES", 60, 0, 100_000);
  const host = get("HOST") ?? "0.0.0.0";
  if (!/^[0-9A-Za-z.:-]+$/.test(host) || host.length > 253) problems.push(`HOST: expected an address such as 127.0.0.1, 0.0.0.0 or ::, got ${JSON.stringify(host)}`);
  const port = int("PORT", 8080, 0, 65_535);
  const publicUrl = url("PUBLIC_URL", "e.g. https://pay.example.com");
  const pluginSecret = required("WOO_PLUGIN_SECRET", "a random string of 32+ characters, also set as the plugin's Bridge secret");
  if (pluginSecret && pluginSecret.length < 32) problems.push("WOO_PLUGIN_SECRET: expected 32 or more characters");
  const apiToken = get("BRIDGE_API_TOKEN");
  if (apiToken !== undefined && apiToken.length < 16) problems.push("BRIDGE_API_TOKEN: expected 16 or more characters");
  if (apiToken !== undefined && apiToken === pluginSecret) {
    problems.push("BRIDGE_API_TOKEN: must differ from WOO_PLUGIN_SECRET (the POS and the WordPress plugin use separate credentials)");
  }

  const policy = (get("LATE_PAYMENT_POLICY") ?? "refund").toLowerCase();
  if (policy !== "refund" && policy !== "flag") {
    problems.push(`LATE_PAYMENT_POLICY: expected refund or flag, got ${JSON.stringify(get("LATE_PAYMENT_POLICY"))}`);
  }
  const qrExpiryMinutes = int("QR_EXPIRY_MINUTES", 15, 1, 1440);
  if (holdStockMinutes > 0 && qrExpiryMinutes >= holdStockMinutes) {
    problems.push(
      `QR_EXPIRY_MINUTES: must be below WOO_HOLD_STOCK_MINUTES (${qrExpiryMinutes} >= ${holdStockMinutes}), or WooCommerce may cancel an order while its QR can still be paid`,
    );
  }
  const pollIntervalSeconds = int("POLL_INTERVAL_SECONDS", 60, 5, 86_400);
  // DATA_DIR, the name every alipayhk service uses; the old DB_PATH (a file) still works, with a warning.
  const warnings: string[] = [];
  const dataDir = get("DATA_DIR");
  const legacyDbPath = get("DB_PATH");
  if (legacyDbPath !== undefined && dataDir === undefined) {
    warnings.push("DB_PATH is deprecated: set DATA_DIR to its folder instead (the state file is DATA_DIR/alipayhk-woo.sqlite)");
  }
  const dbPath = dataDir !== undefined ? `${dataDir.replace(/\/+$/, "")}/alipayhk-woo.sqlite` : (legacyDbPath ?? "./.data/alipayhk-woo.sqlite");

  const alipay = loadAlipayEnv(env, problems);

  if (problems.length) throw new ConfigError(problems);
  return {
    woo: { url: wooUrl, consumerKey, consumerSecret, webhookSecret, ...(ca ? { ca } : {}), holdStockMinutes },
    alipay,
    host,
    port,
    publicUrl,
    ...(apiToken !== undefined ? { apiToken } : {}),
    pluginSecret,
    latePaymentPolicy: policy as LatePaymentPolicy,
    qrExpiryMinutes,
    pollIntervalSeconds,
    dbPath,
    warnings,
  };
}

/**
 * The `ALIPAYHK_*` variables, read by core's one reader (as the CLI and the webhook adapter read
 * them). Pushes problems instead of throwing; a missing gateway and partner are both named at once.
 */
export function loadAlipayEnv(env: Env, problems: string[]): AlipayEnvConfig {
  const empty: AlipayEnvConfig = { gateway: "", partner: "", signType: "MD5" };
  const missing = [
    ["ALIPAYHK_GATEWAY", "production, production-global, alipay-sandbox or the gateway URL"],
    ["ALIPAYHK_PARTNER", "the 16-digit Alipay partner id, 2088..."],
  ].filter(([name]) => !env[name!]?.trim());
  for (const [name, what] of missing) problems.push(`${name}: missing (${what})`);
  if (missing.length > 0) return empty;
  try {
    const options = clientOptionsFromEnv(env as NodeJS.ProcessEnv, { requireGateway: true });
    const out: AlipayEnvConfig = { gateway: options.gateway!, partner: options.partner, signType: options.signType };
    if (options.md5Key !== undefined) out.md5Key = options.md5Key;
    if (options.privateKey !== undefined) out.privateKey = options.privateKey;
    if (options.alipayPublicKey !== undefined) out.alipayPublicKey = options.alipayPublicKey;
    return out;
  } catch (err) {
    if (!(err instanceof AlipayConfigError)) throw err;
    problems.push(err.message);
    return empty;
  }
}
