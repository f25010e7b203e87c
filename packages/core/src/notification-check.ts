import iconv from "iconv-lite";
import { parseAmountLenient, type MinorUnits } from "./amount";
import type { AlipayHkClient } from "./client";
import { AlipayError } from "./errors";
import { paidOrMismatch, type TradeEvent } from "./events";
import { parseForm } from "./form";
import { refundReturn, type RefundRetry } from "./flows/refund";
import type { AlipayNotification } from "./types";

/** What the store knows of a trade it created. */
export interface ExpectedTrade {
  amount: MinorUnits;
  /** Default `HKD`. */
  currency?: string;
  /** The `_input_charset` the trade was created with (default: UTF-8, as this client sends). */
  charset?: string;
}

/** What the store keeps of a refund it sent: the full request content, resent identically. */
export interface ExpectedRefund {
  partnerTransId: string;
  platformRefundId: string;
  amount: MinorUnits;
  reason?: string;
}

export interface NotificationCheckOptions {
  /** The trade this store created under `out_trade_no`, or undefined when it made none. */
  findTrade(partnerTransId: string): ExpectedTrade | undefined | Promise<ExpectedTrade | undefined>;
  /** The refund this store sent under `partner_refund_id`, or undefined. Without it refund notifications are refused. */
  findRefund?(partnerRefundId: string): ExpectedRefund | undefined | Promise<ExpectedRefund | undefined>;
  /** Field names to accept beyond the documented ones. */
  extraFields?: Iterable<string>;
  /** Timing of the refund resend that confirms a refund notification (one attempt by default). */
  refundRetry?: RefundRetry;
}

/** Why a notification was refused. */
export type NotificationRefusal =
  | "malformed"
  | "repeated_field"
  | "unexpected_field"
  | "ambiguous_value"
  | "bad_charset"
  | "bad_signature"
  | "partner_mismatch"
  | "unknown_trade"
  | "unknown_refund"
  | "missing_amount"
  | "amount_mismatch"
  | "currency_mismatch"
  | "not_confirmed"
  | "confirm_failed";

/**
 * The verdict on a notification. Accepted: the verified facts to apply (possibly none), then
 * answer `success`. Refused: apply nothing and answer anything but `success` (Alipay retries;
 * `retryable` tells whether a later try can succeed, e.g. the confirming query failed).
 */
export type NotificationCheck =
  | { accepted: true; events: TradeEvent[]; notification: AlipayNotification }
  | { accepted: false; refusal: NotificationRefusal; message: string; retryable: boolean; partnerTransId?: string };

/** The body Alipay expects once a notification is verified and durably applied. */
export const NOTIFY_SUCCESS = "success";

/** Fields of payment, close and refund notifications (spec §3.2, §3.3) and their known companions. */
export const NOTIFICATION_FIELDS: ReadonlySet<string> = new Set([
  "notify_time",
  "notify_type",
  "notify_id",
  "notify_action_type",
  "sign",
  "sign_type",
  "_input_charset",
  "charset",
  "partner",
  "version",
  "out_trade_no",
  "trade_no",
  "trade_status",
  "subject",
  "body",
  "price",
  "quantity",
  "total_fee",
  "currency",
  "trans_currency",
  "forex_total_fee",
  "forex_rate",
  "gmt_create",
  "gmt_payment",
  "gmt_close",
  "gmt_refund",
  "seller_id",
  "seller_email",
  "buyer_id",
  "buyer_email",
  "extra_common_param",
  "payment_inst",
  "refund_fee",
  "out_biz_no",
  "partner_trans_id",
  "alipay_trans_id",
  "partner_refund_id",
  "refund_amount",
  "refund_status",
  "result_code",
  "error",
  "is_total_fee_adjust",
  "use_coupon",
  "discount",
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_BODY = 64 * 1024;

function refuse(refusal: NotificationRefusal, message: string, retryable = false, partnerTransId?: string): NotificationCheck {
  return { accepted: false, refusal, message: `notification refused: ${message}`, retryable, partnerTransId };
}

/** Decodes a `%xx` form component that must be ASCII (names, charset values, ids). */
function asciiComponent(component: string): string | undefined {
  try {
    const value = decodeURIComponent(component.replace(/\+/g, " "));
    return /^[\x20-\x7e]*$/.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** First pass over the raw bytes: names (unique, known, well-formed) and the ASCII values of a few fields. */
function scanRaw(text: string, known: ReadonlySet<string>): { ok: true; ascii: Record<string, string | undefined> } | { ok: false; check: NotificationCheck } {
  const seen = new Set<string>();
  const ascii: Record<string, string | undefined> = {};
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = asciiComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (name === undefined || !NAME.test(name))
      return { ok: false, check: refuse("malformed", `field name ${JSON.stringify(pair.slice(0, 40))} is not a plain name`) };
    if (seen.has(name)) return { ok: false, check: refuse("repeated_field", `field ${name} appears more than once`) };
    seen.add(name);
    if (!known.has(name)) return { ok: false, check: refuse("unexpected_field", `field ${name} is not a notification field`) };
    ascii[name] = eq < 0 ? "" : asciiComponent(pair.slice(eq + 1));
  }
  return { ok: true, ascii };
}

/**
 * Checks an Alipay notification before anything changes, and turns it into verified trade events.
 *
 * In order: the raw body is well formed with unique, documented field names; its charset comes from
 * the notification (its `_input_charset`/`charset` field, else the charset the trade was created
 * with), never from the HTTP header; no value can re-split the signed string; the signature verifies
 * over the bytes in that charset; `seller_id` (required for trade notifications) and `partner` equal
 * the configured partner; the trade (or refund) is one this store created; amount and currency are
 * present and equal to it. Then a paid or closed fact is confirmed by `alipay.acquire.overseas.query`,
 * and a refund result by resending the stored refund request unchanged (idempotent at the gateway).
 *
 * @example
 * const check = await checkNotification(client, rawBody, { findTrade: (id) => store.tradeAmount(id) });
 * if (!check.accepted) return reply(400, "fail");
 * for (const event of check.events) await apply(event);
 * reply(200, NOTIFY_SUCCESS);
 */
export async function checkNotification(client: AlipayHkClient, body: string | Uint8Array, options: NotificationCheckOptions): Promise<NotificationCheck> {
  if (typeof body !== "string" && !(body instanceof Uint8Array)) return refuse("malformed", "expected the raw form body");
  const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : Buffer.from(body);
  if (bytes.byteLength === 0) return refuse("malformed", "empty body");
  if (bytes.byteLength > MAX_BODY) return refuse("malformed", `body larger than ${MAX_BODY} bytes`);
  const text = bytes.toString("latin1");
  const known = new Set([...NOTIFICATION_FIELDS, ...(options.extraFields ?? [])]);
  const scanned = scanRaw(text, known);
  if (!scanned.ok) return scanned.check;
  const ascii = scanned.ascii;

  const rawTradeId = ascii.out_trade_no || ascii.partner_trans_id;
  const partnerRefundId = ascii.partner_refund_id || undefined;
  let expected: ExpectedTrade | undefined;
  if (rawTradeId) expected = await options.findTrade(rawTradeId);

  const charset = ascii._input_charset || ascii.charset || expected?.charset || "UTF-8";
  if (!iconv.encodingExists(charset)) return refuse("bad_charset", `charset ${JSON.stringify(String(charset).slice(0, 20))} is not supported`);

  let fields: Record<string, string>;
  try {
    fields = parseForm(bytes, charset);
  } catch (error) {
    return refuse("malformed", (error as Error).message);
  }
  for (const [name, value] of Object.entries(fields)) {
    if (name !== "sign" && value.includes("&")) return refuse("ambiguous_value", `field ${name} contains "&", which would re-split the signed fields`);
  }

  let notification: AlipayNotification;
  try {
    notification = client.verifyNotification(fields, { charset });
  } catch (error) {
    const code = error instanceof AlipayError ? error.code : undefined;
    return refuse("bad_signature", `signature check failed (${code ?? "invalid"})`, false, rawTradeId);
  }
  const tradeId = notification.outTradeNo ?? notification.partnerTransId;

  const sellerId = fields.seller_id;
  if (fields.partner !== undefined && fields.partner !== client.partner) return refuse("partner_mismatch", "partner is not this merchant's", false, rawTradeId);
  if (sellerId !== undefined && sellerId !== client.partner)
    return refuse("partner_mismatch", "seller_id is not this merchant's partner id", false, rawTradeId);

  if (partnerRefundId) return checkRefundNotification(client, fields, notification, partnerRefundId, options);

  if (sellerId === undefined) return refuse("partner_mismatch", "seller_id is missing", false, rawTradeId);
  const partnerTransId = tradeId;
  if (!partnerTransId || !expected || partnerTransId !== rawTradeId) {
    return refuse(
      "unknown_trade",
      `out_trade_no ${JSON.stringify(String(partnerTransId ?? "").slice(0, 64))} is not a trade of this store`,
      false,
      partnerTransId,
    );
  }

  const amountCheck = checkAmount(fields.total_fee, fields.currency, expected, "total_fee");
  if (amountCheck) return { ...amountCheck, partnerTransId } as NotificationCheck;

  switch (notification.tradeStatus) {
    case "TRADE_SUCCESS":
    case "TRADE_FINISHED":
    case "TRADE_CLOSED":
      return confirmByQuery(client, partnerTransId, expected, notification);
    case "WAIT_BUYER_PAY":
      return { accepted: true, events: [{ type: "trade.open", partnerTransId, source: "notification", reason: "WAIT_BUYER_PAY" }], notification };
    default:
      // A verified notification of a kind that changes nothing here.
      return { accepted: true, events: [], notification };
  }
}

function checkAmount(
  value: string | undefined,
  currency: string | undefined,
  expected: { amount: MinorUnits; currency?: string },
  field: string,
): NotificationCheck | undefined {
  if (value === undefined || value === "") return refuse("missing_amount", `${field} is missing`);
  let amount: MinorUnits;
  try {
    amount = parseAmountLenient(value, field);
  } catch {
    return refuse("missing_amount", `${field} ${JSON.stringify(value.slice(0, 20))} is not an amount`);
  }
  if (amount !== expected.amount) return refuse("amount_mismatch", `${field} differs from the trade's amount`);
  const want = (expected.currency ?? "HKD").toUpperCase();
  if (!currency) return refuse("currency_mismatch", "currency is missing");
  if (currency.toUpperCase() !== want) return refuse("currency_mismatch", `currency ${JSON.stringify(currency.slice(0, 8))} is not ${want}`);
  return undefined;
}

async function confirmByQuery(
  client: AlipayHkClient,
  partnerTransId: string,
  expected: ExpectedTrade,
  notification: AlipayNotification,
): Promise<NotificationCheck> {
  let query;
  try {
    query = await client.query({ partnerTransId });
  } catch (error) {
    const code = error instanceof AlipayError ? (error.code ?? error.type) : "error";
    return refuse("confirm_failed", `the confirming query failed (${code}); send it again later`, true, partnerTransId);
  }
  const claimsPaid = notification.tradeStatus !== "TRADE_CLOSED";
  if (claimsPaid && query.found && query.outcome.kind === "paid") {
    const { reply: _r, outcome: _o, found: _f, status: _s, ...details } = query;
    const event = paidOrMismatch(
      { partnerTransId, amount: expected.amount, currency: expected.currency },
      { ...details, buyerLoginId: details.buyerLoginId ?? notification.fields.buyer_email },
      "notification",
    );
    if (event.type === "trade.mismatch") return refuse("amount_mismatch", "the trade's amount at Alipay differs from the store's", false, partnerTransId);
    return { accepted: true, events: [event], notification };
  }
  if (!claimsPaid && query.found && query.outcome.kind === "closed") {
    return {
      accepted: true,
      events: [{ type: "trade.closed", partnerTransId, source: "notification", reversed: false, cause: "closed_at_alipay" }],
      notification,
    };
  }
  const now = query.found ? (query.status ?? "unknown") : "not found";
  return refuse("not_confirmed", `Alipay's query shows the trade ${now}, not ${notification.tradeStatus}`, true, partnerTransId);
}

async function checkRefundNotification(
  client: AlipayHkClient,
  fields: Record<string, string>,
  notification: AlipayNotification,
  partnerRefundId: string,
  options: NotificationCheckOptions,
): Promise<NotificationCheck> {
  const refund = options.findRefund ? await options.findRefund(partnerRefundId) : undefined;
  if (!refund) return refuse("unknown_refund", "partner_refund_id is not a refund of this store");
  const tradeId = fields.partner_trans_id || fields.out_trade_no;
  if (tradeId !== refund.partnerTransId) return refuse("unknown_refund", "the refund belongs to another trade", false, tradeId);
  const amountCheck = checkAmount(fields.refund_amount ?? fields.refund_fee, fields.currency, { amount: refund.amount }, "refund_amount");
  if (amountCheck) return amountCheck;
  // Confirm by resending the stored request unchanged: the gateway answers the refund's real outcome.
  let result;
  try {
    result = await refundReturn(client, refund, { attempts: 1, ...options.refundRetry }, "notification");
  } catch (error) {
    return refuse("confirm_failed", `the confirming refund request failed (${(error as Error).message})`, true, refund.partnerTransId);
  }
  const claimsSuccess = /SUCCESS/i.test(notification.refundStatus ?? "");
  if (result.status === "pending") return refuse("confirm_failed", `the refund's outcome is still open (${result.reason})`, true, refund.partnerTransId);
  if ((result.status === "succeeded") !== claimsSuccess) {
    return refuse("not_confirmed", `Alipay answers the refund ${result.status}, not ${notification.refundStatus ?? "?"}`, false, refund.partnerTransId);
  }
  return { accepted: true, events: result.events, notification };
}
