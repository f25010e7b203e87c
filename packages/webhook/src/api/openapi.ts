import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { EVENT_TYPES } from "../store/records";
import {
  cancelBody,
  createOrderBody,
  createReturnBody,
  DELIVERY_STATUSES,
  eventIdParams,
  listEventsQuery,
  listOrdersQuery,
  ORDER_MODES,
  ORDER_STATUSES,
  orderIdParams,
  redeliverBody,
} from "./schemas";

/**
 * The OpenAPI 3.1 document served at `GET /openapi.json`, generated from the request schemas the
 * routes enforce (./schemas.ts). The response shapes below describe ./views.ts.
 */

const amount = z
  .string()
  .regex(/^[0-9]+\.[0-9]{2}$/)
  .meta({ example: "12.30", description: "HKD, two decimals" });
const time = z.iso.datetime();
const hkd = z.literal("HKD");

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().meta({ example: 'amount: expected a decimal amount with at most 2 decimals like "12.30", got "1.234"' }),
  }),
  message: z.string().meta({ description: "The same as error.message" }),
});

const refundSchema = z.object({
  order_id: z.string(),
  return_id: z.string(),
  partner_refund_id: z.string(),
  partner_trans_id: z.string().optional(),
  amount,
  status: z.enum(["pending", "succeeded", "failed"]).meta({
    description:
      '`pending` is never reported as failed; a `failed` refund can still become `succeeded` (a correction, with a refund.succeeded event carrying `corrects: "refund.failed"`)',
  }),
  code: z.string().optional(),
  reason: z.string().optional(),
  corrects: z.literal("refund.failed").optional().meta({ description: "On refund.succeeded: this refund was reported failed before" }),
  created_at: time,
  updated_at: time,
});

const orderSchema = z.object({
  order_id: z.string(),
  mode: z.enum(ORDER_MODES),
  status: z.enum(ORDER_STATUSES),
  amount,
  currency: hkd,
  description: z.string(),
  partner_trans_id: z.string().meta({ description: "The Alipay out_trade_no / partner_trans_id of the current attempt" }),
  attempt: z.number().int(),
  qr_code: z.string().optional(),
  qr_image_url: z.url().optional(),
  expires_at: time.optional(),
  alipay_trans_id: z.string().optional(),
  payment_inst: z.enum(["ALIPAYHK", "ALIPAYCN"]).optional(),
  buyer_login_id: z.string().optional(),
  paid_at: time.optional(),
  failure_code: z.string().optional(),
  reversed: z.boolean().optional(),
  flag: z
    .enum(["payment_mismatch"])
    .optional()
    .meta({ description: "Needs a person: Alipay reported a payment whose amount or currency differs (the order stays unpaid)" }),
  refunded_amount: amount.optional(),
  refundable_amount: amount.optional(),
  refunds: z.array(refundSchema).optional(),
  created_at: time,
  updated_at: time,
});

const paymentEventData = z.object({
  order_id: z.string(),
  partner_trans_id: z.string(),
  mode: z.enum(ORDER_MODES),
  amount,
  currency: hkd,
  status: z.enum(ORDER_STATUSES),
  alipay_trans_id: z.string().optional(),
  payment_inst: z.string().optional(),
  paid_at: time.optional(),
  reversed: z.boolean().optional(),
  code: z.string().optional(),
  reason: z.string().optional(),
});

const mismatchEventData = z
  .object({
    order_id: z.string(),
    partner_trans_id: z.string(),
    status: z.enum(ORDER_STATUSES),
    flag: z.literal("payment_mismatch"),
    expected_amount: amount,
    reported_amount: amount.optional(),
    reported_currency: z.string().optional(),
    alipay_trans_id: z.string().optional(),
    source: z.string().optional(),
  })
  .meta({
    description:
      "Alipay reported a payment for the order whose amount or currency differs from it. The order is NOT paid; it is flagged (`flag: payment_mismatch`) for a person.",
  });

const lateChargeEventData = z
  .object({
    order_id: z.string(),
    partner_trans_id: z.string().meta({ description: "The cancelled (watched) trade id the charge arrived under" }),
    order_partner_trans_id: z.string().meta({ description: "The order's current trade id" }),
    amount: amount.optional(),
    alipay_trans_id: z.string().optional(),
    resolution: z.enum(["reversed", "refunded", "pending", "failed"]),
    code: z.string().optional(),
  })
  .meta({
    description:
      "A charge arrived under a trade id of the order that had been cancelled while its outcome was unknown (a delayed request). The service gives it back: `reversed` or `refunded`; `pending` while it still tries; `failed` needs a person. The order's own state does not change.",
  });

const eventSchema = z.object({
  id: z.string().meta({ description: "Also the webhook-id header of every delivery" }),
  type: z.enum(EVENT_TYPES as unknown as [string, ...string[]]),
  order_id: z.string(),
  created_at: time,
  payload: z.record(z.string(), z.unknown()),
  deliveries: z.array(
    z.object({
      endpoint: z.string(),
      status: z.enum(DELIVERY_STATUSES),
      attempts: z.number().int(),
      next_attempt_at: time.optional(),
      last_attempt_at: time.optional(),
      last_status: z.number().int().optional(),
      last_error: z.string().optional(),
      delivered_at: time.optional(),
    }),
  ),
});

const page = (item: z.ZodType) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** The shared pieces, registered as components. */
function components(registry: OpenAPIRegistry) {
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  registry.registerComponent("securitySchemes", "standardWebhooks", {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description: "Standard Webhooks v1 HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>` with WEBHOOK_SECRET",
  });
  // Named by their `id`: the generator puts them under components/schemas and refers to them.
  // (Only schemas reached from a path are collected: the event data, reached from webhooks only, stay inline.)
  return {
    Error: errorSchema.meta({ id: "Error" }),
    Order: orderSchema.meta({ id: "Order" }),
    Refund: refundSchema.meta({ id: "Refund" }),
    Event: eventSchema.meta({ id: "Event" }),
    CreateOrder: createOrderBody,
    CreateReturn: createReturnBody,
    PaymentEventData: paymentEventData,
    MismatchEventData: mismatchEventData,
    LateChargeEventData: lateChargeEventData,
  };
}

const jsonContent = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const textContent = { "text/plain": { schema: z.string() } };

/** Every operation of the API: method, path, what it takes and what it answers. */
function operations(s: ReturnType<typeof components>): RouteConfig[] {
  const reply = (description: string, schema: z.ZodType): ResponseConfig => ({ description, ...jsonContent(schema) });
  const error = (description: string): ResponseConfig => reply(description, s.Error);
  const authErrors = { 401: error("Missing, bad or stale signature, or bad token") };
  const idempotencyKey = z.object({
    "Idempotency-Key": z
      .string()
      .min(1)
      .max(255)
      .optional()
      .meta({ description: "With a bearer token: the first successful response is replayed for the same key. Signed requests use `webhook-id`." }),
  });
  const open = { security: [] as Array<Record<string, string[]>> };
  return [
    {
      method: "post",
      path: "/v1/orders",
      summary: "Create an order: a QR code to show, or a barcode charge resolved now",
      request: { headers: idempotencyKey, body: { required: true, ...jsonContent(s.CreateOrder) } },
      responses: {
        200: reply("The same order again: as it is now", s.Order),
        201: reply("Created (QR code, or the barcode outcome: paid or failed)", s.Order),
        202: reply("Barcode charge whose outcome is still open (status pending): the sweep settles it and the event follows", s.Order),
        400: error("Malformed JSON or an invalid field"),
        ...authErrors,
        409: error("Same order id with other terms, a charge in progress, or an idempotency key in use"),
        422: error("Idempotency key reused for another request"),
        502: error("Alipay refused or did not answer; send the same request again"),
      },
    },
    {
      method: "get",
      path: "/v1/orders",
      summary: "List orders, newest first",
      request: { query: listOrdersQuery },
      responses: { 200: reply("A page", page(s.Order)), 400: error("An invalid query parameter"), ...authErrors },
    },
    {
      method: "get",
      path: "/v1/orders/{order_id}",
      summary: "An order with its refunds",
      request: { params: orderIdParams },
      responses: { 200: reply("The order", s.Order), ...authErrors, 404: error("Unknown order") },
    },
    {
      method: "get",
      path: "/v1/orders/{order_id}/qr.svg",
      summary: "The order's QR code as SVG (no authentication: for the buyer's screen)",
      ...open,
      request: { params: orderIdParams },
      responses: { 200: { description: "SVG", content: { "image/svg+xml": { schema: z.string() } } }, 404: error("No QR code") },
    },
    {
      method: "post",
      path: "/v1/orders/{order_id}/cancel",
      summary: "Cancel: close an unpaid trade, reverse a payment on its day, or refund what is left after it",
      request: { params: orderIdParams, headers: idempotencyKey, body: { required: false, ...jsonContent(cancelBody) } },
      responses: {
        200: reply("Cancelled", s.Order),
        ...authErrors,
        404: error("Unknown order"),
        409: error("Alipay refused the cancel"),
        503: error("Not confirmed yet; send again later"),
      },
    },
    {
      method: "post",
      path: "/v1/returns",
      summary: "Refund (part of) a paid order for a return",
      request: { headers: idempotencyKey, body: { required: true, ...jsonContent(s.CreateReturn) } },
      responses: {
        200: reply("The same return again", s.Refund),
        201: reply("The refund (succeeded, failed with a code, or pending: the sweep retries it with the same id)", s.Refund),
        400: error("Malformed JSON or an invalid field"),
        ...authErrors,
        404: error("Unknown order"),
        409: error("Order not paid, or the return id exists with another amount"),
        422: error("Amount above what is left to refund"),
      },
    },
    {
      method: "get",
      path: "/v1/events",
      summary: "Outbound events with their deliveries, newest first",
      request: { query: listEventsQuery },
      responses: { 200: reply("A page", page(s.Event)), 400: error("An invalid query parameter"), ...authErrors },
    },
    {
      method: "get",
      path: "/v1/events/{event_id}",
      summary: "One event",
      request: { params: eventIdParams },
      responses: { 200: reply("The event", s.Event), ...authErrors, 404: error("Unknown event") },
    },
    {
      method: "post",
      path: "/v1/events/{event_id}/redeliver",
      summary: "Send an event again (same id) to its endpoints, from the start of the retry ladder",
      request: { params: eventIdParams, body: { required: false, ...jsonContent(redeliverBody) } },
      responses: { 202: reply("Queued", s.Event), ...authErrors, 404: error("Unknown event"), 409: error("The event has no endpoint to deliver to") },
    },
    {
      method: "post",
      path: "/alipay/notify",
      summary: "Alipay's asynchronous notifications (signed form); answers `success` once its facts are stored",
      description:
        "The raw bytes are checked by core's checkNotification before anything changes: unique, documented field names; the charset named by the notification (or the trade's), never the Content-Type; no value that could re-split the signed string; the signature; seller_id/partner equal to this merchant; a trade (or refund) this store created, with the same amount and currency; then the fact is confirmed by a query (payments, closes) or an identical refund resend (refunds). A refused notification changes nothing (no order, refund or outbound event).",
      ...open,
      request: { body: { required: true, content: { "application/x-www-form-urlencoded": { schema: z.record(z.string(), z.string()) } } } },
      responses: {
        200: { description: "`success`: verified, confirmed and stored", content: textContent },
        400: { description: "`fail`: refused for good (signature, partner, unknown trade, amount, currency, fields); nothing changed", content: textContent },
        503: {
          description: "`fail`: not confirmed yet (the confirming query failed or disagrees for now); nothing changed, Alipay sends it again",
          content: textContent,
        },
      },
    },
    {
      method: "get",
      path: "/healthz",
      summary: "Liveness and store check",
      ...open,
      responses: { 200: { description: "ok" }, 503: { description: "store unavailable" } },
    },
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      ...open,
      responses: { 200: { description: "text exposition format", content: textContent } },
    },
    {
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      ...open,
      responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
    },
  ];
}

/** The outbound events, one webhook each. */
function webhooks(s: ReturnType<typeof components>): RouteConfig[] {
  return EVENT_TYPES.map((type) => {
    const data = type.startsWith("refund")
      ? s.Refund
      : type === "order.payment_mismatch"
        ? s.MismatchEventData
        : type === "order.late_charge"
          ? s.LateChargeEventData
          : s.PaymentEventData;
    return {
      method: "post",
      path: type,
      summary: `${type}, signed per Standard Webhooks with WEBHOOK_ENDPOINT_SECRET; retried (same webhook-id) until a 2xx`,
      request: { body: { required: true, ...jsonContent(z.object({ type: z.literal(type), timestamp: time, data })) } },
      responses: { "2XX": { description: "Received" } },
    } satisfies RouteConfig;
  });
}

let generated: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 description served at `GET /openapi.json`, for a service at `serverUrl`. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  generated ??= generate();
  return { ...generated, servers: [{ url: serverUrl }] };
}

function generate(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const schemas = components(registry);
  for (const operation of operations(schemas)) registry.registerPath(operation);
  for (const webhook of webhooks(schemas)) registry.registerWebhook(webhook);
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Alipay HK webhook adapter",
      version: "1",
      description:
        'Takes orders, returns and cancels from any store or POS and runs them against Alipay HK; sends `payment.*`, `refund.*` and `order.*` events back as Standard Webhooks. Every `/v1` request is authenticated with a Standard Webhooks signature (`webhook-id` of 1-255 characters, `webhook-timestamp`, `webhook-signature`; 5-minute tolerance) or `Authorization: Bearer <API_TOKEN>`. Errors are `{"error":{"code","message"},"message"}` with a message naming the field.',
    },
    security: [{ standardWebhooks: [] }, { bearer: [] }],
  });
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}
