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
 * - a REST-created active webhook always sends the unsigned form ping `webhook_id=N`; an update
 *   pings only when the delivery URL changed or the first ping never succeeded
 *   (`pending_delivery`), so re-activating a disabled webhook does not ping;
 * - deliveries and pings go through `wp_safe_remote_request()`: {@link wpHttpValidateUrl} refuses
 *   ports other than 80/443/8080 (unless host and port are the shop's own) and loopback/private
 *   hosts other than the shop's; a refused URL gets no request, and each refusal counts as a failure.
 *   {@link WebhookEmitter.allowPort} / {@link WebhookEmitter.allowHost} are the
 *   `http_allowed_safe_ports` / `http_request_host_is_external` filters (setup.sh's test-only
 *   mu-plugin), which tests of the happy path use to reach a bridge on a random loopback port;
 * - real WooCommerce sends deliveries from its scheduled jobs, in batches about a minute late:
 *   `mode: "manual"` is that (the test runs the cron with {@link WebhookEmitter.flush});
 * - nothing is retried.
 * Faults can drop (lose) or duplicate the next deliveries.
 */

export interface FakeWebhook {
  id: number;
  name: string;
  status: "active" | "paused" | "disabled";
  topic: string;
  deliveryUrl: string;
  secret: string;
  failureCount: number;
  /** WooCommerce's `pending_delivery`: true until a ping answered 200. */
  pendingDelivery: boolean;
  dateCreated: Date;
  dateModified: Date;
}

export interface DeliveryLog {
  webhookId: number;
  topic: string;
  resourceId: number;
  /** HTTP status, or 0 for a network error or a refused URL; `null` when the fault injector dropped it. */
  status: number | null;
  /** wp_http_validate_url() refused the delivery URL: no request was made ("A valid URL was not provided."). */
  refused?: boolean;
  body: string;
}

export interface PingLog {
  webhookId: number;
  status: number;
  /** `deliver_ping()` fails unless the answer is exactly 200. */
  ok: boolean;
  refused?: boolean;
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
  private readonly extraPorts = new Set<number>();
  private readonly externalHosts = new Set<string>();

  constructor(
    private readonly now: () => Date,
    private readonly payloadFor: (topic: string, resourceId: number) => unknown,
    private readonly source: () => string,
  ) {}

  static isValidTopic(topic: string): boolean {
    return TOPICS.includes(topic) || /^action\.(woocommerce_|wc_)/.test(topic);
  }

  /** The `http_allowed_safe_ports` filter: also deliver to this port. */
  allowPort(port: number): void {
    this.extraPorts.add(port);
  }

  /** The `http_request_host_is_external` filter: treat this loopback/private host as external. */
  allowHost(host: string): void {
    this.externalHosts.add(host.toLowerCase());
  }

  create(input: { name: string; topic: string; deliveryUrl: string; secret: string; status: FakeWebhook["status"] }): FakeWebhook {
    const now = this.now();
    const hook: FakeWebhook = { id: this.nextId++, ...input, failureCount: 0, pendingDelivery: true, dateCreated: now, dateModified: now };
    this.webhooks.set(hook.id, hook);
    if (hook.status === "active") void this.ping(hook);
    return hook;
  }

  update(hook: FakeWebhook, patch: Partial<Pick<FakeWebhook, "name" | "topic" | "deliveryUrl" | "secret" | "status">>): void {
    const urlChanged = patch.deliveryUrl !== undefined && patch.deliveryUrl !== hook.deliveryUrl;
    Object.assign(hook, patch);
    hook.dateModified = this.now();
    if (hook.status === "active" && (urlChanged || hook.pendingDelivery)) void this.ping(hook);
  }

  /**
   * WordPress's `wp_http_validate_url()` (6.x) as wp_safe_remote_request() applies it, with this
   * emitter's filters. Returns false when WordPress would refuse the URL.
   */
  wpHttpValidateUrl(url: string): boolean {
    let u: URL;
    let home: URL;
    try {
      u = new URL(url);
      home = new URL(this.source());
    } catch {
      return false;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return false;
    if (u.username || u.password) return false;
    const host = u.hostname.toLowerCase();
    if (!host || /[:#?[\]]/.test(host)) return false;
    const sameHost = host === home.hostname.toLowerCase();
    if (!sameHost) {
      // gethostbyname(): literal IPv4 or a name; offline, only localhost resolves.
      const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : host === "localhost" ? "127.0.0.1" : null;
      if (ip === null) return false;
      const [a, b] = ip.split(".").map(Number) as [number, number];
      const isPrivate = a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
      if (isPrivate && !this.externalHosts.has(host)) return false;
    }
    // PHP's parse_url() keeps an explicit default port; WHATWG URL drops it (then it is 80/443 anyway).
    if (u.port === "") return true;
    const port = Number(u.port);
    if ([80, 443, 8080, ...this.extraPorts].includes(port)) return true;
    return sameHost && home.port !== "" && Number(home.port) === port;
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
    if (hook?.status !== "active") return;
    const body = wpJsonEncode(this.payloadFor(job.topic, job.resourceId));
    if (this.dropNext > 0) {
      this.dropNext--;
      this.deliveries.push({ webhookId: hook.id, topic: job.topic, resourceId: job.resourceId, status: null, body });
      return;
    }
    const times = this.duplicateNext > 0 ? 2 : 1;
    if (this.duplicateNext > 0) this.duplicateNext--;
    for (let i = 0; i < times; i++) {
      const refused = !this.wpHttpValidateUrl(hook.deliveryUrl);
      const status = await this.post(hook, job.topic, body);
      this.deliveries.push({ webhookId: hook.id, topic: job.topic, resourceId: job.resourceId, status, body, ...(refused ? { refused } : {}) });
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
    if (!this.wpHttpValidateUrl(hook.deliveryUrl)) return 0;
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
    if (!this.wpHttpValidateUrl(hook.deliveryUrl)) {
      this.pings.push({ webhookId: hook.id, status: 0, ok: false, refused: true });
      return;
    }
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
    if (status === 200) hook.pendingDelivery = false;
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
