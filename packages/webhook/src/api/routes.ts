import { badRequest, bytes, conflict, HttpError, json, notFound, parseJson, type Reply } from "@alipayhk/service-kit";
import QRCode from "qrcode";
import type { ApiRoute } from "../http/pipeline";
import type { PaymentRefusal, PaymentResult, Payments } from "../payments";
import type { OutboxStore } from "../store/outbox-store";
import type { EventType } from "../store/records";
import type { Store } from "../store/store";
import { privateHostReason } from "./notify-url";
import {
  cancelBody,
  createOrderBody,
  createReturnBody,
  eventIdParams,
  listEventsQuery,
  listOrdersQuery,
  orderIdParams,
  parseWith,
  redeliverBody,
} from "./schemas";
import { eventView, orderView, refundView } from "./views";

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

/** The status of each refusal of the payments. */
const REFUSAL_STATUS: Record<PaymentRefusal, number> = {
  order_not_found: 404,
  order_conflict: 409,
  charge_in_progress: 409,
  order_not_paid: 409,
  return_conflict: 409,
  cancel_refused: 409,
  amount_exceeds_refundable: 422,
  gateway_refused: 502,
  gateway_unavailable: 502,
  cancel_unresolved: 503,
};

/** A refusal of the payments as the API's error: the reason is the code. */
function refusal(result: Extract<PaymentResult<unknown>, { ok: false }>): HttpError {
  return new HttpError(REFUSAL_STATUS[result.reason], result.reason, result.message, result.reason === "cancel_unresolved" ? { "retry-after": "30" } : {});
}

/** The value of a successful result, or its refusal thrown as the API's error. */
function okOrRefuse<T>(result: PaymentResult<T>): Extract<PaymentResult<T>, { ok: true }> {
  if (!result.ok) throw refusal(result);
  return result;
}

/** `<created_at ms>.<id>`, base64url: where the next page starts. */
function cursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`).toString("base64url");
}

function parseCursor(value: string | undefined): { createdAt: number; id: string } | undefined {
  if (value === undefined) return undefined;
  const text = Buffer.from(value, "base64url").toString("utf8");
  const dot = text.indexOf(".");
  const createdAt = Number(text.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(createdAt)) throw badRequest("invalid_request", "cursor: expected the next_cursor of a previous page");
  return { createdAt, id: text.slice(dot + 1) };
}

const query = (url: URL) => Object.fromEntries(url.searchParams);

/** The platform-facing API (`/v1/...`). */
export function apiRoutes(options: ApiRoutesOptions): ApiRoute[] {
  const { payments, store, outbox } = options;
  const orderWithRefunds = async (orderId: string) => {
    const order = await store.getOrder(orderId);
    if (!order) throw notFound("order_not_found", `order_id: no order ${JSON.stringify(orderId)}`);
    return orderView(order, options.baseUrl(), await store.refundsOf(orderId));
  };
  const eventOrNotFound = async (id: string) => {
    const event = await outbox.getEvent(id);
    if (!event) throw notFound("event_not_found", `event_id: no event ${JSON.stringify(id.slice(0, 64))}`);
    return event;
  };
  return [
    {
      method: "POST",
      path: "/v1/orders",
      auth: true,
      idempotent: true,
      async handle({ raw }) {
        const body = parseWith(createOrderBody, parseJson(raw));
        if (body.notify !== undefined) {
          if (!options.canSignEvents) throw badRequest("invalid_request", "notify: not available: no WEBHOOK_ENDPOINT_SECRET is configured to sign the events");
          const refused = options.allowPrivateNotifyUrls ? undefined : privateHostReason(new URL(body.notify).hostname);
          if (refused)
            throw badRequest("invalid_request", `notify: expected a URL on a public host, got ${refused} (set ALLOW_PRIVATE_NOTIFY_URLS=1 to allow)`);
        }
        const { value, outcome } = okOrRefuse(
          await payments.createOrder({
            orderId: body.order_id,
            amount: body.amount,
            currency: body.currency,
            description: body.description ?? `Order ${body.order_id}`,
            mode: body.mode,
            buyerCode: body.buyer_code,
            notify: body.notify,
          }),
        );
        // A new order (or attempt) has no refunds yet; an existing one may.
        const refunds = outcome === "existing" ? await store.refundsOf(value.orderId) : [];
        return json(outcome === "existing" ? 200 : outcome === "open" ? 202 : 201, orderView(value, options.baseUrl(), refunds));
      },
    },
    {
      method: "GET",
      path: "/v1/orders",
      auth: true,
      async handle({ url }) {
        const { limit, status, cursor: after } = parseWith(listOrdersQuery, query(url));
        const before = parseCursor(after);
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
      path: "/v1/orders/:order_id",
      auth: true,
      async handle({ params }) {
        return json(200, await orderWithRefunds(parseWith(orderIdParams, params).order_id));
      },
    },
    {
      method: "GET",
      path: "/v1/orders/:order_id/qr.svg",
      // Shown in the buyer's browser: the QR payload is not a secret (paying it pays the merchant).
      auth: false,
      async handle({ params }): Promise<Reply> {
        const { order_id } = parseWith(orderIdParams, params);
        const order = await store.getOrder(order_id);
        if (!order?.qrCode) throw notFound("qr_not_found", `order_id: order ${JSON.stringify(order_id)} has no QR code`);
        const svg = await QRCode.toString(order.qrCode, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
        return bytes(200, svg, "image/svg+xml", { "cache-control": "no-store" });
      },
    },
    {
      method: "POST",
      path: "/v1/orders/:order_id/cancel",
      auth: true,
      idempotent: true,
      async handle({ params, raw }) {
        parseWith(cancelBody, parseJson(raw, { emptyIsObject: true }));
        const { order_id } = parseWith(orderIdParams, params);
        okOrRefuse(await payments.cancel(order_id));
        return json(200, await orderWithRefunds(order_id));
      },
    },
    {
      method: "POST",
      path: "/v1/returns",
      auth: true,
      idempotent: true,
      async handle({ raw }) {
        const body = parseWith(createReturnBody, parseJson(raw));
        const { value, outcome } = okOrRefuse(
          await payments.refund({ orderId: body.order_id, returnId: body.return_id, amount: body.amount, reason: body.reason }),
        );
        return json(outcome === "existing" ? 200 : 201, { ...refundView(value.refund), order: await orderWithRefunds(value.order.orderId) });
      },
    },
    {
      method: "GET",
      path: "/v1/events",
      auth: true,
      async handle({ url }) {
        const { limit, type, status, order_id: orderId, cursor: after } = parseWith(listEventsQuery, query(url));
        const events = await outbox.listEvents({ orderId, type: type as EventType | undefined, status, limit, before: parseCursor(after) });
        const last = events.at(-1);
        return json(200, { data: events.map(eventView), next_cursor: events.length === limit && last ? cursor(last.createdAt, last.id) : null });
      },
    },
    {
      method: "GET",
      path: "/v1/events/:event_id",
      auth: true,
      async handle({ params }) {
        return json(200, eventView(await eventOrNotFound(parseWith(eventIdParams, params).event_id)));
      },
    },
    {
      method: "POST",
      path: "/v1/events/:event_id/redeliver",
      auth: true,
      async handle({ params, raw }) {
        parseWith(redeliverBody, parseJson(raw, { emptyIsObject: true }));
        const event = await eventOrNotFound(parseWith(eventIdParams, params).event_id);
        if (event.deliveries.length === 0) throw conflict("no_endpoints", "event_id: this event has no endpoint to deliver to (WEBHOOK_ENDPOINTS was empty)");
        await outbox.redeliver(event.id, options.now());
        options.onEvents();
        return json(202, eventView((await outbox.getEvent(event.id))!));
      },
    },
  ];
}
