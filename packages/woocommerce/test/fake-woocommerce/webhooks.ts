import { createHmac, randomBytes } from "node:crypto";
import { wcDates } from "./shop.js";
import { wpJsonEncode } from "./wp-json.js";

/**
 * WooCommerce webhooks as `WC_Webhook` and `wc-webhook-functions.php` run them:
 * - deliveries are queued and sent later (Action Scheduler), at most one queued per
 *   (webhook, resource): quick successive changes arrive as ONE delivery carrying the state at
 *   send time;
 * - the body is `wp_json_encode(payload)` signed base64(HMAC-SHA256(body, secret));
 * - 2xx/301/302 is success and resets the failure count; otherwise the count grows and past
 *   `maxFailures` (5) the webhook is `disabled` and receives nothing until set `active` again;
 * - creating or activating a webhook sends the unsigned form ping `webhook_id=N`;
 * - nothing is retried.
 * The test controls time: `mode: "manual"` holds deliveries until {@link WebhookEmitter.flush}, and
 * faults can drop (lose) or duplicate the next deliveries.
 */

export interface FakeWebhook {
  id: number;
  name: string;
  status: "active" | "paused" | "disabled";
  topic: string;
  deliveryUrl: string;
  secret: string;
  failureCount: number;
  dateCreated: Date;
  dateModified: Date;
}

export interface DeliveryLog {
  webhookId: number;
  topic: string;
  resourceId: number;
  /** HTTP status, or 0 for a network error; `null` when the fault injector dropped it. */
  status: number | null;
  body: string;
}

export interface PingLog {
  webhookId: number;
  status: number;
  /** `deliver_ping()` fails unless the answer is exactly 200. */
  ok: boolean;
}

const TOPICS = ["order", "product", "coupon", "customer"].flatMap((r) => ["created", "updated", "deleted", "restored"].map((e) => `${r}.${e}`));

export class WebhookEmitter {
  readonly webhooks = new Map<number, FakeWebhook>();
  readonly deliveries: DeliveryLog[] = [];
  readonly pings: PingLog[] = [];
  mode: "auto" | "manual" = "auto";
  maxFailures = 5;
  private queue = new Map<string, { webhookId: number; topic: string; resourceId: number }>();
  private dropNext = 0;
  private duplicateNext = 0;
  private nextId = 140;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly now: () => Date,
    private readonly payloadFor: (topic: string, resourceId: number) => unknown,
    private readonly source: () => string,
  ) {}

  static isValidTopic(topic: string): boolean {
    return TOPICS.includes(topic) || /^action\.(woocommerce_|wc_)/.test(topic);
  }

  create(input: { name: string; topic: string; deliveryUrl: string; secret: string; status: FakeWebhook["status"] }): FakeWebhook {
    const now = this.now();
    const hook: FakeWebhook = { id: this.nextId++, ...input, failureCount: 0, dateCreated: now, dateModified: now };
    this.webhooks.set(hook.id, hook);
    if (hook.status === "active") void this.ping(hook);
    return hook;
  }

  update(hook: FakeWebhook, patch: Partial<Pick<FakeWebhook, "name" | "topic" | "deliveryUrl" | "secret" | "status">>): void {
    const wasActive = hook.status === "active";
    Object.assign(hook, patch);
    hook.dateModified = this.now();
    if (!wasActive && hook.status === "active") void this.ping(hook);
  }

  /** A change happened (a hook fired): queue one delivery per subscribed active webhook, coalesced. */
  notify(topic: string, resourceId: number): void {
    for (const hook of this.webhooks.values()) {
      if (hook.status !== "active" || hook.topic !== topic) continue;
      const key = `${hook.id}:${resourceId}`;
      if (this.queue.has(key)) continue;
      this.queue.set(key, { webhookId: hook.id, topic, resourceId });
    }
    if (this.mode === "auto" && this.queue.size) setImmediate(() => void this.flush());
  }

  /** Runs the queued deliveries now (the Action Scheduler run); resolves when all were answered. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const jobs = [...this.queue.values()];
      this.queue.clear();
      for (const job of jobs) await this.deliver(job);
    });
    return this.flushing;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** The next `n` deliveries are lost (never sent): a dead cron, a WAF, a crashed worker. */
  dropNextDeliveries(n: number): void {
    this.dropNext += n;
  }

  /** The next `n` deliveries are sent twice (two workers picking up the same action). */
  duplicateNextDeliveries(n: number): void {
    this.duplicateNext += n;
  }

  private async deliver(job: { webhookId: number; topic: string; resourceId: number }): Promise<void> {
    const hook = this.webhooks.get(job.webhookId);
    if (!hook || hook.status !== "active") return;
    const body = wpJsonEncode(this.payloadFor(job.topic, job.resourceId));
    if (this.dropNext > 0) {
      this.dropNext--;
      this.deliveries.push({ webhookId: hook.id, topic: job.topic, resourceId: job.resourceId, status: null, body });
      return;
    }
    const times = this.duplicateNext > 0 ? (this.duplicateNext--, 2) : 1;
    for (let i = 0; i < times; i++) {
      const status = await this.post(hook, job.topic, body);
      this.deliveries.push({ webhookId: hook.id, topic: job.topic, resourceId: job.resourceId, status, body });
      if (status >= 200 && status < 303) {
        hook.failureCount = 0;
      } else if (hook.failureCount > this.maxFailures) {
        hook.status = "disabled";
      } else {
        hook.failureCount++;
      }
    }
  }

  private async post(hook: FakeWebhook, topic: string, body: string): Promise<number> {
    const [resource, event] = topic.split(".");
    try {
      const res = await fetch(hook.deliveryUrl, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(60_000),
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.1.9)",
          "X-WC-Webhook-Source": `${this.source()}/`,
          "X-WC-Webhook-Topic": topic,
          "X-WC-Webhook-Resource": resource!,
          "X-WC-Webhook-Event": event!,
          "X-WC-Webhook-Signature": createHmac("sha256", hook.secret).update(body).digest("base64"),
          "X-WC-Webhook-ID": String(hook.id),
          "X-WC-Webhook-Delivery-ID": randomBytes(16).toString("hex"),
        },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  private async ping(hook: FakeWebhook): Promise<void> {
    let status = 0;
    try {
      const res = await fetch(hook.deliveryUrl, {
        method: "POST",
        redirect: "manual",
        headers: { "User-Agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.1.9)", "Content-Type": "application/x-www-form-urlencoded" },
        body: `webhook_id=${hook.id}`,
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0;
    }
    this.pings.push({ webhookId: hook.id, status, ok: status === 200 });
  }

  render(hook: FakeWebhook, base: string): Record<string, unknown> {
    const [resource, event] = hook.topic.split(".");
    const created = wcDates(hook.dateCreated);
    const modified = wcDates(hook.dateModified);
    return {
      id: hook.id,
      name: hook.name,
      status: hook.status,
      topic: hook.topic,
      resource,
      event,
      hooks: hooksFor(hook.topic),
      delivery_url: hook.deliveryUrl,
      date_created: created.local,
      date_created_gmt: created.gmt,
      date_modified: modified.local,
      date_modified_gmt: modified.gmt,
      _links: {
        self: [{ href: `${base}/wp-json/wc/v3/webhooks/${hook.id}` }],
        collection: [{ href: `${base}/wp-json/wc/v3/webhooks` }],
      },
    };
  }
}

function hooksFor(topic: string): string[] {
  switch (topic) {
    case "order.created":
      return ["woocommerce_new_order"];
    case "order.updated":
      return ["woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"];
    case "order.deleted":
      return ["wp_trash_post", "woocommerce_trash_order"];
    case "order.restored":
      return ["untrashed_post"];
    default:
      return [];
  }
}
