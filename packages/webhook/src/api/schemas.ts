import { AmountError, BUYER_CODE_PATTERN, checkHkdRange, checkSignedText, toMinorUnits, type MinorUnits } from "@alipayhk/core";
import { badRequest, type HttpError } from "@alipayhk/service-kit";
import { z } from "zod";
import type { DeliveryStatus, OrderMode, OrderStatus } from "../store/records";
import { EVENT_TYPES } from "../store/records";
import { isHttpUrl } from "./notify-url";

/**
 * The API's request schemas: the routes parse every body and query with them, and `GET
 * /openapi.json` is generated from them, so the document says exactly what is enforced. Each
 * refusal is one line naming the field (`amount: expected ...`); checks zod cannot state (amounts
 * by core's rules, text Alipay signs) are refinements here, and the notify URL's host is checked
 * after parsing (it depends on a setting).
 */

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A field's message: `required` when it is absent, else `expected <what>, got <value>`. */
function expected(what: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? "required" : `expected ${what}, got ${quote(issue.input)}`) };
}

/** Core's message without its `<field>: ` head (the path is added once, by {@link firstProblem}). */
const withoutField = (message: string) => message.replace(/^[\w.[\]-]+: /, "");

/** Order ids: up to 48 characters, so `<prefix><order_id>:<attempt>` stays within Alipay's 64. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,48}$/;
const ORDER_ID_TEXT = "1-48 characters from A-Z a-z 0-9 _ - .";
const RETURN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const RETURN_ID_TEXT = "1-64 characters from A-Z a-z 0-9 _ - . :";
const BUYER_CODE_TEXT = "the wallet's 16-24 digit payment code starting with 25-30";
const DECIMAL_AMOUNT = /^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$/;

export const ORDER_MODES = ["qr", "barcode"] as const satisfies readonly OrderMode[];
export const ORDER_STATUSES = ["pending", "paid", "failed", "canceled"] as const satisfies readonly OrderStatus[];
export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const satisfies readonly DeliveryStatus[];

export const orderId = z.string(expected(ORDER_ID_TEXT)).regex(ORDER_ID_PATTERN, expected(ORDER_ID_TEXT)).meta({ example: "shop-1001" });

/** Why core refuses an amount, for an input outside the documented forms. */
function amountProblem(input: unknown): string {
  if (input === undefined) return "required";
  try {
    checkHkdRange(toMinorUnits(input, "amount"), "amount");
  } catch (error) {
    if (error instanceof AmountError) return withoutField(error.message);
    throw error;
  }
  return `expected a decimal string with at most 2 decimals like "12.30", or a whole number, got ${quote(input)}`;
}

const amountError = { error: (issue: { input?: unknown }) => amountProblem(issue.input) };

/**
 * An HKD amount in: a decimal string with at most 2 decimals or a whole number, 0.01 to
 * 100000000.00 (core's range), as exact minor units. Refusals are `invalid_amount` (see
 * {@link AMOUNT_FIELDS}).
 */
export const amountIn = z
  .union(
    [
      z.string(amountError).regex(DECIMAL_AMOUNT, amountError).meta({ example: "12.30" }),
      z.number(amountError).int(amountError).meta({ description: "whole HKD" }),
    ],
    amountError,
  )
  .transform((value, ctx): MinorUnits => {
    try {
      return checkHkdRange(toMinorUnits(value, "amount"), "amount");
    } catch (error) {
      if (!(error instanceof AmountError)) throw error;
      ctx.addIssue({ code: "custom", message: withoutField(error.message), input: value });
      return z.NEVER;
    }
  })
  .meta({ description: "0.01 to 100000000.00 HKD; a decimal string (at most 2 decimals) or a whole number. Never a float with a fraction." });

/** Fields whose refusals (other than a missing value) have the code `invalid_amount`. */
export const AMOUNT_FIELDS: ReadonlySet<string> = new Set(["amount"]);

/** Text Alipay signs unescaped: `&` and `=` would re-split the signed fields (core's rule). */
function signedText(what: string, max: number, min = 0) {
  return z
    .string(expected(what))
    .min(min, expected(what))
    .max(max, expected(what))
    .refine((value) => min === 0 || value.trim() !== "", expected(what))
    .superRefine((value, ctx) => {
      try {
        checkSignedText(value, "text");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: withoutField((error as Error).message), input: value });
      }
    })
    .meta({ pattern: "^[^&=]*$" });
}

/** A JSON object with only these fields; another field is `<name>: unknown field; expected only ...`. */
function body<T extends z.ZodRawShape>(shape: T) {
  const names = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `${issue.keys[0]}: unknown field; expected only ${names}` : `expected a JSON object, got ${quote(issue.input)}`,
  });
}

/** `POST /v1/orders`. */
export const createOrderBody = body({
  order_id: orderId,
  mode: z.enum(ORDER_MODES, {
    error: (issue) => (issue.input === undefined ? 'required ("qr" or "barcode")' : `expected "qr" or "barcode", got ${quote(issue.input)}`),
  }),
  amount: amountIn,
  currency: z
    .literal("HKD", expected('"HKD" (Alipay HK in-store payments settle in HKD)'))
    .default("HKD")
    .meta({ description: "Alipay HK in-store payments settle in HKD" }),
  description: signedText("a string of 1-128 characters", 128, 1)
    .optional()
    .meta({ description: "The trade subject shown to the buyer. Default `Order <order_id>`. Must not contain `&` or `=` (Alipay signs it unescaped)." }),
  buyer_code: z
    .string(expected(BUYER_CODE_TEXT))
    .regex(BUYER_CODE_PATTERN, expected(BUYER_CODE_TEXT))
    .optional()
    .meta({ description: 'Mode "barcode" only, and required there: the code scanned from the buyer\'s wallet' }),
  notify: z.string(expected("an http(s) URL for this order's events")).refine(isHttpUrl, expected("an http(s) URL for this order's events")).optional().meta({
    format: "uri",
    description:
      "An extra endpoint for this order's events. Hosts that are loopback, private, link-local or unique-local literals (`localhost`, `127.0.0.1`, `10.x`, `169.254.x`, `[::1]`, `fc00::/7`, `fe80::/10`, IPv4-mapped IPv6 of these) are refused with 400 unless ALLOW_PRIVATE_NOTIFY_URLS=1. A DNS name is checked when each delivery connects: it must resolve to public addresses only.",
  }),
})
  .superRefine((order, ctx) => {
    if (order.mode === "barcode" && order.buyer_code === undefined) ctx.addIssue({ code: "custom", path: ["buyer_code"], message: "required" });
    if (order.mode === "qr" && order.buyer_code !== undefined) ctx.addIssue({ code: "custom", path: ["buyer_code"], message: 'only for mode "barcode"' });
  })
  .meta({ id: "CreateOrder" });

/** `POST /v1/returns`. */
export const createReturnBody = body({
  order_id: orderId,
  return_id: z.string(expected(RETURN_ID_TEXT)).regex(RETURN_ID_PATTERN, expected(RETURN_ID_TEXT)).meta({ example: "return-1" }),
  amount: amountIn,
  reason: signedText("a string of at most 128 characters", 128)
    .optional()
    .meta({ description: "Sent with the refund and stored with it; every resend carries the same text. Must not contain `&` or `=`." }),
}).meta({ id: "CreateReturn" });

/** `POST /v1/orders/{order_id}/cancel`: the body is optional. */
export const cancelBody = body({
  reason: z.string(expected("a string of at most 128 characters")).max(128, expected("a string of at most 128 characters")).optional(),
}).meta({
  id: "CancelOrder",
});

const limitError = {
  error: (issue: { input?: unknown }) => `expected an integer from 1 to 200${Number.isNaN(issue.input) ? "" : `, got ${quote(issue.input)}`}`,
};
const limit = z.coerce.number(limitError).int(limitError).min(1, limitError).max(200, limitError).default(50);
const cursor = z.string().optional().meta({ description: "`next_cursor` of the previous page" });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => `expected one of ${values.join(", ")}, got ${quote(issue.input)}` }).optional();

/** `GET /v1/orders`. */
export const listOrdersQuery = z.object({ limit, cursor, status: oneOf(ORDER_STATUSES) });

/** `GET /v1/events`. */
export const listEventsQuery = z.object({
  limit,
  cursor,
  order_id: z.string().optional(),
  type: oneOf(EVENT_TYPES as unknown as readonly [string, ...string[]]),
  status: oneOf(DELIVERY_STATUSES).meta({ description: "events with a delivery in this state" }),
});

/** `POST /v1/events/{event_id}/redeliver`: an optional JSON object, its fields ignored. */
export const redeliverBody = z.looseObject({}, { error: (issue) => `expected a JSON object, got ${quote(issue.input)}` });

/** The order id in a path. */
export const orderIdParams = z.object({ order_id: orderId });
/** The event id in a path. */
export const eventIdParams = z.object({ event_id: z.string() });

/**
 * The first problem of a failed parse as the API's one line: `<path>: <message>`, code
 * `invalid_amount` for an amount's value and `invalid_request` otherwise.
 */
export function firstProblem(error: z.ZodError): HttpError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join(".");
  // An object-level message already names its field (`amount_cents: unknown field; ...`).
  const message = path ? `${path}: ${issue.message}` : issue.code === "unrecognized_keys" ? issue.message : `body: ${issue.message}`;
  const field = String(issue.path.at(-1) ?? "");
  return badRequest(AMOUNT_FIELDS.has(field) && !issue.message.startsWith("required") ? "invalid_amount" : "invalid_request", message);
}

/** Parses `value` with `schema`, or throws the first problem as a 400. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw firstProblem(result.error);
  return result.data;
}
