/**
 * A few Prometheus metrics in text exposition format 0.0.4: counters with labels, one latency
 * histogram, and gauges read at scrape time. No dependency: the format is three lines a series.
 */

type Labels = Record<string, string>;

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) entry.counts[i]! += 1;
    entry.sum += seconds;
    entry.count += 1;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      BUCKETS.forEach((le, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(le) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

/** The service's metrics. */
export class Metrics {
  readonly httpRequests = new Counter("alipayhk_webhook_http_requests_total", "Inbound HTTP requests by route, method and status.");
  readonly httpDuration = new Histogram("alipayhk_webhook_http_request_duration_seconds", "Inbound HTTP request latency by route.");
  readonly gatewayCalls = new Counter("alipayhk_webhook_gateway_flows_total", "Alipay flows run, by flow and result.");
  readonly notifications = new Counter("alipayhk_webhook_alipay_notifications_total", "Alipay notifications received, by result.");
  readonly eventsDelivered = new Counter("alipayhk_webhook_delivery_attempts_total", "Outbound event delivery attempts, by result.");
  readonly sweeps = new Counter("alipayhk_webhook_sweep_decisions_total", "Background sweep decisions, by kind.");

  /** Renders every metric, plus gauges read now (outbox depth). */
  render(gauges: Array<{ name: string; help: string; values: Array<{ labels: Labels; value: number }> }>): string {
    const lines = [this.httpRequests, this.httpDuration, this.gatewayCalls, this.notifications, this.eventsDelivered, this.sweeps].flatMap((metric) =>
      metric.render(),
    );
    for (const gauge of gauges) {
      lines.push(`# HELP ${gauge.name} ${gauge.help}`, `# TYPE ${gauge.name} gauge`);
      for (const { labels, value } of gauge.values) lines.push(`${gauge.name}${labelText(labels)} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
