import QRCode from "qrcode";
import { EVENT_TYPES, type DeliveryStatus, type EventType, type OrderStatus } from "../store/records";
import type { OutboxStore } from "../store/outbox-store";
import type { Store } from "../store/store";
import { ApiError, badRequest, notFound } from "../http/errors";
import { json, type Route } from "../http/server";
import type { Payments } from "../payments";
import { eventView, orderView, refundView } from "./views";
import { checkOrderId, parseCancel, parseCreateOrder, parseCreateReturn, parseJsonObject, parseLimit } from "./validate";

export interface ApiRoutesOptions {
  payments: Payments;
  store: Store;
  outbox: OutboxStore;
  /** The base of URLs the API hands out (QR images). */
  baseUrl: () => string;
  now: () => number;
  onEvents: () => void;
  /** False without an endpoint secret: an order's own `notify` endpoint could not verify its events. */
  canSignEvents: boolean;
  /** Accept per-order `notify` URLs on loopback/private hosts. */
  allowPrivateNotifyUrls?: boolean;
}

const ORDER_STATUSES: readonly OrderStatus[] = ["pending", "paid", "failed", "canceled"];
const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "delivered", "dead"];

function oneOf<T extends string>(field: string, value: string | null, allowed: readonly T[]): T | undefined {
  if (value === null) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw badRequest("invalid_request", `${field}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(value.slice(0, 40))}`);
  return value as T;
}

/** `<created_at ms>.<id>`, base64url: where the next page starts. */
function cursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`).toString("base64url");
}

function parseCursor(value: string | null): { createdAt: number; id: string } | undefined {
  if (value === null) return undefined;
  const text = Buffer.from(value, "base64url").toString("utf8");
  const dot = text.indexOf(".");
  const createdAt = Number(text.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(createdAt)) throw badRequest("invalid_request", "cursor: expected the next_cursor of a previous page");
  return { createdAt, id: text.slice(dot + 1) };
}

/** The platform-facing API (`/v1/...`). */
export function apiRoutes(options: ApiRoutesOptions): Route[] {
  const { payments, store, outbox } = options;
  const orderWithRefunds = async (orderId: string) => {
    const order = await store.getOrder(orderId);
    if (!order) throw notFound("order_not_found", `order_id: no order ${JSON.stringify(orderId)}`);
    return orderView(order, options.baseUrl(), await store.refundsOf(orderId));
  };
  return [
    {
      method: "POST",
      pattern: /^\/v1\/orders$/,
      name: "/v1/orders",
      auth: true,
      idempotent: true,
      async handle({ body }) {
        const input = parseCreateOrder(parseJsonObject(body), { allowPrivateNotifyUrls: options.allowPrivateNotifyUrls });
        if (input.notify && !options.canSignEvents) throw badRequest("invalid_request", "notify: not available: no WEBHOOK_ENDPOINT_SECRET is configured to sign the events");
        const { status, value } = await payments.createOrder(input);
        // A new order (or attempt) has no refunds yet; an existing one may.
        const refunds = status === 200 ? await store.refundsOf(value.orderId) : [];
        return json(status, orderView(value, options.baseUrl(), refunds));
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/orders$/,
      name: "/v1/orders",
      auth: true,
      async handle({ url }) {
        const limit = parseLimit(url.searchParams.get("limit"));
        const status = oneOf("status", url.searchParams.get("status"), ORDER_STATUSES);
        const before = parseCursor(url.searchParams.get("cursor"));
        const orders = await store.listOrders({ status, limit, before: before && { createdAt: before.createdAt, orderId: before.id } });
        const last = orders.at(-1);
        return json(200, {
          data: orders.map((order) => orderView(order, options.baseUrl())),
          next_cursor: orders.length === limit && last ? cursor(last.createdAt, last.orderId) : null,
        });
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/orders\/([^/]+)$/,
      name: "/v1/orders/{order_id}",
      auth: true,
      async handle({ params }) {
        return json(200, await orderWithRefunds(checkOrderId(params[0]!)));
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/orders\/([^/]+)\/qr\.svg$/,
      name: "/v1/orders/{order_id}/qr.svg",
      // Shown in the buyer's browser: the QR payload is not a secret (paying it pays the merchant).
      auth: false,
      async handle({ params }) {
        const order = await store.getOrder(checkOrderId(params[0]!));
        if (!order?.qrCode) throw notFound("qr_not_found", `order_id: order ${JSON.stringify(params[0])} has no QR code`);
        const svg = await QRCode.toString(order.qrCode, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
        return { status: 200, body: svg, contentType: "image/svg+xml", headers: { "cache-control": "no-store" } };
      },
    },
    {
      method: "POST",
      pattern: /^\/v1\/orders\/([^/]+)\/cancel$/,
      name: "/v1/orders/{order_id}/cancel",
      auth: true,
      idempotent: true,
      async handle({ params, body }) {
        parseCancel(parseJsonObject(body, true));
        const { status } = await payments.cancel(checkOrderId(params[0]!));
        return json(status, await orderWithRefunds(params[0]!));
      },
    },
    {
      method: "POST",
      pattern: /^\/v1\/returns$/,
      name: "/v1/returns",
      auth: true,
      idempotent: true,
      async handle({ body }) {
        const input = parseCreateReturn(parseJsonObject(body));
        const { status, value } = await payments.refund(input);
        return json(status, { ...refundView(value.refund), order: await orderWithRefunds(value.order.orderId) });
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/events$/,
      name: "/v1/events",
      auth: true,
      async handle({ url }) {
        const limit = parseLimit(url.searchParams.get("limit"));
        const type = oneOf<EventType>("type", url.searchParams.get("type"), EVENT_TYPES);
        const status = oneOf("status", url.searchParams.get("status"), DELIVERY_STATUSES);
        const orderId = url.searchParams.get("order_id") ?? undefined;
        const before = parseCursor(url.searchParams.get("cursor"));
        const events = await outbox.listEvents({ orderId, type, status, limit, before });
        const last = events.at(-1);
        return json(200, { data: events.map(eventView), next_cursor: events.length === limit && last ? cursor(last.createdAt, last.id) : null });
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/events\/([^/]+)$/,
      name: "/v1/events/{event_id}",
      auth: true,
      async handle({ params }) {
        const event = await outbox.getEvent(params[0]!);
        if (!event) throw notFound("event_not_found", `event_id: no event ${JSON.stringify(params[0]!.slice(0, 64))}`);
        return json(200, eventView(event));
      },
    },
    {
      method: "POST",
      pattern: /^\/v1\/events\/([^/]+)\/redeliver$/,
      name: "/v1/events/{event_id}/redeliver",
      auth: true,
      async handle({ params, body }) {
        parseJsonObject(body, true);
        const event = await outbox.getEvent(params[0]!);
        if (!event) throw notFound("event_not_found", `event_id: no event ${JSON.stringify(params[0]!.slice(0, 64))}`);
        if (event.deliveries.length === 0) throw new ApiError(409, "no_endpoints", "event_id: this event has no endpoint to deliver to (WEBHOOK_ENDPOINTS was empty)");
        await outbox.redeliver(event.id, options.now());
        options.onEvents();
        return json(202, eventView((await outbox.getEvent(event.id))!));
      },
    },
  ];
}
