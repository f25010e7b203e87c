import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { badRequest, unauthorized as kitUnauthorized, type HttpError } from "@alipayhk/service-kit";

export interface InboundAuthOptions {
  /** The platform's Standard Webhooks secret (`whsec_...`). */
  webhookSecret?: string;
  /** A static bearer token (`Authorization: Bearer <token>`). */
  apiToken?: string;
}

/** Who sent a request, and the key under which its response is kept for a replay. */
export interface Authenticated {
  scheme: "standard-webhooks" | "bearer";
  /** `webhook-id` of a signed request, else the `Idempotency-Key` header. */
  idempotencyKey?: string;
}

const unauthorized = (code: string, message: string): HttpError => kitUnauthorized(code, message, { "www-authenticate": 'Bearer realm="alipayhk-webhook"' });

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Authenticates an API request: a Standard Webhooks signature over the raw body (with the
 * spec's 5-minute timestamp tolerance, so stale or replayed-later requests are refused), or a
 * bearer token. The raw bytes are verified before anything is parsed.
 */
export class InboundAuth {
  private readonly webhook?: Webhook;

  constructor(private readonly options: InboundAuthOptions) {
    if (options.webhookSecret) this.webhook = new Webhook(options.webhookSecret);
  }

  check(headers: IncomingHttpHeaders, rawBody: Buffer): Authenticated {
    const idempotencyHeader = header(headers, "idempotency-key");
    if (idempotencyHeader !== undefined && (idempotencyHeader.length === 0 || idempotencyHeader.length > 255)) {
      throw badRequest("invalid_idempotency_key", "Idempotency-Key: expected 1 to 255 characters");
    }
    const signature = header(headers, "webhook-signature");
    if (signature !== undefined || header(headers, "webhook-id") !== undefined) {
      if (!this.webhook)
        throw unauthorized("signature_not_accepted", "webhook-signature: signed requests are not set up here (no WEBHOOK_SECRET); use the bearer token");
      const id = header(headers, "webhook-id");
      const timestamp = header(headers, "webhook-timestamp");
      // The id becomes the idempotency key: bounded like Idempotency-Key.
      if (id !== undefined && (id.length === 0 || id.length > 255)) throw badRequest("invalid_webhook_id", "webhook-id: expected 1 to 255 characters");
      if (!id || !timestamp || !signature) {
        throw unauthorized("missing_signature_headers", "webhook-id, webhook-timestamp, webhook-signature: expected all three headers of a signed request");
      }
      if (!/^\d{1,12}$/.test(timestamp))
        throw unauthorized("invalid_timestamp", `webhook-timestamp: expected Unix seconds, got ${JSON.stringify(timestamp.slice(0, 20))}`);
      try {
        this.webhook.verify(rawBody, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
      } catch (error) {
        const message = error instanceof WebhookVerificationError ? error.message : "verification failed";
        if (/too old|too new/i.test(message)) {
          throw unauthorized("stale_timestamp", `webhook-timestamp: expected within 5 minutes of now, got ${timestamp} (${message.toLowerCase()})`);
        }
        throw unauthorized("invalid_signature", "webhook-signature: no signature matches the body with the configured secret");
      }
      return { scheme: "standard-webhooks", idempotencyKey: `wh:${id}` };
    }
    const authorization = header(headers, "authorization");
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!this.options.apiToken)
        throw unauthorized("bearer_not_accepted", "authorization: bearer tokens are not set up here (no API_TOKEN); sign the request");
      if (!match || !sameSecret(match[1]!, this.options.apiToken)) throw unauthorized("invalid_token", "authorization: the bearer token does not match");
      return { scheme: "bearer", idempotencyKey: idempotencyHeader === undefined ? undefined : `ik:${idempotencyHeader}` };
    }
    throw unauthorized(
      "unauthenticated",
      "authorization: expected a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) or a bearer token",
    );
  }
}
