import type { DeliveryUrlVerdict } from "./delivery-url.js";
import type { Logger } from "./log.js";
import type { BridgeStore } from "./store.js";

/**
 * What `/healthz` says about WooCommerce's webhooks:
 * - `ok`: a ping or delivery arrived after the webhooks were registered and none is overdue;
 * - `waiting`: registered, nothing delivered yet, and no order changed long enough ago to expect one;
 * - `not_delivered`: an order changed after registration more than the grace period ago, and no
 *   delivery has arrived since: WooCommerce is not reaching the bridge (the poll carries on alone);
 * - `url_refused`: WordPress's delivery rule refuses PUBLIC_URL and nothing has arrived (a shop
 *   can allow it with the `http_allowed_safe_ports` filter: deliveries that do arrive win);
 * - `unknown`: the bridge has not registered or checked its webhooks yet.
 */
export type WebhookHealthState = "ok" | "waiting" | "not_delivered" | "url_refused" | "unknown";

export interface WebhookHealthReport {
  state: WebhookHealthState;
  deliveryUrl: string;
  message?: string;
  registeredAt?: string;
  lastDeliveryAt?: string;
  /** The oldest order change no delivery has followed (when `not_delivered`). */
  undeliveredSince?: string;
}

const REGISTERED = "webhooks.registered_at";
const LAST_DELIVERY = "webhooks.last_delivery_at";

/**
 * Notices webhooks that are registered but never delivered. Real WooCommerce queues deliveries
 * and sends them from its scheduled jobs (about a minute late), and silently refuses delivery
 * URLs on ports other than 80/443/8080 or on private hosts; the poll keeps orders in step
 * meanwhile, but the shop owner should know. Times persist in the store across restarts.
 */
export class WebhookHealth {
  private urlVerdict: DeliveryUrlVerdict | undefined;
  private oldestUnanswered: { orderId: number; at: number } | undefined;
  private reported: WebhookHealthState | undefined;

  constructor(
    private readonly o: {
      store: BridgeStore;
      log: Logger;
      deliveryUrl: string;
      now: () => Date;
      /** How late a delivery may be before it counts as missing (default 5 minutes). */
      graceMs?: number;
    },
  ) {}

  /** The delivery-URL rule's verdict on PUBLIC_URL (start-up). */
  setUrlVerdict(verdict: DeliveryUrlVerdict): void {
    this.urlVerdict = verdict;
    if (!verdict.ok) this.say("url_refused", verdict.message ?? "delivery URL refused");
  }

  /** The bridge created or re-activated its webhooks now. */
  registered(): void {
    this.o.store.setSetting(REGISTERED, this.o.now().toISOString());
    this.oldestUnanswered = undefined;
  }

  /** The webhooks exist and are active: start watching from now if nothing was recorded (an upgrade, a new database). */
  watching(): void {
    if (this.time(REGISTERED) === undefined) this.registered();
  }

  /** A ping or signed delivery arrived. */
  delivered(): void {
    this.o.store.setSetting(LAST_DELIVERY, this.o.now().toISOString());
    this.oldestUnanswered = undefined;
    if (this.reported === "not_delivered") this.say("ok", "webhook deliveries arrive again");
  }

  /** The poll saw an order modified at `modifiedAt`; WooCommerce should deliver a hint for it. */
  orderChanged(orderId: number, modifiedAt: Date): void {
    const at = modifiedAt.getTime();
    if (!Number.isFinite(at)) return;
    const registered = this.time(REGISTERED);
    const last = this.time(LAST_DELIVERY);
    if (registered === undefined || at <= registered) return;
    if (last !== undefined && last >= at) return;
    if (!this.oldestUnanswered || at < this.oldestUnanswered.at) this.oldestUnanswered = { orderId, at };
  }

  /** Evaluates after a poll; logs a warning once when deliveries stop arriving. */
  check(): WebhookHealthReport {
    const report = this.report();
    if (report.state === "not_delivered" && this.reported !== "not_delivered") this.say("not_delivered", report.message!);
    return report;
  }

  report(): WebhookHealthReport {
    const registered = this.time(REGISTERED);
    const last = this.time(LAST_DELIVERY);
    const base: WebhookHealthReport = {
      state: "unknown",
      deliveryUrl: this.o.deliveryUrl,
      ...(registered !== undefined ? { registeredAt: new Date(registered).toISOString() } : {}),
      ...(last !== undefined ? { lastDeliveryAt: new Date(last).toISOString() } : {}),
    };
    const deliveredSinceRegistration = registered !== undefined && last !== undefined && last >= registered;
    // Deliveries that arrive beat the rule (a shop may allow the URL with a WordPress filter).
    if (this.urlVerdict && !this.urlVerdict.ok && !deliveredSinceRegistration) return { ...base, state: "url_refused", message: this.urlVerdict.message! };
    if (registered === undefined) return base;
    const grace = this.o.graceMs ?? 5 * 60_000;
    const pending = this.oldestUnanswered;
    if (pending && (last === undefined || last < pending.at) && this.o.now().getTime() - pending.at > grace) {
      return {
        ...base,
        state: "not_delivered",
        undeliveredSince: new Date(pending.at).toISOString(),
        message: `WooCommerce has delivered no webhook for order ${pending.orderId}, changed ${Math.round((this.o.now().getTime() - pending.at) / 60_000)} min ago${
          last === undefined ? ", nor any since the webhooks were registered" : ""
        }: check that WooCommerce can reach ${this.o.deliveryUrl} (ports 80/443/8080, a public host) and that WP-Cron runs; the poll keeps orders in step meanwhile`,
      };
    }
    return { ...base, state: last !== undefined && last >= registered ? "ok" : "waiting" };
  }

  private time(key: string): number | undefined {
    const v = this.o.store.getSetting(key);
    const t = v ? Date.parse(v) : NaN;
    return Number.isFinite(t) ? t : undefined;
  }

  private say(state: WebhookHealthState, message: string): void {
    this.reported = state;
    if (state === "ok") this.o.log.info(message, { deliveryUrl: this.o.deliveryUrl });
    else this.o.log.warn(`webhooks: ${message}`, { state, deliveryUrl: this.o.deliveryUrl });
  }
}
