import { readFileSync } from "node:fs";
import { AlipayConfigError, clientOptionsFromSettings } from "@alipayhk/core";
import { alipaySettings, parse, readSettings, renderHelp, setting, SettingError, type SettingsValues } from "@alipayhk/service-kit";

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
  /** Per-request gateway timeout in ms (`ALIPAYHK_TIMEOUT_MS`); core's default when unset. */
  timeoutMs?: number;
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
 * A setting is wrong or missing: one line naming the variable (`field`) and what was expected,
 * never a secret. A {@link SettingError}, so an `AlipayConfigError` like every configuration error.
 */
export class ConfigError extends SettingError {
  /** @deprecated The message as a one-item list; kept from 0.1, which listed every problem at once. */
  readonly problems: string[];
  constructor(message: string, field?: string) {
    super(message, { field });
    this.problems = [message];
  }
}

/** The state file's name inside `DATA_DIR`. */
const STATE_FILE = "alipayhk-woo.sqlite";

type Fail = (expected: string) => never;

const baseUrl =
  (example: string) =>
  (raw: string, fail: Fail): string => {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
      fail(`an http(s) base URL such as ${example}, without query or fragment`);
    }
    return raw.replace(/\/+$/, "");
  };

const atLeast =
  (chars: number) =>
  (raw: string, fail: Fail): string =>
    raw.length >= chars ? raw : fail(`${chars} or more characters`);

/** Where the state lives: `DATA_DIR` names a folder; the deprecated `DB_PATH` named the file itself. */
type StateLocation = { dir: string } | { file: string };

/**
 * Every setting of the bridge, declared once: its variable, meaning, default and check. `--help`,
 * the README table and {@link loadConfig} all come from here.
 */
export const BRIDGE_SETTINGS = {
  wooUrl: setting({ env: "WOO_URL", meaning: "shop home URL, e.g. https://shop.example.com", required: true, parse: baseUrl("https://shop.example.com") }),
  consumerKey: setting({ env: "WOO_CONSUMER_KEY", meaning: "WooCommerce REST key ck_... with Read/Write", required: true, parse: parse.text }),
  consumerSecret: setting({ env: "WOO_CONSUMER_SECRET", meaning: "the secret of that key, cs_...", required: true, secret: true, parse: parse.text }),
  webhookSecret: setting({
    env: "WOO_WEBHOOK_SECRET",
    meaning: "secret of the order.* webhooks the bridge registers (any long random string)",
    required: true,
    secret: true,
    parse: parse.text,
  }),
  ca: setting({
    env: "WOO_CA_FILE",
    meaning: "extra CA certificate (PEM file) to trust for the shop",
    parse: (raw, fail) => {
      let pem = "";
      try {
        pem = readFileSync(raw, "utf8");
      } catch {
        fail("a readable PEM certificate file");
      }
      return pem.includes("-----BEGIN CERTIFICATE-----") ? pem : fail("a file holding a PEM certificate");
    },
  }),
  holdStockMinutes: setting({
    env: "WOO_HOLD_STOCK_MINUTES",
    meaning: "the shop's Hold stock (minutes), 0 = off",
    default: 60,
    parse: parse.integer(0, 100_000),
  }),
  host: setting({
    env: "HOST",
    meaning: "address to listen on (127.0.0.1 behind a reverse proxy on the same machine)",
    default: "0.0.0.0",
    parse: (raw, fail) => (/^[0-9A-Za-z.:-]{1,253}$/.test(raw) ? raw : fail("an address such as 127.0.0.1, 0.0.0.0 or ::")),
  }),
  port: setting({ env: "PORT", meaning: "port to listen on (WooCommerce delivers webhooks to 80, 443 and 8080)", default: 8080, parse: parse.port }),
  publicUrl: setting({
    env: "PUBLIC_URL",
    meaning: "public base URL of this bridge, e.g. https://pay.example.com (WooCommerce delivers webhooks only to ports 80, 443, 8080 and public hosts)",
    required: true,
    parse: baseUrl("https://pay.example.com"),
  }),
  pluginSecret: setting({
    env: "WOO_PLUGIN_SECRET",
    meaning: "key the WordPress plugin signs its refund calls with (its Bridge secret), 32+ characters",
    required: true,
    secret: true,
    parse: atLeast(32),
  }),
  apiToken: setting({
    env: "BRIDGE_API_TOKEN",
    meaning: "bearer token of the POS barcode route, 16+ characters, not the plugin secret (optional; unset = the route is off)",
    secret: true,
    parse: atLeast(16),
  }),
  latePaymentPolicy: setting({
    env: "LATE_PAYMENT_POLICY",
    meaning: "refund | flag: what to do with a payment arriving for a cancelled order",
    default: "refund" as LatePaymentPolicy,
    parse: (raw, fail) => parse.oneOf<LatePaymentPolicy>(["refund", "flag"])(raw.toLowerCase(), fail),
  }),
  qrExpiryMinutes: setting({
    env: "QR_EXPIRY_MINUTES",
    meaning: "QR validity in minutes, below WOO_HOLD_STOCK_MINUTES",
    default: 15,
    parse: parse.integer(1, 1440),
  }),
  pollIntervalSeconds: setting({
    env: "POLL_INTERVAL_SECONDS",
    meaning: "reconciliation poll period in seconds",
    default: 60,
    parse: parse.integer(5, 86_400),
  }),
  state: setting({
    env: "DATA_DIR",
    meaning: `folder of the bridge's SQLite state, ${STATE_FILE}`,
    default: { dir: "./.data" } as StateLocation,
    defaultText: "./.data",
    deprecatedEnv: ["DB_PATH"],
    deprecatedNote: `set DATA_DIR to its folder instead; the state file is DATA_DIR/${STATE_FILE}`,
    parse: (raw, _fail, name): StateLocation => (name === "DB_PATH" ? { file: raw } : { dir: raw.replace(/\/+$/, "") }),
  }),
  ...alipaySettings({ required: true }),
};

type BridgeSettings = SettingsValues<typeof BRIDGE_SETTINGS>;

/** Every variable the bridge reads with its meaning, from {@link BRIDGE_SETTINGS} (for docs and tools). */
export const CONFIG_VARIABLES: ReadonlyArray<readonly [name: string, meaning: string]> = Object.values(BRIDGE_SETTINGS).map((one) => [
  one.env,
  `${one.meaning}${one.required ? " (required)" : one.defaultText !== undefined ? ` (default ${one.defaultText})` : ""}`,
]);

/** `alipayhk-woo --help`, generated from {@link BRIDGE_SETTINGS}. */
export function bridgeHelp(): string {
  return renderHelp(BRIDGE_SETTINGS, {
    usage: "alipayhk-woo [--check | --help]",
    summary:
      "The Alipay HK bridge for WooCommerce: the hosted QR page, the POS barcode route, refunds from the WordPress plugin, " +
      "WooCommerce webhooks and Alipay notifications, with a poll that keeps orders in step. Configured from the environment.",
    options: [
      [
        "--check",
        "validate the settings, warn when WooCommerce would refuse to deliver webhooks to PUBLIC_URL, check the Alipay settings " +
          "against the gateway without moving money (keys and their roles, sign type, a signed query, the reply's signature, the notify URL), " +
          "and exit: 0 ok, 1 a problem found, 2 a bad setting",
      ],
      ["--help", "show this help"],
    ],
    footer: "A bad setting is reported in one line naming its variable, and the command exits 2.",
  });
}

/**
 * Reads and checks the bridge's settings from environment variables. Throws a {@link ConfigError}
 * naming the first wrong or missing variable (`field`), never echoing a secret.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): BridgeConfig {
  let read: { values: BridgeSettings; warnings: string[] };
  try {
    read = readSettings(BRIDGE_SETTINGS, { env });
  } catch (error) {
    throw asConfigError(error);
  }
  const s = read.values;
  if (s.apiToken !== undefined && s.apiToken === s.pluginSecret) {
    throw new ConfigError(
      "BRIDGE_API_TOKEN: must differ from WOO_PLUGIN_SECRET (the POS and the WordPress plugin use separate credentials)",
      "BRIDGE_API_TOKEN",
    );
  }
  if (s.holdStockMinutes > 0 && s.qrExpiryMinutes >= s.holdStockMinutes) {
    throw new ConfigError(
      `QR_EXPIRY_MINUTES: must be below WOO_HOLD_STOCK_MINUTES (${s.qrExpiryMinutes} >= ${s.holdStockMinutes}), or WooCommerce may cancel an order while its QR can still be paid`,
      "QR_EXPIRY_MINUTES",
    );
  }
  return {
    woo: {
      url: s.wooUrl,
      consumerKey: s.consumerKey,
      consumerSecret: s.consumerSecret,
      webhookSecret: s.webhookSecret,
      ...(s.ca ? { ca: s.ca } : {}),
      holdStockMinutes: s.holdStockMinutes,
    },
    alipay: alipayEnvConfig(s),
    host: s.host,
    port: s.port,
    publicUrl: s.publicUrl,
    ...(s.apiToken !== undefined ? { apiToken: s.apiToken } : {}),
    pluginSecret: s.pluginSecret,
    latePaymentPolicy: s.latePaymentPolicy,
    qrExpiryMinutes: s.qrExpiryMinutes,
    pollIntervalSeconds: s.pollIntervalSeconds,
    dbPath: "file" in s.state ? s.state.file : `${s.state.dir}/${STATE_FILE}`,
    warnings: read.warnings,
  };
}

/**
 * The `ALIPAYHK_*` settings, judged by core's one reader (as the CLI and the webhook adapter judge
 * them): keys read inline or from files, their roles checked by building a client once.
 */
function alipayEnvConfig(s: BridgeSettings): AlipayEnvConfig {
  let options;
  try {
    options = clientOptionsFromSettings(s, { requireGateway: true });
  } catch (error) {
    throw asConfigError(error);
  }
  const out: AlipayEnvConfig = { gateway: options.gateway!, partner: options.partner, signType: options.signType };
  if (options.md5Key !== undefined) out.md5Key = options.md5Key;
  if (options.privateKey !== undefined) out.privateKey = options.privateKey;
  if (options.alipayPublicKey !== undefined) out.alipayPublicKey = options.alipayPublicKey;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  return out;
}

function asConfigError(error: unknown): unknown {
  if (error instanceof ConfigError || !(error instanceof AlipayConfigError)) return error;
  return new ConfigError(error.message, error.field);
}
