import { HttpError, text, type Route } from "@alipayhk/service-kit";
import { verifyWooWebhook, WooWebhookRejected, type WooWebhookEvent } from "../webhook.js";

export interface WooWebhookRouteOptions {
  secret: string;
  /**
   * Called after the 200 has been sent: WooCommerce counts slow or failed deliveries against
   * the webhook and disables it after a few, so the work happens off the request.
   */
  onDelivery(event: Extract<WooWebhookEvent, { kind: "delivery" }>): void | Promise<void>;
  onPing?(webhookId: number): void;
  onError?(err: unknown): void;
  /** Where WooCommerce delivers; default `/woocommerce/webhook`. */
  path?: string;
}

/**
 * The WooCommerce webhook receiver as a `@alipayhk/service-kit` route: HMAC checked on the raw
 * body (never a re-serialised one), the unsigned creation ping answered with exactly 200, a
 * refused delivery answered 400/401 with a JSON error.
 *
 * @example
 * const handler = createHttpHandler({ routes: [wooWebhookRoute({ secret, onDelivery: (e) => queue(e.resourceId) })] });
 */
export function wooWebhookRoute(options: WooWebhookRouteOptions): Route {
  return {
    method: "POST",
    path: options.path ?? "/woocommerce/webhook",
    maxBodyBytes: 2 * 1024 * 1024,
    handle: async ({ req, body }) => {
      let event: WooWebhookEvent;
      try {
        event = verifyWooWebhook(await body(), req.headers, options.secret);
      } catch (err) {
        if (err instanceof WooWebhookRejected) throw new HttpError(err.status, "webhook_rejected", err.message);
        throw err;
      }
      if (event.kind === "ping") {
        options.onPing?.(event.webhookId);
        return text(200, "ok");
      }
      setImmediate(() => {
        Promise.resolve()
          .then(() => options.onDelivery(event))
          .catch((err) => options.onError?.(err));
      });
      return text(200, "ok");
    },
  };
}
