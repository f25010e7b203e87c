import { AlipayConfigError, clientOptionsFromEnv, DEFAULT_POLICY, type AlipayHkClientOptions } from "@alipayhk/core";
import { Webhook } from "standardwebhooks";
import { isHttpUrl } from "./api/notify-url";
import type { LogLevel } from "./log";
import type { WebhookServiceConfig } from "./service";

/** A configuration problem, naming the environment variable. The bin prints it as one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** Every variable the bin reads, with its one-line description (for `--help`). */
export const ENV_VARIABLES: ReadonlyArray<[string, string]> = [
  ["PORT", "HTTP port (default 8080)"],
  ["HOST", "listen address (default 0.0.0.0)"],
  ["DATA_DIR", "folder of the embedded SQLite store (default ./data)"],
  ["DATABASE_URL", "postgres://... to use PostgreSQL instead (several instances may share it)"],
  ["WEBHOOK_SECRET", "whsec_...: the platform signs inbound requests with it (Standard Webhooks)"],
  ["API_TOKEN", "bearer token accepted instead of a signature (at least one of the two)"],
  ["WEBHOOK_ENDPOINTS", "comma-separated URLs that receive the events"],
  ["WEBHOOK_ENDPOINT_SECRET", "whsec_...: signs the outbound events (required with WEBHOOK_ENDPOINTS)"],
  ["PUBLIC_URL", "public base URL of this service: notify URL for Alipay, QR image URLs (default http://127.0.0.1:$PORT)"],
  ["ALIPAYHK_GATEWAY", "production | production-global | alipay-sandbox | a gateway URL (default production)"],
  ["ALIPAYHK_PARTNER", "16-digit partner id starting with 2088"],
  ["ALIPAYHK_SIGN_TYPE", "MD5 | RSA | RSA2 (default: RSA2 when only a private key is given, else MD5)"],
  ["ALIPAYHK_MD5_KEY", "MD5 key, inline or a file path"],
  ["ALIPAYHK_PRIVATE_KEY", "merchant RSA private key (PEM or base64), inline or a file path"],
  ["ALIPAYHK_ALIPAY_PUBLIC_KEY", "Alipay's RSA public key (PEM or base64), inline or a file path"],
  ["QR_EXPIRY_MINUTES", "minutes a QR code stays payable (default 15; the old name QR_EXPIRES_MINUTES still works, with a warning)"],
  ["SWEEP_INTERVAL_MS", "background sweep period in ms (default 60000; 0 = off)"],
  ["ALIPAYHK_TIMEOUT_MS", `per-request gateway timeout in ms (default ${DEFAULT_POLICY.timeoutMs})`],
  ["BARCODE_MAX_POLL_MS", `how long a barcode charge waits for the buyer before cancelling, ms (default ${DEFAULT_POLICY.barcodeMaxPollMs})`],
  ["IDEMPOTENCY_STALE_MS", "a request key left in progress this long (its instance died) is taken over, ms (default 60000)"],
  ["WEBHOOK_RETRY_TIME_SCALE", "multiplies the retry ladder's waits, for tests (default 1)"],
  ["WEBHOOK_TIMEOUT_MS", "per-delivery timeout in ms (default 10000)"],
  ["ALLOW_PRIVATE_NOTIFY_URLS", "1 = accept per-order notify URLs on loopback/private hosts (default 0: refused with 400)"],
  ["LOG_LEVEL", "debug | info | warn | error (default info)"],
];

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

/** Inline text, or the contents of the file it names. */
function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new ConfigError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

function flag(env: Env, name: string): boolean {
  const value = env[name]?.trim();
  if (!value || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new ConfigError(name, `expected 1 or 0, got ${JSON.stringify(value.slice(0, 20))}`);
}

function secret(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(value)) throw new ConfigError(name, "expected whsec_ followed by base64 (a Standard Webhooks secret), got a value of another form");
  try {
    new Webhook(value);
  } catch {
    throw new ConfigError(name, "expected whsec_ followed by base64 of at least one byte");
  }
  if (Buffer.from(value.slice(6), "base64").length < 24) throw new ConfigError(name, "expected a secret of at least 24 random bytes (base64 after whsec_)");
  return value;
}

/**
 * Reads and checks the service's configuration from environment variables. Throws
 * {@link ConfigError} naming the first wrong variable; never echoes a secret.
 */
export function loadConfigFromEnv(env: Env = process.env): EnvConfig {
  const port = integer(env, "PORT", 8080, 0, 65535);
  const host = env.HOST?.trim() || "0.0.0.0";
  const logLevel = (env.LOG_LEVEL?.trim() || "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new ConfigError("LOG_LEVEL", `expected debug, info, warn or error, got ${JSON.stringify(logLevel)}`);

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError("DATABASE_URL", "expected a postgres:// or postgresql:// URL");

  const webhookSecret = secret(env, "WEBHOOK_SECRET");
  const apiToken = env.API_TOKEN?.trim() || undefined;
  if (apiToken !== undefined && apiToken.length < 16) throw new ConfigError("API_TOKEN", "expected at least 16 characters");
  if (!webhookSecret && !apiToken) throw new ConfigError("WEBHOOK_SECRET", "required (whsec_...), or set API_TOKEN for bearer authentication");

  const endpoints = (env.WEBHOOK_ENDPOINTS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  endpoints.forEach((url, index) => {
    if (!isHttpUrl(url)) throw new ConfigError("WEBHOOK_ENDPOINTS", `expected comma-separated http(s) URLs; entry ${index + 1} is not one`);
  });
  const endpointSecret = secret(env, "WEBHOOK_ENDPOINT_SECRET");
  if (endpoints.length > 0 && !endpointSecret) throw new ConfigError("WEBHOOK_ENDPOINT_SECRET", "required with WEBHOOK_ENDPOINTS (whsec_...; the receivers verify events with it)");

  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/$/, "") || `http://127.0.0.1:${port}`;
  if (!isHttpUrl(publicUrl)) throw new ConfigError("PUBLIC_URL", `expected an http(s) URL, got ${JSON.stringify(publicUrl.slice(0, 60))}`);

  // The one reading of the ALIPAYHK_* variables (core's), shared with the CLI and the other adapters.
  let alipay: AlipayHkClientOptions;
  try {
    alipay = clientOptionsFromEnv(env);
  } catch (error) {
    if (error instanceof AlipayConfigError) {
      const variable = error.field ?? "ALIPAYHK_PARTNER";
      throw new ConfigError(variable, error.message.startsWith(`${variable}: `) ? error.message.slice(variable.length + 2) : error.message);
    }
    throw error;
  }

  const timeScaleText = env.WEBHOOK_RETRY_TIME_SCALE?.trim();
  const timeScale = timeScaleText ? Number(timeScaleText) : 1;
  if (!Number.isFinite(timeScale) || timeScale < 0 || timeScale > 100) throw new ConfigError("WEBHOOK_RETRY_TIME_SCALE", `expected a number from 0 to 100, got ${JSON.stringify(timeScaleText)}`);

  // Names shared with the other packages; an old name still works, with a warning.
  const warnings: string[] = [];
  let qrEnv: Env = env;
  if (env.QR_EXPIRY_MINUTES === undefined && env.QR_EXPIRES_MINUTES !== undefined) {
    warnings.push("QR_EXPIRES_MINUTES is deprecated: rename it to QR_EXPIRY_MINUTES (the name every alipayhk package uses)");
    qrEnv = { ...env, QR_EXPIRY_MINUTES: env.QR_EXPIRES_MINUTES };
  }

  return {
    port,
    host,
    logLevel,
    warnings,
    service: {
      alipay,
      storage: { databaseUrl, dataDir: env.DATA_DIR?.trim() || "data" },
      auth: { webhookSecret, apiToken },
      // Without endpoints, events are still recorded and listed by the API.
      webhooks: {
        endpoints,
        secret: endpointSecret,
        timeScale,
        timeoutMs: integer(env, "WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
      },
      publicUrl,
      qrExpiresInMinutes: integer(qrEnv, "QR_EXPIRY_MINUTES", 15, 1, 21_600),
      sweepIntervalMs: integer(env, "SWEEP_INTERVAL_MS", 60_000, 0, 86_400_000),
      barcodeRecovery: { maxPollMs: integer(env, "BARCODE_MAX_POLL_MS", DEFAULT_POLICY.barcodeMaxPollMs, 0, 600_000) },
      idempotencyStaleMs: integer(env, "IDEMPOTENCY_STALE_MS", 60_000, 100, 86_400_000),
      allowPrivateNotifyUrls: flag(env, "ALLOW_PRIVATE_NOTIFY_URLS"),
    },
  };
}
