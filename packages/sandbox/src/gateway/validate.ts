/**
 * Parameter rules per service (types, lengths, formats), checked after the signature. A broken
 * rule is a transport error, `is_success=F` + `ILLEGAL_ARGUMENT`, like the gateway's; the sandbox
 * also says which rule in the `X-Sandbox-Detail` header, which the real gateway does not.
 */
import { AmountError, byteLength, checkSecondaryMerchant, parseAmountLenient, parseGmt8, parseHkdAmount } from "@alipayhk/core";
import { IT_B_PAY } from "../options";

type Kind =
  | "id"
  | "text"
  | "plain"
  | "amount"
  | "price"
  | "currency"
  | "json"
  | "merchant"
  | "url"
  | "timestamp"
  | "epochMs"
  | "compactTime"
  | "int"
  | "duration"
  | "partnerId"
  | "any";

export interface Rule {
  name: string;
  kind: Kind;
  required?: boolean;
  max?: number;
  /** A documented limit in bytes of the request charset (the HK docs' String(n) for free text). */
  maxBytes?: number;
  values?: readonly string[];
}

const r = (name: string, kind: Kind, max?: number, required = false, values?: readonly string[]): Rule => ({ name, kind, max, required, values });
const req = (name: string, kind: Kind, max?: number, values?: readonly string[]): Rule => r(name, kind, max, true, values);

/** The rules of each service (spec §2); names not listed are accepted and echoed. */
export const RULES: Record<string, readonly Rule[]> = {
  "alipay.acquire.precreate": [
    req("out_trade_no", "id", 64),
    req("subject", "plain", 256),
    req("product_code", "text", 32),
    req("total_fee", "amount"),
    req("currency", "currency", 8),
    r("trans_currency", "currency", 8),
    r("timestamp", "timestamp"),
    r("terminal_timestamp", "epochMs"),
    r("notify_url", "url", 200),
    r("seller_id", "partnerId", 16),
    r("seller_email", "text", 100),
    r("body", "plain", 400),
    r("show_url", "text", 400),
    r("price", "price"),
    r("quantity", "int"),
    r("goods_detail", "json", 10_000),
    r("extend_params", "merchant", 2_000),
    r("it_b_pay", "duration"),
    r("qr_code_it_b_pay", "duration"),
    r("passback_parameters", "text", 256),
    r("trade_information", "json", 2_000),
  ],
  "alipay.acquire.overseas.spot.pay": [
    req("alipay_seller_id", "partnerId", 16),
    r("quantity", "int"),
    req("trans_name", "plain", 256),
    req("partner_trans_id", "id", 64),
    req("currency", "currency", 8),
    req("trans_amount", "amount"),
    req("buyer_identity_code", "id", 32),
    // The HK spot.pay page documents `barcode` as the only value.
    req("identity_code_type", "any", 16, ["barcode"]),
    r("trans_create_time", "compactTime"),
    r("memo", "plain", 256),
    r("biz_product", "text", 32),
    r("extend_info", "merchant", 2_000),
    r("trade_information", "json", 2_000),
    r("notify_url", "url", 200),
  ],
  "alipay.acquire.overseas.query": [r("partner_trans_id", "id", 64), r("alipay_trans_id", "id", 64)],
  "alipay.acquire.overseas.spot.refund": [
    req("partner_trans_id", "id", 64),
    r("alipay_trans_id", "id", 64),
    req("partner_refund_id", "id", 64),
    req("refund_amount", "amount"),
    req("currency", "currency", 8),
    // refund_reson is String(128) on the HK refund page: 128 bytes in the request's charset.
    { ...r("refund_reson", "plain"), maxBytes: 128 },
    { ...r("refund_reason", "plain"), maxBytes: 128 },
    r("is_sync", "any", 1, false, ["Y", "N"]),
    r("notify_url", "url", 200),
  ],
  "alipay.acquire.cancel": [r("out_trade_no", "id", 64), r("trade_no", "id", 64), r("timestamp", "timestamp"), r("terminal_timestamp", "epochMs")],
  notify_verify: [req("notify_id", "id", 128)],
};

/** At least one of these must be present. */
const ONE_OF: Record<string, readonly string[]> = {
  "alipay.acquire.overseas.query": ["partner_trans_id", "alipay_trans_id"],
  "alipay.acquire.cancel": ["out_trade_no", "trade_no"],
};

function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function checkValue(rule: Rule, value: string, partner: string, charset: string): string | undefined {
  const { name } = rule;
  if (rule.max !== undefined && [...value].length > rule.max) return `${name}: at most ${rule.max} characters, got ${[...value].length}`;
  if (rule.maxBytes !== undefined) {
    const bytes = byteLength(value, charset);
    if (bytes > rule.maxBytes) return `${name}: at most ${rule.maxBytes} bytes in ${charset}, got ${bytes}`;
  }
  if (rule.values && !rule.values.includes(value)) return `${name}: expected one of ${rule.values.join(", ")}, got ${quote(value)}`;
  if (/[\u0000-\u001f\u007f]/.test(value) && rule.kind !== "json" && rule.kind !== "merchant") return `${name}: control characters are not allowed`;
  switch (rule.kind) {
    case "id":
      return /^[\x21-\x7e]+$/.test(value) ? undefined : `${name}: expected printable ASCII without spaces, got ${quote(value)}`;
    case "plain":
      // The gateway docs forbid the half-width double quote inside plain parameter values.
      return value.includes('"') ? `${name}: must not contain a half-width double quote (")` : undefined;
    case "amount":
      try {
        parseHkdAmount(value, name);
        return undefined;
      } catch (error) {
        return error instanceof AmountError ? error.message : `${name}: not an amount`;
      }
    case "price":
      try {
        return parseAmountLenient(value, name) > 0 ? undefined : `${name}: expected a positive amount`;
      } catch (error) {
        return (error as Error).message;
      }
    case "currency":
      return /^[A-Z]{3}$/.test(value) ? undefined : `${name}: expected a 3-letter currency code like "HKD", got ${quote(value)}`;
    case "merchant": {
      // Secondary-merchant data: a JSON object, checked by the same rule the client applies (core's).
      const notJson = checkValue({ ...rule, kind: "json" }, value, partner, charset);
      if (notJson) return notJson;
      try {
        checkSecondaryMerchant(JSON.parse(value), name);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    }
    case "json": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return `${name}: expected a JSON object, got ${quote(value)}`;
      }
      return parsed !== null && typeof parsed === "object" ? undefined : `${name}: expected a JSON object or array, got ${quote(value)}`;
    }
    case "url": {
      try {
        const url = new URL(value);
        return url.protocol === "http:" || url.protocol === "https:" ? undefined : `${name}: expected an http(s) URL, got ${quote(value)}`;
      } catch {
        return `${name}: expected an http(s) URL, got ${quote(value)}`;
      }
    }
    case "timestamp":
      // HK pages: epoch milliseconds; the global page and the SDK sample: yyyy-MM-dd HH:mm:ss GMT+8.
      if (/^[0-9]{13}$/.test(value)) return undefined;
      return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) && parseGmt8(value)
        ? undefined
        : `${name}: expected epoch milliseconds or "yyyy-MM-dd HH:mm:ss", got ${quote(value)}`;
    case "epochMs":
      return /^[0-9]{10,13}$/.test(value) ? undefined : `${name}: expected epoch milliseconds, got ${quote(value)}`;
    case "compactTime":
      return /^[0-9]{14}$/.test(value) && parseGmt8(value) ? undefined : `${name}: expected yyyyMMddHHmmss, got ${quote(value)}`;
    case "int":
      return /^[1-9][0-9]{0,8}$/.test(value) ? undefined : `${name}: expected a positive whole number, got ${quote(value)}`;
    case "duration": {
      const m = IT_B_PAY.exec(value);
      if (!m) return `${name}: expected a whole number of m, h or d (like "15m", "2h", "1d") or "1c", got ${quote(value)}`;
      const minutes = m[1] ? Number(m[1]) * ({ m: 1, h: 60, d: 1440 } as const)[m[2] as "m" | "h" | "d"] : 0;
      return minutes > 15 * 1440 ? `${name}: at most 15 days, got ${quote(value)}` : undefined;
    }
    case "partnerId":
      return value === partner ? undefined : `${name}: expected the partner id ${partner}, got ${quote(value)}`;
    case "text":
    case "any":
      return undefined;
  }
}

/** The first broken rule of `service` in `params`, as a readable sentence, or undefined. */
export function checkParams(service: string, params: Record<string, string>, partner: string, charset = "UTF-8"): string | undefined {
  for (const rule of RULES[service] ?? []) {
    const value = params[rule.name];
    if (value === undefined || value === "") {
      if (rule.required) return `${rule.name}: required`;
      continue;
    }
    const problem = checkValue(rule, value, partner, charset);
    if (problem) return problem;
  }
  const oneOf = ONE_OF[service];
  if (oneOf && !oneOf.some((name) => params[name])) return `${oneOf.join(" or ")}: one of them is required`;
  return undefined;
}

/** Minutes of an `it_b_pay` value, or "1c" (end of the current GMT+8 day). */
export function itBPayMinutes(value: string): number | "1c" {
  const m = IT_B_PAY.exec(value);
  if (!m?.[1]) return "1c";
  return Number(m[1]) * ({ m: 1, h: 60, d: 1440 } as const)[m[2] as "m" | "h" | "d"];
}
