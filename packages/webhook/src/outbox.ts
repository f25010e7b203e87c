import { setMaxListeners } from "node:events";
import type { Clock } from "@alipayhk/core";
import { Webhook } from "standardwebhooks";
import { publicOnlyLookup } from "./api/notify-url";
import { safeUrl, type Logger } from "./log";
import type { Metrics } from "./metrics";
import type { ClaimedDelivery, OutboxStore } from "./store/outbox-store";
import type { KeepAliveClient } from "./transport";

/**
 * The default retry ladder: the wait before each attempt (immediately, 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h), then the delivery is dead until redelivered by the API.
 */
export const DEFAULT_RETRY_LADDER_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface OutboxOptions {
  /** `whsec_...`: signs every delivery per Standard Webhooks. Required when there are endpoints. */
  secret?: string;
  /** Waits before each attempt; the first is usually 0. Default {@link DEFAULT_RETRY_LADDER_MS}. */
  ladderMs?: readonly number[];
  /** Multiplies every wait of the ladder (0.001 makes 5 min pass in 300 ms). Default 1. */
  timeScale?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** How long a claimed delivery is hidden from other workers. Default timeout + 5 s. */
  leaseMs?: number;
  /** Deliveries in flight at once, per instance. Default 8. */
  concurrency?: number;
  /** How often to look for due deliveries (other instances' and retries). Default 1 s. */
  pollIntervalMs?: number;
  /**
   * Endpoints the operator configured: delivered to wherever they resolve. Any other endpoint (an
   * order's own `notify` URL) connects only to public addresses, unless `allowPrivateEndpoints`.
   */
  trustedEndpoints?: readonly string[];
  /** Let per-order endpoints resolve to loopback/private addresses (ALLOW_PRIVATE_NOTIFY_URLS). */
  allowPrivateEndpoints?: boolean;
}

/**
 * Delivers the outbox: claims due deliveries, POSTs each signed event, records the result, and
 * schedules the next step of the ladder. Several workers (instances) can share one database.
 */
export class OutboxWorker {
  private readonly webhook: Webhook | undefined;
  private readonly ladder: readonly number[];
  private readonly scale: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private running = false;

  constructor(
    private readonly store: OutboxStore,
    options: OutboxOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly http: KeepAliveClient,
  ) {
    this.webhook = options.secret ? new Webhook(options.secret) : undefined;
    // One listener per delivery in flight; more than the default 10 is expected.
    setMaxListeners(0, this.abort.signal);
    this.ladder = options.ladderMs ?? DEFAULT_RETRY_LADDER_MS;
    this.scale = options.timeScale ?? 1;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 5_000;
    this.concurrency = options.concurrency ?? 8;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.trusted = new Set(options.trustedEndpoints ?? []);
    this.allowPrivate = options.allowPrivateEndpoints ?? false;
  }

  private readonly trusted: Set<string>;
  private readonly allowPrivate: boolean;
  private readonly publicLookup = publicOnlyLookup();

  start(): void {
    // With no secret there are no endpoints, hence no deliveries to send.
    this.running = this.webhook !== undefined;
    this.kick();
  }

  /** Looks for work now (called after a transaction that added events). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /** Stops claiming and waits for (or, after `graceMs`, aborts) the attempts in flight. */
  async stop(graceMs = 2_000): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    const settled = Promise.allSettled([...this.inFlight]);
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    await settled;
    clearTimeout(timer);
  }

  /** The wait after the n-th failed attempt (scaled), or undefined when the ladder is used up. */
  delayAfter(attempts: number): number | undefined {
    const step = this.ladder[attempts];
    return step === undefined ? undefined : Math.round(step * this.scale);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.running && this.inFlight.size < this.concurrency) {
          const claimed = await this.store.claim(this.clock.now().getTime(), this.concurrency - this.inFlight.size, this.leaseMs);
          if (claimed.length === 0) break;
          for (const delivery of claimed) this.track(this.deliver(delivery));
        }
      } while (this.again && this.running);
    } catch (error) {
      this.logger.log("error", "outbox claim failed", { error: (error as Error).message });
    } finally {
      this.pumping = false;
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => this.kick(), this.pollIntervalMs);
    this.timer.unref();
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(attempt);
      this.kick();
    });
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const sentAt = new Date();
    const headers = {
      "content-type": "application/json",
      "user-agent": "alipayhk-webhook",
      "webhook-id": delivery.eventId,
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": this.webhook!.sign(delivery.eventId, sentAt, delivery.payload),
    };
    let result: { ok: boolean; httpStatus?: number; error?: string };
    try {
      const lookup = this.allowPrivate || this.trusted.has(delivery.endpoint) ? undefined : this.publicLookup;
      const response = await this.http.request(delivery.endpoint, {
        method: "POST",
        headers,
        body: delivery.payload,
        timeoutMs: this.timeoutMs,
        signal: this.abort.signal,
        lookup,
      });
      const ok = response.status >= 200 && response.status < 300;
      result = { ok, httpStatus: response.status, error: ok ? undefined : `HTTP ${response.status}` };
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { timedOut?: boolean };
      result = { ok: false, error: e.timedOut ? "timeout" : (e.code ?? e.message) };
    }
    this.metrics.eventsDelivered.inc({ result: result.ok ? "delivered" : "failed" });
    try {
      const status = await this.store.record(delivery, result, this.clock.now().getTime(), (n) => this.delayAfter(n));
      const level = result.ok ? "debug" : status === "dead" ? "error" : "warn";
      this.logger.log(level, result.ok ? "event delivered" : status === "dead" ? "event dead-lettered" : "event delivery failed", {
        event_id: delivery.eventId,
        endpoint: safeUrl(delivery.endpoint),
        attempt: delivery.attempts + 1,
        http_status: result.httpStatus,
        error: result.error,
      });
    } catch (error) {
      // The lease runs out and the delivery is tried again: at least once.
      this.logger.log("error", "outbox record failed", { event_id: delivery.eventId, error: (error as Error).message });
    }
  }
}
