import { MedusaError } from "@medusajs/framework/utils";
import { AlipayHkClient, isSafeSignedText, type AlipayError } from "@alipayhk/core";
import type { AlipayHkProviderOptions } from "./types";

function fail(option: string, problem: string): never {
  throw new MedusaError(MedusaError.Types.INVALID_DATA, `@alipayhk/medusa: options.${option} ${problem}`);
}

function positiveInteger(options: Record<string, unknown>, option: keyof AlipayHkProviderOptions): void {
  const value = options[option];
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    fail(option, `must be a positive whole number, got ${JSON.stringify(value)}`);
  }
}

/** The options only this plugin has; the Alipay ones (partner, signType, keys, gateway) are core's to check. */
function checkPluginOptions(options: Record<string, unknown>): void {
  const currency = options.currency ?? "HKD";
  if (typeof currency !== "string" || currency.toUpperCase() !== "HKD") {
    fail("currency", `is ${JSON.stringify(currency)}, but Alipay HK settles HKD only: offer this provider in an HKD region`);
  }
  const notifyUrl = options.notifyUrl;
  if (notifyUrl !== undefined && (typeof notifyUrl !== "string" || !/^https?:\/\/[^/]+/.test(notifyUrl))) {
    fail("notifyUrl", `must be an absolute http(s) URL, got ${JSON.stringify(String(notifyUrl).slice(0, 80))}`);
  }
  if (options.subject !== undefined && (typeof options.subject !== "string" || options.subject.trim() === "")) {
    fail("subject", "must be a non-empty string");
  }
  if (typeof options.subject === "string" && !isSafeSignedText(options.subject)) {
    // The signed string joins fields with `&` and `=` unescaped: such a subject would re-split it.
    fail("subject", `must not contain "&" or "=" (they would change the fields Alipay signs), got ${JSON.stringify(options.subject.slice(0, 80))}`);
  }
  if (typeof options.subject === "string" && options.subject.length > 256) {
    fail("subject", `must be at most 256 characters (Alipay's limit), got ${options.subject.length}`);
  }
  positiveInteger(options, "qrExpiresInMinutes");
  positiveInteger(options, "timeoutMs");
  positiveInteger(options, "barcodePollIntervalMs");
  positiveInteger(options, "barcodeMaxPollMs");
}

/**
 * Checks the provider options and builds core's client from them. Core reports a bad Alipay
 * setting (partner id, sign type, a missing key, a public key where the private one belongs, the
 * merchant's own public key given as Alipay's) as `<field>: ...`; it is re-thrown naming the
 * option as written in `medusa-config.ts`, e.g. `@alipayhk/medusa: options.privateKey: this is a
 * public key; ...`.
 */
export function createClient(raw: Record<string, unknown> | undefined): AlipayHkClient {
  if (!raw || typeof raw !== "object") {
    fail("partner", "is missing: the provider was registered without options");
  }
  checkPluginOptions(raw);
  const options = raw as unknown as AlipayHkProviderOptions;
  try {
    return new AlipayHkClient({
      partner: options.partner,
      signType: options.signType,
      md5Key: options.md5Key,
      privateKey: options.privateKey,
      alipayPublicKey: options.alipayPublicKey,
      gateway: options.gateway,
      timeoutMs: options.timeoutMs,
      transport: options.transport,
    });
  } catch (error) {
    if ((error as AlipayError).type === "config") {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `@alipayhk/medusa: options.${(error as Error).message}`);
    }
    throw error;
  }
}
