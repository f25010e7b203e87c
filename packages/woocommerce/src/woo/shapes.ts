import { WooError } from "./errors.js";
import { WC_ORDER_STATUSES, type WcNote, type WcOrder, type WcRefund, type WcWebhook } from "./types.js";

/**
 * Runtime checks of what WooCommerce sends back. The bridge moves money on these fields, so a
 * response that lacks one (a caching plugin's HTML, an older API version, a filter gone wrong) is
 * refused with the offending input quoted, instead of being read as `undefined`.
 */

type Check = [field: string, ok: (v: unknown) => boolean, expected: string];

const isInt = (v: unknown) => Number.isInteger(v);
const isStr = (v: unknown) => typeof v === "string";
const isBool = (v: unknown) => typeof v === "boolean";
const isArr = (v: unknown) => Array.isArray(v);
const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const isStrOrNull = (v: unknown) => v === null || typeof v === "string";
const isMoney = (v: unknown) => typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v);

function check<T>(kind: string, request: string, value: unknown, checks: Check[]): T {
  if (!isObj(value)) throw shapeError(kind, request, value, "an object");
  const obj = value as Record<string, unknown>;
  for (const [field, ok, expected] of checks) {
    if (!ok(obj[field])) throw shapeError(kind, request, obj[field], expected, field);
  }
  return value as T;
}

function shapeError(kind: string, request: string, got: unknown, expected: string, field?: string): WooError {
  let shown: string;
  try {
    shown = JSON.stringify(got) ?? String(got);
  } catch {
    shown = String(got);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new WooError({
    status: 0,
    code: "unexpected_shape",
    message: `${kind}${field ? `.${field}` : ""}: expected ${expected}, got ${shown}`,
    request,
  });
}

const ORDER_CHECKS: Check[] = [
  ["id", isInt, "an integer"],
  ["order_key", isStr, "a string"],
  ["status", (v) => (WC_ORDER_STATUSES as readonly unknown[]).includes(v), `one of ${WC_ORDER_STATUSES.join("|")}`],
  ["currency", isStr, "an ISO currency code"],
  ["total", isMoney, 'a decimal string such as "29.35"'],
  ["payment_method", isStr, "a string"],
  ["transaction_id", isStr, "a string"],
  ["date_paid_gmt", (v) => v === undefined || isStrOrNull(v), "a date string or null"],
  ["meta_data", isArr, "an array"],
  ["line_items", isArr, "an array"],
  ["refunds", isArr, "an array"],
];

export function asOrder(value: unknown, request: string): WcOrder {
  return check<WcOrder>("order", request, value, ORDER_CHECKS);
}

export function asRefund(value: unknown, request: string): WcRefund {
  return check<WcRefund>("refund", request, value, [
    ["id", isInt, "an integer"],
    ["amount", isMoney, 'a decimal string such as "10.00"'],
    ["reason", isStr, "a string"],
    ["refunded_payment", (v) => v === undefined || isBool(v), "a boolean"],
    ["meta_data", isArr, "an array"],
  ]);
}

export function asNote(value: unknown, request: string): WcNote {
  return check<WcNote>("note", request, value, [
    ["id", isInt, "an integer"],
    ["note", isStr, "a string"],
    ["customer_note", isBool, "a boolean"],
  ]);
}

export function asWebhook(value: unknown, request: string): WcWebhook {
  return check<WcWebhook>("webhook", request, value, [
    ["id", isInt, "an integer"],
    ["status", (v) => v === "active" || v === "paused" || v === "disabled", "active|paused|disabled"],
    ["topic", isStr, "a string"],
    ["delivery_url", isStr, "a string"],
  ]);
}

export function asList<T>(value: unknown, request: string, item: (v: unknown, r: string) => T): T[] {
  if (!Array.isArray(value)) throw shapeError("list", request, value, "an array");
  return value.map((v) => item(v, request));
}
