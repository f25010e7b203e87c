import { AlipayConfigError, AmountError, checkHkdRange, checkSignedText, toMinorUnits, type MinorUnits } from "@alipayhk/core";
import { badRequest } from "../http/errors";
import type { OrderMode } from "../store/records";
import { privateHostReason } from "./notify-url";

/** Order ids: up to 48 characters, so `<prefix><order_id>:<attempt>` stays within Alipay's 64. */
const ORDER_ID = /^[A-Za-z0-9_.-]{1,48}$/;
const RETURN_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const BUYER_CODE = /^(2[5-9]|30)[0-9]{14,22}$/;

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

const invalid = (field: string, expected: string, value: unknown) => badRequest("invalid_request", `${field}: expected ${expected}, got ${quote(value)}`);

/** Parses a JSON request body; an empty body is `{}` where `emptyIsObject`. */
export function parseJsonObject(raw: Buffer, emptyIsObject = false): Record<string, unknown> {
  const text = raw.toString("utf8");
  if (text.trim() === "") {
    if (emptyIsObject) return {};
    throw badRequest("invalid_json", "body: expected a JSON object, got an empty body");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest("invalid_json", `body: expected a JSON object, got malformed JSON (${(error as Error).message.slice(0, 80)})`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalid("body", "a JSON object", value);
  return value as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) throw badRequest("invalid_request", `${name}: unknown field; expected only ${allowed.join(", ")}`);
  }
}

function id(body: Record<string, unknown>, field: string, pattern: RegExp, expected: string): string {
  const value = body[field];
  if (value === undefined) throw badRequest("invalid_request", `${field}: required`);
  if (typeof value !== "string" || !pattern.test(value)) throw invalid(field, expected, value);
  return value;
}

/** An HKD amount: a decimal string with at most 2 decimals ("12.30") or a whole number, 0.01 to 100000000.00. */
export function amount(body: Record<string, unknown>, field = "amount"): MinorUnits {
  const value = body[field];
  if (value === undefined) throw badRequest("invalid_request", `${field}: required`);
  try {
    return checkHkdRange(toMinorUnits(value, field), field);
  } catch (error) {
    if (error instanceof AmountError) throw badRequest("invalid_amount", error.message);
    throw error;
  }
}

export function checkOrderId(value: string, field = "order_id"): string {
  if (!ORDER_ID.test(value)) throw invalid(field, "1-48 characters from A-Z a-z 0-9 _ - .", value);
  return value;
}

export interface CreateOrderBody {
  orderId: string;
  amount: MinorUnits;
  currency: "HKD";
  description: string;
  mode: OrderMode;
  buyerCode?: string;
  notify?: string;
}

/**
 * Text that Alipay signs (the description becomes the trade subject, the reason goes with the
 * refund): `&` and `=` would re-split the signed fields, so they are refused here (core's rule).
 */
function signedText(value: string, field: string): string {
  try {
    return checkSignedText(value, field);
  } catch (error) {
    if (error instanceof AlipayConfigError) throw badRequest("invalid_request", error.message);
    throw error;
  }
}

export interface ParseOptions {
  /** Accept `notify` URLs on loopback/private/link-local hosts (tests, a local demo). Default false. */
  allowPrivateNotifyUrls?: boolean;
}

/** `POST /v1/orders`. */
export function parseCreateOrder(body: Record<string, unknown>, options: ParseOptions = {}): CreateOrderBody {
  onlyFields(body, ["order_id", "amount", "currency", "description", "mode", "buyer_code", "notify"]);
  const orderId = id(body, "order_id", ORDER_ID, "1-48 characters from A-Z a-z 0-9 _ - .");
  const mode = body.mode;
  if (mode === undefined) throw badRequest("invalid_request", 'mode: required ("qr" or "barcode")');
  if (mode !== "qr" && mode !== "barcode") throw invalid("mode", '"qr" or "barcode"', mode);
  const cents = amount(body);
  const currency = body.currency ?? "HKD";
  if (currency !== "HKD") throw invalid("currency", '"HKD" (Alipay HK in-store payments settle in HKD)', currency);
  const description = body.description ?? `Order ${orderId}`;
  if (typeof description !== "string" || description.trim() === "" || description.length > 128) throw invalid("description", "a string of 1-128 characters", description);
  signedText(description, "description");
  let buyerCode: string | undefined;
  if (mode === "barcode") {
    buyerCode = id(body, "buyer_code", BUYER_CODE, "the wallet's 16-24 digit payment code starting with 25-30");
  } else if (body.buyer_code !== undefined) {
    throw badRequest("invalid_request", 'buyer_code: only for mode "barcode"');
  }
  let notify: string | undefined;
  if (body.notify !== undefined) {
    if (typeof body.notify !== "string" || !isHttpUrl(body.notify)) throw invalid("notify", "an http(s) URL for this order's events", body.notify);
    const refused = options.allowPrivateNotifyUrls ? undefined : privateHostReason(new URL(body.notify).hostname);
    if (refused) throw badRequest("invalid_request", `notify: expected a URL on a public host, got ${refused} (set ALLOW_PRIVATE_NOTIFY_URLS=1 to allow)`);
    notify = body.notify;
  }
  return { orderId, amount: cents, currency, description, mode, buyerCode, notify };
}

export interface CreateReturnBody {
  orderId: string;
  returnId: string;
  amount: MinorUnits;
  reason?: string;
}

/** `POST /v1/returns`. */
export function parseCreateReturn(body: Record<string, unknown>): CreateReturnBody {
  onlyFields(body, ["order_id", "return_id", "amount", "reason"]);
  const orderId = id(body, "order_id", ORDER_ID, "1-48 characters from A-Z a-z 0-9 _ - .");
  const returnId = id(body, "return_id", RETURN_ID, "1-64 characters from A-Z a-z 0-9 _ - . :");
  const cents = amount(body);
  if (body.reason !== undefined && (typeof body.reason !== "string" || body.reason.length > 128)) throw invalid("reason", "a string of at most 128 characters", body.reason);
  if (typeof body.reason === "string") signedText(body.reason, "reason");
  return { orderId, returnId, amount: cents, reason: body.reason as string | undefined };
}

/** `POST /v1/orders/{id}/cancel`: the body is optional. */
export function parseCancel(body: Record<string, unknown>): { reason?: string } {
  onlyFields(body, ["reason"]);
  if (body.reason !== undefined && (typeof body.reason !== "string" || body.reason.length > 128)) throw invalid("reason", "a string of at most 128 characters", body.reason);
  return { reason: body.reason as string | undefined };
}

/** `limit` of a list: 1-200, default 50. */
export function parseLimit(value: string | null): number {
  if (value === null) return 50;
  if (!/^[0-9]{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 200) throw invalid("limit", "an integer from 1 to 200", value);
  return Number(value);
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
