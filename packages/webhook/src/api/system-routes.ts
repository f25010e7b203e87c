import type { AlipayHkClient } from "@alipayhk/core";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Payments } from "../payments";
import type { Db } from "../store/db";
import type { OutboxStore } from "../store/outbox-store";
import type { Store } from "../store/store";
import { json, type Route } from "../http/server";
import { openApiDocument } from "./openapi";

export interface SystemRoutesOptions {
  client: AlipayHkClient;
  payments: Payments;
  store: Store;
  outbox: OutboxStore;
  db: Db;
  logger: Logger;
  metrics: Metrics;
  baseUrl: () => string;
  now: () => number;
  onEvents: () => void;
}

/** Alipay's notify route, health, metrics and the OpenAPI document. */
export function systemRoutes(options: SystemRoutesOptions): Route[] {
  const { payments, logger, metrics } = options;
  const text = (status: number, body: string) => ({ status, body, contentType: "text/plain; charset=utf-8" });
  return [
    {
      method: "POST",
      pattern: /^\/alipay\/notify$/,
      name: "/alipay/notify",
      auth: false,
      async handle({ body }) {
        // The raw bytes go to core: the charset is the notification's (or the trade's), never
        // the Content-Type header; nothing is parsed or changed before the checks pass.
        try {
          const answer = await payments.notification(body);
          metrics.notifications.inc({ result: answer.result });
          return text(answer.status, answer.body);
        } catch (error) {
          metrics.notifications.inc({ result: "store_error" });
          logger.log("error", "notification not stored; Alipay will send it again", { error: (error as Error).message });
          return text(500, "fail");
        }
      },
    },
    {
      method: "GET",
      pattern: /^\/healthz$/,
      name: "/healthz",
      auth: false,
      async handle() {
        try {
          const counts = await options.outbox.counts();
          return json(200, { status: "ok", store: options.db.dialect, outbox: { pending: counts.pending, dead: counts.dead } });
        } catch (error) {
          return json(503, { status: "unavailable", store: options.db.dialect, error: (error as Error).message.slice(0, 200) });
        }
      },
    },
    {
      method: "GET",
      pattern: /^\/metrics$/,
      name: "/metrics",
      auth: false,
      async handle() {
        const counts = await options.outbox.counts().catch(() => undefined);
        const gauges = counts
          ? [{ name: "alipayhk_webhook_deliveries", help: "Outbound deliveries waiting (pending) or dead-lettered (dead).", values: Object.entries(counts).map(([status, value]) => ({ labels: { status }, value })) }]
          : [];
        return { status: 200, body: metrics.render(gauges), contentType: "text/plain; version=0.0.4; charset=utf-8" };
      },
    },
    {
      method: "GET",
      pattern: /^\/openapi\.json$/,
      name: "/openapi.json",
      auth: false,
      async handle() {
        return json(200, openApiDocument(options.baseUrl()));
      },
    },
  ];
}
