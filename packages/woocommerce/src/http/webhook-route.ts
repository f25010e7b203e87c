import { verifyWooWebhook, WooWebhookRejected, type WooWebhookEvent } from "../webhook.js";
import { HttpError, readRawBody, sendText, type Handler } from "./router.js";

export interface WooWebhookRouteOptions {
  secret: string;
  /**
   * Called after the 200 has been sent: WooCommerce counts slow or failed deliveries against
   * the webhook and disables it after a few, so the work happens off the request.
   */
  onDelivery(event: Extract<WooWebhookEvent, { kind: "delivery" }>): void | Promise<void>;
  onPing?(webhookId: number): void;
  onError?(err: unknown): void;
}

/** `POST /woocommerce/webhook`: raw-body HMAC check, the unsigned ping answered with exactly 200. */
export function wooWebhookRoute(options: WooWebhookRouteOptions): Handler {
  return async ({ req, res }) => {
    const raw = await readRawBody(req, 2 * 1024 * 1024);
    let event: WooWebhookEvent;
    try {
      event = verifyWooWebhook(raw, req.headers, options.secret);
    } catch (err) {
      if (err instanceof WooWebhookRejected) throw new HttpError(err.status, err.message, "webhook_rejected");
      throw err;
    }
    sendText(res, 200, "ok");
    if (event.kind === "ping") {
      options.onPing?.(event.webhookId);
      return;
    }
    setImmediate(() => {
      Promise.resolve()
        .then(() => options.onDelivery(event))
        .catch((err) => options.onError?.(err));
    });
  };
}
