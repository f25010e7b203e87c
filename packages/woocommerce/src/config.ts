import { existsSync, readFileSync, statSync } from "node:fs";
import { AlipayConfigError, AlipayHkClient } from "@alipayhk/core";

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
  port: number;
  /** Where buyers, WooCommerce and Alipay reach the bridge, without a trailing slash. */
  publicUrl: string;
  /** Bearer token for the POS barcode route and the WordPress plugin's refund call. */
  apiToken: string;
  latePaymentPolicy: LatePaymentPolicy;
  qrExpiryMinutes: number;
  pollIntervalSeconds: number;
  dbPath: string;
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
  ["PORT", "port to listen on (default 8787)"],
  ["PUBLIC_URL", "public base URL of this bridge, e.g. https://pay.example.com (required)"],
  ["BRIDGE_API_TOKEN", "bearer token for POS barcode and plugin refund calls, 16+ chars (required)"],
  ["LATE_PAYMENT_POLICY", "refund | flag: a payment arriving for a cancelled order (default refund)"],
  ["QR_EXPIRY_MINUTES", "QR validity, must be below WOO_HOLD_STOCK_MINUTES (default 15)"],
  ["POLL_INTERVAL_SECONDS", "reconciliation poll period, 5 or more (default 60)"],
  ["DB_PATH", "SQLite file for the bridge's state (default ./.data/alipayhk-woo.sqlite)"],
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
  const port = int("PORT", 8787, 0, 65_535);
  const publicUrl = url("PUBLIC_URL", "e.g. https://pay.example.com");
  const apiToken = required("BRIDGE_API_TOKEN", "a random string of 16+ characters");
  if (apiToken && apiToken.length < 16) problems.push("BRIDGE_API_TOKEN: expected 16 or more characters");

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
  const dbPath = get("DB_PATH") ?? "./.data/alipayhk-woo.sqlite";

  const alipay = loadAlipayEnv(env, problems);

  if (problems.length) throw new ConfigError(problems);
  return {
    woo: { url: wooUrl, consumerKey, consumerSecret, webhookSecret, ...(ca ? { ca } : {}), holdStockMinutes },
    alipay,
    port,
    publicUrl,
    apiToken,
    latePaymentPolicy: policy as LatePaymentPolicy,
    qrExpiryMinutes,
    pollIntervalSeconds,
    dbPath,
  };
}

const GATEWAY_PRESETS = ["production", "production-global", "alipay-sandbox"];

/** The `ALIPAYHK_*` variables, read the same way as the CLI does. Pushes problems instead of throwing. */
export function loadAlipayEnv(env: Env, problems: string[]): AlipayEnvConfig {
  const before = problems.length;
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const gateway = get("ALIPAYHK_GATEWAY") ?? "";
  if (!gateway) problems.push(`ALIPAYHK_GATEWAY: missing (${GATEWAY_PRESETS.join(", ")} or the gateway URL)`);
  else if (!GATEWAY_PRESETS.includes(gateway) && !/^https?:\/\/[^\s]+$/i.test(gateway)) {
    problems.push(`ALIPAYHK_GATEWAY: expected ${GATEWAY_PRESETS.join(", ")} or an http(s) URL, got ${JSON.stringify(gateway)}`);
  }
  const partner = get("ALIPAYHK_PARTNER") ?? "";
  if (!partner) problems.push("ALIPAYHK_PARTNER: missing (the 16-digit Alipay partner id, 2088...)");
  else if (!/^2088\d{12}$/.test(partner)) problems.push(`ALIPAYHK_PARTNER: expected 16 digits starting with 2088, got ${JSON.stringify(partner)}`);

  const rawSignType = get("ALIPAYHK_SIGN_TYPE");
  const signType = (rawSignType ?? "MD5").toUpperCase();
  const out: AlipayEnvConfig = { gateway, partner, signType: "MD5" };
  if (signType !== "MD5" && signType !== "RSA" && signType !== "RSA2") {
    problems.push(`ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2, got ${JSON.stringify(rawSignType)}`);
    return out;
  }
  out.signType = signType;
  if (signType === "MD5") {
    const key = readSecret(env, "ALIPAYHK_MD5_KEY", "text", problems, signType);
    if (key !== undefined) out.md5Key = key;
  } else {
    const priv = readSecret(env, "ALIPAYHK_PRIVATE_KEY", "key", problems, signType);
    const pub = readSecret(env, "ALIPAYHK_ALIPAY_PUBLIC_KEY", "key", problems, signType);
    if (priv !== undefined) out.privateKey = priv;
    if (pub !== undefined) out.alipayPublicKey = pub;
  }
  if (problems.length === before) {
    // Let core judge the keys (PEM/DER, PKCS#1/#8, right role) and name the variable on failure.
    try {
      new AlipayHkClient(out);
    } catch (err) {
      if (!(err instanceof AlipayConfigError)) throw err;
      problems.push(envName(err.message));
    }
  }
  return out;
}

/** Core names options in camelCase; here they are environment variables. */
function envName(message: string): string {
  return message
    .replace(/^partner:/, "ALIPAYHK_PARTNER:")
    .replace(/^md5Key:/, "ALIPAYHK_MD5_KEY:")
    .replace(/^privateKey:/, "ALIPAYHK_PRIVATE_KEY:")
    .replace(/^alipayPublicKey:/, "ALIPAYHK_ALIPAY_PUBLIC_KEY:")
    .replace(/^gateway:/, "ALIPAYHK_GATEWAY:")
    .replace(/^signType:/, "ALIPAYHK_SIGN_TYPE:");
}

/**
 * A secret given inline or as a file path. A value holding a PEM header, or long base64, is inline;
 * otherwise it must name a readable file. The value itself never appears in a message.
 */
function readSecret(env: Env, name: string, kind: "text" | "key", problems: string[], signType: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) {
    problems.push(`${name}: missing (inline value or a file path) for sign type ${signType}`);
    return undefined;
  }
  if (raw.includes("-----BEGIN ")) return raw.replace(/\\n/g, "\n");
  if (isReadableFile(raw)) {
    const text = readFileSync(raw, "utf8").trim();
    if (!text) problems.push(`${name}: file ${JSON.stringify(raw)} is empty`);
    return text;
  }
  if (kind === "key" && /^[A-Za-z0-9+/=\s]{64,}$/.test(raw)) return raw.replace(/\s+/g, "");
  if (kind === "text" && !raw.includes("/") && !raw.includes("\\")) return raw;
  problems.push(`${name}: ${kind === "key" ? "neither an inline PEM/base64 key nor" : "not"} a readable file (${raw.length} characters given)`);
  return undefined;
}

function isReadableFile(path: string): boolean {
  try {
    return path.length < 4096 && existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}
