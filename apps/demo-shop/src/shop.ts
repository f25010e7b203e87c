import { randomBytes } from "node:crypto";
import { formatAmount, gmt8Day } from "@alipayhk/core";
import {
  badRequest,
  cookies,
  createHttpHandler,
  html,
  HttpError,
  json,
  parseForm,
  redirect,
  STREAMED,
  unavailable,
  type HttpHandler,
  type Reply,
  type RequestContext,
  type Route,
} from "@alipayhk/service-kit";
import { Webhook } from "standardwebhooks";
import { AdapterError, type AdapterClient } from "./adapter-client";
import { cartTotal, changeCart, describeCart, parseCart, serializeCart, type CartLine } from "./catalog";
import { eventStream, withMessage } from "./http";
import { orderStatusView } from "./order-status";
import { adminPage, reconciliationPage } from "./pages/admin";
import type { LayoutContext } from "./pages/layout";
import { cartPage, errorPage, notFoundPage, orderPage, storefrontPage } from "./pages/shop";
import { reconcile } from "./reconciliation";
import type { ShopOrder, ShopOrders } from "./shop-orders";

export interface ShopContext {
  adapter: AdapterClient;
  orders: ShopOrders;
  /** Verifies the adapter's outbound events (Standard Webhooks, `whsec_...`). */
  eventSecret: string;
  sandboxUrl: string;
  walletUrl: string;
  partner: string;
  log: (line: string) => void;
}

/** The shop's path for the adapter's events. */
export const EVENTS_PATH = "/webhooks/alipayhk";

/** A request body bigger than any form or event the shop expects. */
const MAX_BODY_BYTES = 256 * 1024;

/** `DS-20240102-1a2b3c`: the day for people, random for uniqueness across restarts and data dirs. */
function newOrderId(): string {
  return `DS-${gmt8Day(new Date()).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`;
}

function cartCookie(lines: readonly CartLine[]): string {
  return `cart=${encodeURIComponent(serializeCart(lines))}; Path=/; SameSite=Lax; HttpOnly`;
}

/**
 * The shop's HTTP handler: storefront, cart and checkout for buyers; the live order page; the
 * admin and reconciliation pages; and the endpoint receiving the adapter's signed events.
 */
export function createShopHandler(ctx: ShopContext): HttpHandler {
  return createHttpHandler({
    routes: [...shopPages(ctx), { method: "POST", path: EVENTS_PATH, handle: eventReceiver(ctx) }],
    maxBodyBytes: MAX_BODY_BYTES,
    onUnexpected: (error, request) => ctx.log(`${request.method} ${request.path}: ${(error as Error).message}`),
  });
}

/** `POST /webhooks/alipayhk`: verify the raw bytes first, then fetch the order's state from the adapter. */
function eventReceiver(ctx: ShopContext): Route["handle"] {
  const verifier = new Webhook(ctx.eventSecret);
  return async ({ req, body }) => {
    let event: { type: string; data: { order_id?: string } & Record<string, unknown> };
    try {
      event = verifier.verify(await body(), req.headers as Record<string, string>) as typeof event;
    } catch {
      ctx.log("refused an event whose signature did not verify");
      throw badRequest("invalid_signature", "webhook-signature: does not verify with the shop's event secret");
    }
    const orderId = String(event.data.order_id ?? "");
    const fresh = ctx.orders.recordEvent({
      id: String(req.headers["webhook-id"]),
      type: event.type,
      orderId,
      receivedAt: new Date().toISOString(),
      data: event.data,
    });
    if (fresh) ctx.log(`event ${event.type} for order ${orderId}`);
    if (ctx.orders.get(orderId)) {
      try {
        ctx.orders.update(await ctx.adapter.getOrder(orderId));
      } catch (error) {
        // Not acknowledged: the adapter's outbox delivers the event again later.
        throw unavailable("refresh_failed", `order ${orderId}: the adapter did not answer (${(error as Error).message})`);
      }
    }
    return { status: 204, body: "", contentType: "text/plain; charset=utf-8" };
  };
}

/** The HTML pages; a refusal or a failure is shown as a page, not as JSON. */
function shopPages(ctx: ShopContext): Route[] {
  const layoutContext = ({ req, url }: RequestContext): LayoutContext => {
    const error = url.searchParams.get("error");
    const message = url.searchParams.get("message");
    return {
      walletUrl: ctx.walletUrl,
      cartCount: parseCart(cookies(req).cart).reduce((sum, line) => sum + line.quantity, 0),
      message: error ? { text: error, kind: "error" } : message ? { text: message, kind: "info" } : undefined,
    };
  };

  /**
   * A page route: an HttpError becomes the error page with its status, an adapter failure a 502,
   * anything else a 500 whose cause goes to the log only.
   */
  const page = (
    method: Route["method"],
    path: string,
    handle: (request: RequestContext) => Promise<Reply | typeof STREAMED> | Reply | typeof STREAMED,
  ): Route => ({
    method,
    path,
    handle: async (request) => {
      try {
        return await handle(request);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : error instanceof AdapterError ? 502 : 500;
        if (status >= 500) ctx.log(`${request.req.method} ${request.url.pathname}: ${(error as Error).message}`);
        const shown = status === 500 ? "the shop failed unexpectedly; its log says why" : (error as Error).message;
        return html(status, errorPage(layoutContext(request), status, shown));
      }
    },
  });

  const cartChange = (mode: "add" | "set") =>
    page("POST", `/cart/${mode}`, async (request) => {
      const form = parseForm(await request.body());
      const quantity = mode === "add" ? 1 : Number.parseInt(form.get("quantity") ?? "", 10);
      const lines = changeCart(parseCart(cookies(request.req).cart), form.get("sku") ?? "", Number.isNaN(quantity) ? 0 : quantity, mode);
      return redirect("/cart", { "set-cookie": cartCookie(lines) });
    });

  return [
    page("GET", "/", (request) => html(200, storefrontPage(layoutContext(request)))),
    page("GET", "/cart", (request) => html(200, cartPage(layoutContext(request), parseCart(cookies(request.req).cart)))),
    cartChange("add"),
    cartChange("set"),
    page("POST", "/checkout", (request) => checkout(ctx, request)),
    page("GET", "/orders/:id", (request) => {
      const order = ctx.orders.get(request.params.id!);
      if (!order) return html(404, notFoundPage(layoutContext(request), "No such order in this shop."));
      return html(200, orderPage(layoutContext(request), order, ctx.walletUrl));
    }),
    page("GET", "/orders/:id/events", (request) => {
      const order = ctx.orders.get(request.params.id!);
      if (!order) return html(404, notFoundPage(layoutContext(request), "No such order in this shop."));
      const send = eventStream(request, () => unwatch());
      const unwatch = ctx.orders.watch(order.orderId, (changed) => send("order", orderStatusView(changed)));
      send("order", orderStatusView(order));
      return STREAMED;
    }),
    page("GET", "/admin", async (request) => {
      const orders = await Promise.all(
        (await ctx.adapter.allOrders()).map((order) => (order.status === "paid" || order.paid_at ? ctx.adapter.getOrder(order.order_id) : order)),
      );
      return html(200, adminPage(layoutContext(request), orders, ctx.orders.recentEvents()));
    }),
    page("GET", "/admin/events", (request) => {
      const send = eventStream(request, () => unwatch());
      const unwatch = ctx.orders.watchAll((changed) => send("change", { order_id: changed.orderId }));
      return STREAMED;
    }),
    page("POST", "/admin/orders/:id/refund", async (request) => adminAction(ctx, request.params.id!, "refund", parseForm(await request.body()))),
    page("POST", "/admin/orders/:id/cancel", async (request) => adminAction(ctx, request.params.id!, "cancel", parseForm(await request.body()))),
    page("GET", "/admin/reconciliation", async (request) => {
      const day = request.url.searchParams.get("day") ?? undefined;
      if (day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(day))
        throw badRequest("invalid_day", `day: expected YYYY-MM-DD, got ${JSON.stringify(day.slice(0, 20))}`);
      const result = await reconcile({ sandboxUrl: ctx.sandboxUrl, partner: ctx.partner, adapter: ctx.adapter, day });
      return html(200, reconciliationPage(layoutContext(request), result));
    }),
    { method: "GET", path: "/healthz", handle: () => json(200, { status: "ok" }) },
    // Anything else a browser asks for: the shop's own "not found" page.
    page("GET", "/*", (request) => html(404, notFoundPage(layoutContext(request), `Nothing at ${request.url.pathname}.`))),
  ];
}

/** `POST /checkout`: the order is recorded, then the adapter asked for a QR code or a barcode charge. */
async function checkout(ctx: ShopContext, request: RequestContext): Promise<Reply> {
  const form = parseForm(await request.body());
  const lines = parseCart(cookies(request.req).cart);
  if (lines.length === 0) return redirect(withMessage("/cart", "Your cart is empty.", "error"));
  const mode = form.get("method") === "barcode" ? "barcode" : "qr";
  const buyerCode = (form.get("buyer_code") ?? "").replace(/\s+/g, "");
  const order: ShopOrder = {
    orderId: newOrderId(),
    lines: lines.map((line) => ({ sku: line.product.sku, name: line.product.name, quantity: line.quantity, unitPrice: line.product.price })),
    total: cartTotal(lines),
    mode,
    createdAt: new Date().toISOString(),
  };
  ctx.orders.put(order);
  const created = ctx.adapter
    .createOrder({
      order_id: order.orderId,
      amount: formatAmount(order.total),
      description: describeCart(lines),
      mode,
      buyer_code: mode === "barcode" ? buyerCode : undefined,
    })
    .then((payment) => {
      ctx.orders.update(payment);
      ctx.log(`order ${order.orderId}: ${mode} payment of HKD ${payment.amount} is ${payment.status}`);
    })
    .catch((error: Error) => {
      ctx.orders.put({ ...order, error: error.message });
      ctx.log(`order ${order.orderId}: the adapter refused the payment: ${error.message}`);
    });
  // A QR code comes back at once; a barcode charge may wait for the buyer: the page follows it live.
  if (mode === "qr") await created;
  return redirect(`/orders/${encodeURIComponent(order.orderId)}`, { "set-cookie": cartCookie([]) });
}

/** A Refund or Cancel button of the admin page: through the adapter's API, back to the page with the outcome. */
async function adminAction(ctx: ShopContext, orderId: string, action: "refund" | "cancel", form: URLSearchParams): Promise<Reply> {
  try {
    if (action === "refund") {
      const amount = (form.get("amount") ?? "").trim();
      if (amount === "") return redirect(withMessage("/admin", `Refund of ${orderId}: enter an amount, e.g. 10.00.`, "error"));
      const returnId = `rf-${randomBytes(4).toString("hex")}`;
      const refund = await ctx.adapter.refund({ order_id: orderId, return_id: returnId, amount, reason: "refund from the shop's admin page" });
      ctx.orders.update(refund.order);
      return redirect(withMessage("/admin", `Refund ${returnId} of HKD ${refund.amount} on ${orderId}: ${refund.status}.`));
    }
    const canceled = await ctx.adapter.cancel(orderId, orderId);
    ctx.orders.update(canceled);
    return redirect(withMessage("/admin", `Order ${orderId} is ${canceled.status}${canceled.reversed ? " (payment reversed)" : ""}.`));
  } catch (error) {
    if (error instanceof AdapterError)
      return redirect(withMessage("/admin", `${action === "refund" ? "Refund" : "Cancel"} of ${orderId} refused: ${error.message}`, "error"));
    throw error;
  }
}
