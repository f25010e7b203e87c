import { MedusaError } from "@medusajs/framework/utils";
import type { AlipayHkProviderOptions } from "./types";

const SIGN_TYPES = ["RSA2", "RSA", "MD5"] as const;

function fail(option: string, problem: string): never {
  throw new MedusaError(
    MedusaError.Types.INVALID_DATA,
    `@alipayhk/medusa: options.${option} ${problem}`
  );
}

function positiveNumber(options: Record<string, unknown>, option: keyof AlipayHkProviderOptions): void {
  const value = options[option];
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    fail(option, `must be a positive number, got ${JSON.stringify(value)}`);
  }
}

/**
 * Shape checks that need no key parsing: which options are present and well-formed. Called by the
 * payment module when Medusa boots, so a misconfigured shop fails at start, naming the option.
 * Key material itself is checked by core (`parsePrivateKey`/`parsePublicKey`) in the provider's
 * `validateOptions`.
 */
export function checkOptionsShape(raw: Record<string, unknown> | undefined): AlipayHkProviderOptions {
  if (!raw || typeof raw !== "object") {
    fail("partner", "is missing: the provider has no options at all");
  }
  const options = raw as Record<string, unknown>;

  const partner = options.partner;
  if (typeof partner !== "string" || partner.trim() === "") {
    fail("partner", "is missing (your Alipay partner id, 16 digits starting with 2088)");
  }
  if (!/^2088\d{12}$/.test(partner)) {
    fail("partner", `must be 16 digits starting with 2088, got "${partner.slice(0, 20)}"`);
  }

  const signType = options.signType ?? "RSA2";
  if (!SIGN_TYPES.includes(signType as (typeof SIGN_TYPES)[number])) {
    fail("signType", `must be one of ${SIGN_TYPES.join(", ")}, got ${JSON.stringify(signType)}`);
  }
  const needed: readonly string[] = signType === "MD5" ? ["md5Key"] : ["privateKey", "alipayPublicKey"];
  for (const key of needed) {
    const value = options[key];
    if (typeof value !== "string" || value.trim() === "") {
      fail(key, `is missing (signType "${String(signType)}" needs ${needed.join(" and ")})`);
    }
  }

  const currency = options.currency ?? "HKD";
  if (typeof currency !== "string" || currency.toUpperCase() !== "HKD") {
    fail(
      "currency",
      `is ${JSON.stringify(currency)}, but Alipay HK takes HKD only: serve this provider in an HKD region`
    );
  }

  for (const option of ["notifyUrl", "gateway"] as const) {
    const value = options[option];
    if (value === undefined) continue;
    if (typeof value !== "string" || value === "") fail(option, "must be a non-empty string");
  }
  if (typeof options.notifyUrl === "string" && !/^https?:\/\//.test(options.notifyUrl)) {
    fail("notifyUrl", `must be an absolute http(s) URL, got "${options.notifyUrl.slice(0, 80)}"`);
  }
  positiveNumber(options, "qrExpiresInMinutes");
  positiveNumber(options, "timeoutMs");
  positiveNumber(options, "barcodePollIntervalMs");
  positiveNumber(options, "barcodeMaxPollMs");

  return { ...(options as unknown as AlipayHkProviderOptions), signType: signType as AlipayHkProviderOptions["signType"] };
}
