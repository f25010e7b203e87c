import { AlipayConfigError } from "./errors";
import type { SecondaryMerchant } from "./types";

/**
 * Secondary-merchant and store data that acquirers and ISVs send for the merchant they act for:
 * `extend_params` (precreate) and `extend_info` (spot.pay), a JSON object (spec §2.1, §2.2).
 * Name, id and industry (a 4-digit MCC) are required together; store and terminal are optional.
 */
const LIMITS: Record<keyof SecondaryMerchant, number> = {
  secondary_merchant_name: 128,
  secondary_merchant_id: 64,
  secondary_merchant_industry: 4,
  store_id: 64,
  store_name: 128,
  terminal_id: 64,
};
const REQUIRED: Array<keyof SecondaryMerchant> = ["secondary_merchant_name", "secondary_merchant_id", "secondary_merchant_industry"];

/**
 * Checks secondary-merchant data and returns a clean copy (known fields only, trimmed). Throws
 * `AlipayConfigError` naming `field.<name>` and what was expected.
 */
export function checkSecondaryMerchant(value: unknown, field = "secondaryMerchant"): SecondaryMerchant {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new AlipayConfigError(`${field}: expected an object with secondary_merchant_name, secondary_merchant_id and secondary_merchant_industry`);
  }
  const input = value as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!(name in LIMITS)) throw new AlipayConfigError(`${field}.${name}: unknown field; expected one of ${Object.keys(LIMITS).join(", ")}`);
  }
  const out: Partial<SecondaryMerchant> = {};
  for (const [name, max] of Object.entries(LIMITS) as Array<[keyof SecondaryMerchant, number]>) {
    const raw = input[name];
    if (raw === undefined || raw === null || raw === "") {
      if (REQUIRED.includes(name)) throw new AlipayConfigError(`${field}.${name}: required`);
      continue;
    }
    if (typeof raw !== "string" && typeof raw !== "number") throw new AlipayConfigError(`${field}.${name}: expected text`);
    const text = String(raw).trim();
    if (text === "" && REQUIRED.includes(name)) throw new AlipayConfigError(`${field}.${name}: required`);
    if (Buffer.byteLength(text, "utf8") > max)
      throw new AlipayConfigError(`${field}.${name}: expected at most ${max} bytes, got ${Buffer.byteLength(text, "utf8")}`);
    if (name === "secondary_merchant_industry" && !/^[0-9]{4}$/.test(text)) {
      throw new AlipayConfigError(`${field}.${name}: expected a 4-digit MCC, got ${JSON.stringify(text.slice(0, 10))}`);
    }
    if (/[&=]/.test(text)) throw new AlipayConfigError(`${field}.${name}: must not contain "&" or "=" (they would change the fields Alipay signs)`);
    out[name] = text;
  }
  return out as SecondaryMerchant;
}

/** Environment variables for one store's secondary-merchant data (all adapters read these). */
export const SECONDARY_MERCHANT_ENV: Record<keyof SecondaryMerchant, string> = {
  secondary_merchant_name: "ALIPAYHK_SECONDARY_MERCHANT_NAME",
  secondary_merchant_id: "ALIPAYHK_SECONDARY_MERCHANT_ID",
  secondary_merchant_industry: "ALIPAYHK_SECONDARY_MERCHANT_INDUSTRY",
  store_id: "ALIPAYHK_STORE_ID",
  store_name: "ALIPAYHK_STORE_NAME",
  terminal_id: "ALIPAYHK_TERMINAL_ID",
};

/**
 * The store's secondary-merchant data from `ALIPAYHK_SECONDARY_MERCHANT_*` / `ALIPAYHK_STORE_*` /
 * `ALIPAYHK_TERMINAL_ID`, or undefined when none is set. Errors name the variable.
 */
export function secondaryMerchantFromEnv(env: Record<string, string | undefined>): SecondaryMerchant | undefined {
  const entries = (Object.entries(SECONDARY_MERCHANT_ENV) as Array<[keyof SecondaryMerchant, string]>).filter(([, variable]) => env[variable]?.trim());
  if (entries.length === 0) return undefined;
  const value = Object.fromEntries(entries.map(([name, variable]) => [name, env[variable]!.trim()]));
  try {
    return checkSecondaryMerchant(value);
  } catch (error) {
    const message = (error as Error).message;
    const match = /^secondaryMerchant\.([a-z_]+): (.*)$/.exec(message);
    if (match) throw new AlipayConfigError(`${SECONDARY_MERCHANT_ENV[match[1] as keyof SecondaryMerchant]}: ${match[2]}`);
    throw error;
  }
}

/** JSON for `extend_params` / `extend_info`. */
export function secondaryMerchantJson(value: SecondaryMerchant): string {
  return JSON.stringify(checkSecondaryMerchant(value));
}
