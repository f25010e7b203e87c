import type { AlipayHkClient } from "@alipayhk/core";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Payments } from "../payments";
import type { Db } from "../store/db";
import type { OutboxStore } from "../store/outbox-store";
import type { Store } from "../store/store";
import { NOTIFY_SUCCESS } from "@alipayhk/core";
import { bytes, json, text } from "@alipayhk/service-kit";
import type { ApiRoute } from "../http/pipeline";
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
export function systemRoutes(options: SystemRoutesOptions): ApiRoute[] {
  const { payments, logger, metrics } = options;
  return [
    {
      method: "POST",
      path: "/alipay/notify",
      auth: false,
      async handle({ raw }) {
        // The raw bytes go to core: the charset is the notification's (or the trade's), never
        // the Content-Type header; nothing is parsed or changed before the checks pass.
        try {
          const answer = await payments.notification(raw);
          metrics.notifications.inc({ result: answer.result });
          if (answer.answer === "success") return text(200, NOTIFY_SUCCESS);
          // Not stored: 503 asks Alipay to send it again soon; 400 refuses it for good.
          return text(answer.retryable ? 503 : 400, "fail");
        } catch (error) {
          metrics.notifications.inc({ result: "store_error" });
          logger.log("error", "notification not stored; Alipay will send it again", { error: (error as Error).message });
          return text(500, "fail");
        }
      },
    },
    {
      method: "GET",
      path: "/healthz",
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
      path: "/metrics",
      auth: false,
      async handle() {
        const counts = await options.outbox.counts().catch(() => undefined);
        const gauges = counts
          ? [
              {
                name: "alipayhk_webhook_deliveries",
                help: "Outbound deliveries waiting (pending) or dead-lettered (dead).",
                values: Object.entries(counts).map(([status, value]) => ({ labels: { status }, value })),
              },
            ]
          : [];
        return bytes(200, metrics.render(gauges), "text/plain; version=0.0.4; charset=utf-8", { "cache-control": "no-store" });
      },
    },
    {
      method: "GET",
      path: "/openapi.json",
      auth: false,
      async handle() {
        return json(200, openApiDocument(options.baseUrl()));
      },
    },
  ];
}
