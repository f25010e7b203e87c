/**
 * @alipayhk/webhook: Alipay HK for any store or POS through one small HTTP API. Orders, returns
 * and cancels come in (signed per Standard Webhooks or with a bearer token); `payment.*`,
 * `refund.*` and `order.*` events go out, signed, from a durable outbox. State lives in SQLite (embedded) or
 * PostgreSQL. Every Alipay rule comes from `@alipayhk/core`'s flows.
 */
export { createWebhookService, type WebhookService, type WebhookServiceConfig } from "./service";
export { loadConfigFromEnv, ConfigError, ENV_VARIABLES, WEBHOOK_SETTINGS, type EnvConfig } from "./config";
export { DEFAULT_RETRY_LADDER_MS, type OutboxOptions } from "./outbox";
export { jsonLogger, silentLogger, type Logger, type LogLevel, type LogFields } from "./log";
export { HttpError, type HttpErrorBody } from "@alipayhk/service-kit";
/** @deprecated The API's errors are the service kit's {@link HttpError} (same status, code, message, headers). */
export { HttpError as ApiError } from "@alipayhk/service-kit";
export { eventId } from "./events";
export { CANCEL_RETURN_ID, type NewOrderInput, type NewReturnInput, type PaymentRefusal, type PaymentResult } from "./payments";
export { openApiDocument } from "./api/openapi";
export { main, USAGE } from "./main";
export type {
  EventType,
  OrderFlag,
  OrderMode,
  OrderStatus,
  RefundStatus,
  OrderRecord,
  RefundRecord,
  EventRecord,
  DeliveryRecord,
  DeliveryStatus,
  WatchRecord,
} from "./store/records";
export type { Store } from "./store/store";
export type { OutboxStore } from "./store/outbox-store";
