import { EVENT_TYPES } from "../store/records";

const amount = { type: "string", pattern: "^[0-9]+\\.[0-9]{2}$", example: "12.30", description: "HKD, two decimals" };
const amountIn = {
  oneOf: [
    { type: "string", pattern: "^(0|[1-9][0-9]*)(\\.[0-9]{1,2})?$", example: "12.30" },
    { type: "integer", description: "whole HKD" },
  ],
  description: "0.01 to 100000000.00 HKD; a decimal string (at most 2 decimals) or a whole number. Never a float with a fraction.",
};
const time = { type: "string", format: "date-time" };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: object) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...jsonBody(ref("Error")) });
const orderIdParam = { name: "order_id", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,48}$" } };
const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", maxLength: 255 },
  description: "With a bearer token: the first successful response is replayed for the same key. Signed requests use `webhook-id`.",
};
const listParams = [
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } },
  { name: "cursor", in: "query", schema: { type: "string" }, description: "`next_cursor` of the previous page" },
];
const authErrors = { "401": error("Missing, bad or stale signature, or bad token") };

/** The OpenAPI 3.1 description served at `GET /openapi.json`. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Alipay HK webhook adapter",
      version: "1",
      description:
        "Takes orders, returns and cancels from any store or POS and runs them against Alipay HK; sends `payment.*`, `refund.*` and `order.*` events back as Standard Webhooks. Every `/v1` request is authenticated with a Standard Webhooks signature (`webhook-id` of 1-255 characters, `webhook-timestamp`, `webhook-signature`; 5-minute tolerance) or `Authorization: Bearer <API_TOKEN>`. Errors are `{\"error\":{\"code\",\"message\"}}` with a message naming the field.",
    },
    servers: [{ url: serverUrl }],
    security: [{ standardWebhooks: [] }, { bearer: [] }],
    paths: {
      "/v1/orders": {
        post: {
          summary: "Create an order: a QR code to show, or a barcode charge resolved now",
          parameters: [idempotencyKey],
          requestBody: { required: true, ...jsonBody(ref("CreateOrder")) },
          responses: {
            "201": { description: "Created (QR code, or the barcode outcome: paid or failed)", ...jsonBody(ref("Order")) },
            "202": { description: "Barcode charge whose outcome is still open (status pending): the sweep settles it and the event follows", ...jsonBody(ref("Order")) },
            "200": { description: "The same order again: as it is now", ...jsonBody(ref("Order")) },
            "400": error("Malformed JSON or an invalid field"),
            ...authErrors,
            "409": error("Same order id with other terms, a charge in progress, or an idempotency key in use"),
            "422": error("Idempotency key reused for another request"),
            "502": error("Alipay refused or did not answer; send the same request again"),
          },
        },
        get: {
          summary: "List orders, newest first",
          parameters: [...listParams, { name: "status", in: "query", schema: { enum: ["pending", "paid", "failed", "canceled"] } }],
          responses: { "200": { description: "A page", ...jsonBody({ type: "object", properties: { data: { type: "array", items: ref("Order") }, next_cursor: { type: ["string", "null"] } } }) }, ...authErrors },
        },
      },
      "/v1/orders/{order_id}": {
        get: { summary: "An order with its refunds", parameters: [orderIdParam], responses: { "200": { description: "The order", ...jsonBody(ref("Order")) }, ...authErrors, "404": error("Unknown order") } },
      },
      "/v1/orders/{order_id}/qr.svg": {
        get: { summary: "The order's QR code as SVG (no authentication: for the buyer's screen)", security: [], parameters: [orderIdParam], responses: { "200": { description: "SVG", content: { "image/svg+xml": {} } }, "404": error("No QR code") } },
      },
      "/v1/orders/{order_id}/cancel": {
        post: {
          summary: "Cancel: close an unpaid trade, reverse a payment on its day, or refund what is left after it",
          parameters: [orderIdParam, idempotencyKey],
          requestBody: { required: false, ...jsonBody({ type: "object", properties: { reason: { type: "string", maxLength: 128 } }, additionalProperties: false }) },
          responses: { "200": { description: "Cancelled", ...jsonBody(ref("Order")) }, ...authErrors, "404": error("Unknown order"), "409": error("Alipay refused the cancel"), "503": error("Not confirmed yet; send again later") },
        },
      },
      "/v1/returns": {
        post: {
          summary: "Refund (part of) a paid order for a return",
          parameters: [idempotencyKey],
          requestBody: { required: true, ...jsonBody(ref("CreateReturn")) },
          responses: {
            "201": { description: "The refund (succeeded, failed with a code, or pending: the sweep retries it with the same id)", ...jsonBody(ref("Refund")) },
            "200": { description: "The same return again", ...jsonBody(ref("Refund")) },
            "400": error("Malformed JSON or an invalid field"),
            ...authErrors,
            "404": error("Unknown order"),
            "409": error("Order not paid, or the return id exists with another amount"),
            "422": error("Amount above what is left to refund"),
          },
        },
      },
      "/v1/events": {
        get: {
          summary: "Outbound events with their deliveries, newest first",
          parameters: [
            ...listParams,
            { name: "order_id", in: "query", schema: { type: "string" } },
            { name: "type", in: "query", schema: { enum: EVENT_TYPES } },
            { name: "status", in: "query", schema: { enum: ["pending", "delivered", "dead"] }, description: "events with a delivery in this state" },
          ],
          responses: { "200": { description: "A page", ...jsonBody({ type: "object", properties: { data: { type: "array", items: ref("Event") }, next_cursor: { type: ["string", "null"] } } }) }, ...authErrors },
        },
      },
      "/v1/events/{event_id}": {
        get: { summary: "One event", parameters: [{ name: "event_id", in: "path", required: true, schema: { type: "string" } }], responses: { "200": { description: "The event", ...jsonBody(ref("Event")) }, ...authErrors, "404": error("Unknown event") } },
      },
      "/v1/events/{event_id}/redeliver": {
        post: {
          summary: "Send an event again (same id) to its endpoints, from the start of the retry ladder",
          parameters: [{ name: "event_id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "202": { description: "Queued", ...jsonBody(ref("Event")) }, ...authErrors, "404": error("Unknown event") },
        },
      },
      "/alipay/notify": {
        post: {
          summary: "Alipay's asynchronous notifications (signed form); answers `success` once its facts are stored",
          description:
            "The raw bytes are checked by core's checkNotification before anything changes: unique, documented field names; the charset named by the notification (or the trade's), never the Content-Type; no value that could re-split the signed string; the signature; seller_id/partner equal to this merchant; a trade (or refund) this store created, with the same amount and currency; then the fact is confirmed by a query (payments, closes) or an identical refund resend (refunds). A refused notification changes nothing (no order, refund or outbound event).",
          security: [],
          requestBody: { required: true, content: { "application/x-www-form-urlencoded": {} } },
          responses: {
            "200": { description: "`success`: verified, confirmed and stored", content: { "text/plain": {} } },
            "400": { description: "`fail`: refused for good (signature, partner, unknown trade, amount, currency, fields); nothing changed", content: { "text/plain": {} } },
            "503": { description: "`fail`: not confirmed yet (the confirming query failed or disagrees for now); nothing changed, Alipay sends it again", content: { "text/plain": {} } },
          },
        },
      },
      "/healthz": { get: { summary: "Liveness and store check", security: [], responses: { "200": { description: "ok" }, "503": { description: "store unavailable" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", security: [], responses: { "200": { description: "text exposition format", content: { "text/plain": {} } } } } },
    },
    webhooks: Object.fromEntries(
      EVENT_TYPES.map((type) => [
        type,
        {
          post: {
            summary: `${type}, signed per Standard Webhooks with WEBHOOK_ENDPOINT_SECRET; retried (same webhook-id) until a 2xx`,
            requestBody: jsonBody({
              type: "object",
              required: ["type", "timestamp", "data"],
              properties: {
                type: { const: type },
                timestamp: time,
                data: ref(type.startsWith("refund") ? "Refund" : type === "order.payment_mismatch" ? "MismatchEventData" : type === "order.late_charge" ? "LateChargeEventData" : "PaymentEventData"),
              },
            }),
            responses: { "2XX": { description: "Received" } },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        standardWebhooks: { type: "apiKey", in: "header", name: "webhook-signature", description: "Standard Webhooks v1 HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>` with WEBHOOK_SECRET" },
      },
      schemas: {
        Error: { type: "object", required: ["error"], properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string", example: "amount: expected a decimal amount with at most 2 decimals like \"12.30\", got \"1.234\"" } } } } },
        CreateOrder: {
          type: "object",
          required: ["order_id", "amount", "mode"],
          additionalProperties: false,
          properties: {
            order_id: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,48}$" },
            amount: amountIn,
            currency: { const: "HKD", default: "HKD" },
            description: {
              type: "string",
              maxLength: 128,
              pattern: "^[^&=]*$",
              description: "The trade subject shown to the buyer. Default `Order <order_id>`. Must not contain `&` or `=` (Alipay signs it unescaped; 400 `description: must not contain ...`).",
            },
            mode: { enum: ["qr", "barcode"] },
            buyer_code: { type: "string", pattern: "^(2[5-9]|30)[0-9]{14,22}$", description: "Barcode mode: the code scanned from the buyer's wallet" },
            notify: {
              type: "string",
              format: "uri",
              description:
                "An extra endpoint for this order's events. Hosts that are loopback, private, link-local or unique-local literals (`localhost`, `127.0.0.1`, `10.x`, `169.254.x`, `[::1]`, `fc00::/7`, `fe80::/10`, IPv4-mapped IPv6 of these) are refused with 400 unless ALLOW_PRIVATE_NOTIFY_URLS=1. A DNS name is checked when each delivery connects: it must resolve to public addresses only.",
            },
          },
        },
        CreateReturn: {
          type: "object",
          required: ["order_id", "return_id", "amount"],
          additionalProperties: false,
          properties: { order_id: { type: "string" }, return_id: { type: "string", pattern: "^[A-Za-z0-9_.:-]{1,64}$" }, amount: amountIn,
            reason: { type: "string", maxLength: 128, pattern: "^[^&=]*$", description: "Sent with the refund and stored with it; every resend carries the same text. Must not contain `&` or `=`." },
          },
        },
        Refund: {
          type: "object",
          properties: {
            order_id: { type: "string" },
            return_id: { type: "string" },
            partner_refund_id: { type: "string" },
            partner_trans_id: { type: "string" },
            amount,
            status: { enum: ["pending", "succeeded", "failed"], description: "`pending` is never reported as failed; a `failed` refund can still become `succeeded` (a correction, with a refund.succeeded event carrying `corrects: \"refund.failed\"`)" },
            code: { type: "string" },
            reason: { type: "string" },
            corrects: { const: "refund.failed", description: "On refund.succeeded: this refund was reported failed before" },
            created_at: time,
            updated_at: time,
          },
        },
        Order: {
          type: "object",
          properties: {
            order_id: { type: "string" },
            mode: { enum: ["qr", "barcode"] },
            status: { enum: ["pending", "paid", "failed", "canceled"] },
            amount,
            currency: { const: "HKD" },
            description: { type: "string" },
            partner_trans_id: { type: "string", description: "The Alipay out_trade_no / partner_trans_id of the current attempt" },
            attempt: { type: "integer" },
            qr_code: { type: "string" },
            qr_image_url: { type: "string", format: "uri" },
            expires_at: time,
            alipay_trans_id: { type: "string" },
            payment_inst: { enum: ["ALIPAYHK", "ALIPAYCN"] },
            buyer_login_id: { type: "string" },
            paid_at: time,
            failure_code: { type: "string" },
            reversed: { type: "boolean" },
            flag: { enum: ["payment_mismatch"], description: "Needs a person: Alipay reported a payment whose amount or currency differs (the order stays unpaid)" },
            refunded_amount: amount,
            refundable_amount: amount,
            refunds: { type: "array", items: ref("Refund") },
            created_at: time,
            updated_at: time,
          },
        },
        PaymentEventData: {
          type: "object",
          properties: {
            order_id: { type: "string" },
            partner_trans_id: { type: "string" },
            mode: { enum: ["qr", "barcode"] },
            amount,
            currency: { const: "HKD" },
            status: { enum: ["pending", "paid", "failed", "canceled"] },
            alipay_trans_id: { type: "string" },
            payment_inst: { type: "string" },
            paid_at: time,
            reversed: { type: "boolean" },
            code: { type: "string" },
            reason: { type: "string" },
          },
        },
        MismatchEventData: {
          type: "object",
          description: "Alipay reported a payment for the order whose amount or currency differs from it. The order is NOT paid; it is flagged (`flag: payment_mismatch`) for a person.",
          properties: {
            order_id: { type: "string" },
            partner_trans_id: { type: "string" },
            status: { enum: ["pending", "paid", "failed", "canceled"] },
            flag: { const: "payment_mismatch" },
            expected_amount: amount,
            reported_amount: amount,
            reported_currency: { type: "string" },
            alipay_trans_id: { type: "string" },
            source: { type: "string" },
          },
        },
        LateChargeEventData: {
          type: "object",
          description:
            "A charge arrived under a trade id of the order that had been cancelled while its outcome was unknown (a delayed request). The service gives it back: `reversed` or `refunded`; `pending` while it still tries; `failed` needs a person. The order's own state does not change.",
          properties: {
            order_id: { type: "string" },
            partner_trans_id: { type: "string", description: "The cancelled (watched) trade id the charge arrived under" },
            order_partner_trans_id: { type: "string", description: "The order's current trade id" },
            amount,
            alipay_trans_id: { type: "string" },
            resolution: { enum: ["reversed", "refunded", "pending", "failed"] },
            code: { type: "string" },
          },
        },
        Event: {
          type: "object",
          properties: {
            id: { type: "string", description: "Also the webhook-id header of every delivery" },
            type: { enum: EVENT_TYPES },
            order_id: { type: "string" },
            created_at: time,
            payload: { type: "object" },
            deliveries: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  endpoint: { type: "string" },
                  status: { enum: ["pending", "delivered", "dead"] },
                  attempts: { type: "integer" },
                  next_attempt_at: time,
                  last_attempt_at: time,
                  last_status: { type: "integer" },
                  last_error: { type: "string" },
                  delivered_at: time,
                },
              },
            },
          },
        },
      },
    },
  };
}
