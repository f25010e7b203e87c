import { AlipayConfigError, clientOptionsFromSettings, DEFAULT_POLICY, type AlipayHkClientOptions } from "@alipayhk/core";
import { alipaySettings, parse, readSettings, setting, SettingError, type SettingsValues } from "@alipayhk/service-kit";
import { Webhook } from "standardwebhooks";
import { isHttpUrl } from "./api/notify-url";
import type { LogLevel } from "./log";
import type { WebhookServiceConfig } from "./service";

/**
 * A configuration problem, naming the variable (`field`). The bin prints it as one line and exits
 * 2. A {@link SettingError}, so an `AlipayConfigError` like every configuration error of alipayhk.
 */
export class ConfigError extends SettingError {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`, { field: variable });
  }

  /** @deprecated Read `field` (the same name). */
  get variable(): string {
    return this.field ?? "";
  }
}

type Fail = (expected: string) => never;

/** A Standard Webhooks secret: `whsec_` and base64 of at least 24 random bytes. */
function whsec(raw: string, fail: Fail): string {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(raw)) fail("whsec_ followed by base64 (a Standard Webhooks secret)");
  try {
    new Webhook(raw);
  } catch {
    fail("whsec_ followed by base64 of at least one byte");
  }
  if (Buffer.from(raw.slice(6), "base64").length < 24) fail("a secret of at least 24 random bytes (base64 after whsec_)");
  return raw;
}

function endpointList(raw: string, fail: Fail): string[] {
  const urls = raw
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  urls.forEach((url, index) => {
    if (!isHttpUrl(url)) fail(`comma-separated http(s) URLs; entry ${index + 1} is not one`);
  });
  return urls;
}

function timeScale(raw: string, fail: Fail): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 100) fail("a number from 0 to 100");
  return value;
}

/**
 * Every setting of `alipayhk-webhook`, declared once: its variable, meaning, default and check.
 * `--help` is generated from it; {@link loadConfigFromEnv} reads it.
 */
export const WEBHOOK_SETTINGS = {
  port: setting({ env: "PORT", meaning: "HTTP port", default: 8080, parse: parse.port }),
  host: setting({ env: "HOST", meaning: "listen address", default: "0.0.0.0", parse: parse.text }),
  dataDir: setting({ env: "DATA_DIR", meaning: "folder of the embedded SQLite store", default: "data", defaultText: "./data", parse: parse.text }),
  databaseUrl: setting({
    env: "DATABASE_URL",
    meaning: "postgres://... to use PostgreSQL instead (several instances may share it)",
    secret: true,
    parse: (raw, fail) => (/^postgres(ql)?:\/\//.test(raw) ? raw : fail("a postgres:// or postgresql:// URL")),
  }),
  webhookSecret: setting({
    env: "WEBHOOK_SECRET",
    meaning: "whsec_...: the platform signs inbound requests with it (Standard Webhooks)",
    secret: true,
    parse: whsec,
  }),
  apiToken: setting({
    env: "API_TOKEN",
    meaning: "bearer token accepted instead of a signature (at least one of the two), 16+ characters",
    secret: true,
    parse: (raw, fail) => (raw.length >= 16 ? raw : fail("at least 16 characters")),
  }),
  endpoints: setting({
    env: "WEBHOOK_ENDPOINTS",
    meaning: "comma-separated URLs that receive the events",
    default: [],
    defaultText: "none",
    secret: true,
    parse: endpointList,
  }),
  endpointSecret: setting({
    env: "WEBHOOK_ENDPOINT_SECRET",
    meaning: "whsec_...: signs the outbound events (required with WEBHOOK_ENDPOINTS)",
    secret: true,
    parse: whsec,
  }),
  publicUrl: setting({
    env: "PUBLIC_URL",
    meaning: "public base URL of this service: notify URL for Alipay, QR image URLs",
    defaultText: "http://127.0.0.1:$PORT",
    parse: (raw, fail) => (isHttpUrl(raw) ? raw.replace(/\/+$/, "") : fail("an http(s) URL")),
  }),
  ...alipaySettings(),
  qrExpiryMinutes: setting({
    env: "QR_EXPIRY_MINUTES",
    meaning: "minutes a QR code stays payable",
    default: 15,
    deprecatedEnv: ["QR_EXPIRES_MINUTES"],
    parse: parse.integer(1, 21_600),
  }),
  sweepIntervalMs: setting({
    env: "SWEEP_INTERVAL_MS",
    meaning: "background sweep period in ms (0 = off)",
    default: 60_000,
    parse: parse.integer(0, 86_400_000),
  }),
  barcodeMaxPollMs: setting({
    env: "BARCODE_MAX_POLL_MS",
    meaning: "how long a barcode charge waits for the buyer before cancelling, ms",
    default: DEFAULT_POLICY.barcodeMaxPollMs,
    parse: parse.integer(0, 600_000),
  }),
  idempotencyStaleMs: setting({
    env: "IDEMPOTENCY_STALE_MS",
    meaning: "a request key left in progress this long (its instance died) is taken over, ms",
    default: 60_000,
    parse: parse.integer(100, 86_400_000),
  }),
  retryTimeScale: setting({ env: "WEBHOOK_RETRY_TIME_SCALE", meaning: "multiplies the retry ladder's waits, for tests", default: 1, parse: timeScale }),
  webhookTimeoutMs: setting({ env: "WEBHOOK_TIMEOUT_MS", meaning: "per-delivery timeout in ms", default: 10_000, parse: parse.integer(100, 120_000) }),
  allowPrivateNotifyUrls: setting({
    env: "ALLOW_PRIVATE_NOTIFY_URLS",
    meaning: "1 = accept per-order notify URLs on loopback/private hosts (0: refused with 400)",
    default: false,
    defaultText: "0",
    parse: parse.boolean,
  }),
  logLevel: setting({
    env: "LOG_LEVEL",
    meaning: "debug | info | warn | error",
    default: "info" as LogLevel,
    parse: parse.oneOf<LogLevel>(["debug", "info", "warn", "error"]),
  }),
};

/**
 * Every variable the bin reads, with its one-line description.
 * @deprecated Read {@link WEBHOOK_SETTINGS}; this list is derived from it.
 */
export const ENV_VARIABLES: ReadonlyArray<[string, string]> = Object.values(WEBHOOK_SETTINGS).map((one) => [
  one.env,
  `${one.meaning}${one.defaultText === undefined ? "" : ` (default ${one.defaultText})`}`,
]);

/** What the bin needs besides the service config. */
export interface EnvConfig {
  service: WebhookServiceConfig;
  port: number;
  host: string;
  logLevel: LogLevel;
  /** One line per deprecated setting name in use (the bin prints them). */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

/** Any configuration error as a {@link ConfigError} naming its variable. */
function asConfigError(error: unknown): unknown {
  if (error instanceof ConfigError || !(error instanceof AlipayConfigError || error instanceof SettingError)) return error;
  const variable = error.field ?? "ALIPAYHK_PARTNER";
  return new ConfigError(variable, error.message.startsWith(`${variable}: `) ? error.message.slice(variable.length + 2) : error.message);
}

/** The checks that take two settings. */
function checkTogether(values: SettingsValues<typeof WEBHOOK_SETTINGS>): void {
  if (!values.webhookSecret && !values.apiToken) throw new ConfigError("WEBHOOK_SECRET", "required (whsec_...), or set API_TOKEN for bearer authentication");
  if (values.endpoints.length > 0 && !values.endpointSecret) {
    throw new ConfigError("WEBHOOK_ENDPOINT_SECRET", "required with WEBHOOK_ENDPOINTS (whsec_...; the receivers verify events with it)");
  }
}

/** The service's configuration from checked settings. */
function serviceConfig(values: SettingsValues<typeof WEBHOOK_SETTINGS>, alipay: AlipayHkClientOptions): WebhookServiceConfig {
  return {
    alipay,
    storage: { databaseUrl: values.databaseUrl, dataDir: values.dataDir },
    auth: { webhookSecret: values.webhookSecret, apiToken: values.apiToken },
    // Without endpoints, events are still recorded and listed by the API.
    webhooks: { endpoints: values.endpoints, secret: values.endpointSecret, timeScale: values.retryTimeScale, timeoutMs: values.webhookTimeoutMs },
    publicUrl: values.publicUrl ?? `http://127.0.0.1:${values.port}`,
    qrExpiresInMinutes: values.qrExpiryMinutes,
    sweepIntervalMs: values.sweepIntervalMs,
    barcodeRecovery: { maxPollMs: values.barcodeMaxPollMs },
    idempotencyStaleMs: values.idempotencyStaleMs,
    allowPrivateNotifyUrls: values.allowPrivateNotifyUrls,
  };
}

/**
 * Reads and checks the service's configuration from environment variables ({@link WEBHOOK_SETTINGS}).
 * Throws a {@link ConfigError} naming the first wrong variable; never echoes a secret.
 */
export function loadConfigFromEnv(env: Env = process.env): EnvConfig {
  try {
    const { values, warnings } = readSettings(WEBHOOK_SETTINGS, { env });
    checkTogether(values);
    // The one check of the ALIPAYHK_* settings (core's), shared with the CLI and the other adapters.
    const alipay = clientOptionsFromSettings(values);
    return { port: values.port, host: values.host, logLevel: values.logLevel, warnings, service: serviceConfig(values, alipay) };
  } catch (error) {
    throw asConfigError(error);
  }
}
