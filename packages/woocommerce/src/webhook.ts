import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * WooCommerce webhook deliveries, checked on the raw request bytes. WooCommerce signs
 * `trim(wp_json_encode(payload))` (slashes escaped as `\/`, non-ASCII as `\uXXXX`) with
 * base64(HMAC-SHA256(body, secret)); re-serialising the parsed JSON would not reproduce those bytes.
 */
export type WooWebhookEvent =
  | {
      kind: "ping";
      /** The webhook that was created or activated. */
      webhookId: number;
    }
  | {
      kind: "delivery";
      webhookId: number | null;
      /** `order.updated` */
      topic: string;
      resource: string;
      event: string;
      /** A hash of (webhook id, time); not stable across retries, so not a dedupe key. */
      deliveryId: string | null;
      /** `payload.id` for resource topics (`deleted` payloads carry only the id). */
      resourceId: number | null;
      payload: unknown;
    };

export class WooWebhookRejected extends Error {
  override readonly name = "WooWebhookRejected";
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

const PING = /^webhook_id=(\d+)$/;

/**
 * Verifies a delivery to `POST /woocommerce/webhook` and decodes it. The unsigned creation-time
 * ping (`webhook_id=N`, no X-WC headers) is recognised so it can be answered 200; anything else
 * without a valid signature is rejected.
 *
 * @example
 * const event = verifyWooWebhook(rawBody, req.headers, process.env.WOO_WEBHOOK_SECRET!);
 * if (event.kind === "delivery" && event.resource === "order") queue(event.resourceId);
 */
export function verifyWooWebhook(rawBody: Buffer, headers: IncomingHttpHeaders, secret: string): WooWebhookEvent {
  const signature = header(headers, "x-wc-webhook-signature");
  if (signature === undefined) {
    const ping = PING.exec(rawBody.toString("latin1").trim());
    if (ping) return { kind: "ping", webhookId: Number(ping[1]) };
    throw new WooWebhookRejected(401, "missing X-WC-Webhook-Signature");
  }
  if (!secret) throw new WooWebhookRejected(401, "no webhook secret configured");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  const given = Buffer.from(signature.trim(), "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WooWebhookRejected(401, "X-WC-Webhook-Signature does not match the body");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new WooWebhookRejected(400, "signed body is not JSON");
  }
  const topic = header(headers, "x-wc-webhook-topic") ?? "";
  const [topicResource = "", topicEvent = ""] = topic.split(".");
  const rawId = (payload as { id?: unknown } | null)?.id;
  const webhookId = Number(header(headers, "x-wc-webhook-id"));
  return {
    kind: "delivery",
    webhookId: Number.isInteger(webhookId) && webhookId > 0 ? webhookId : null,
    topic,
    resource: header(headers, "x-wc-webhook-resource") ?? topicResource,
    event: header(headers, "x-wc-webhook-event") ?? topicEvent,
    deliveryId: header(headers, "x-wc-webhook-delivery-id") ?? header(headers, "x-wc-delivery-id") ?? null,
    resourceId: Number.isInteger(rawId) ? (rawId as number) : null,
    payload,
  };
}

/** Signs a body the way WooCommerce does; for tests and for the contract fake. */
export function signWooWebhookBody(rawBody: Buffer | string, secret: string): string {
  return createHmac("sha256", secret).update(rawBody).digest("base64");
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
