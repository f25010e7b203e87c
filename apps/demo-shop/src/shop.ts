import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatAmount, gmt8Day } from "@alipayhk/core";
import { Webhook } from "standardwebhooks";
import { AdapterError, type AdapterClient } from "./adapter-client";
import { cartTotal, changeCart, describeCart, parseCart, serializeCart, type CartLine } from "./catalog";
import { cookies, eventStream, html, HttpError, json, readBody, readForm, redirect, withMessage } from "./http";
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

/** `DS-20240102-1a2b3c`: the day for people, random for uniqueness across restarts and data dirs. */
function newOrderId(): string {
  return `DS-${gmt8Day(new Date()).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`;
}

function cartCookie(lines: readonly CartLine[]): string {
  return `cart=${encodeURIComponent(serializeCart(lines))}; Path=/; SameSite=Lax; HttpOnly`;
}

/**
 * The shop's request listener: storefront, cart and checkout for buyers; the live order page;
 * the admin and reconciliation pages; and the endpoint receiving the adapter's signed events.
 */
export function createShopHandler(ctx: ShopContext): (req: IncomingMessage, res: ServerResponse) => void {
  const verifier = new Webhook(ctx.eventSecret);

  const layoutContext = (req: IncomingMessage, url: URL): LayoutContext => {
    const error = url.searchParams.get("error");
    const message = url.searchParams.get("message");
    return {
      walletUrl: ctx.walletUrl,
      cartCount: parseCart(cookies(req).cart).reduce((sum, line) => sum + line.quantity, 0),
      message: error ? { text: error, kind: "error" } : message ? { text: message, kind: "info" } : undefined,
    };
  };

  /** Asks the adapter for the order's state and tells the order page and the admin page. */
  const refresh = async (orderId: string): Promise<void> => {
    ctx.orders.update(await ctx.adapter.getOrder(orderId));
  };

  async function checkout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const lines = parseCart(cookies(req).cart);
    if (lines.length === 0) return redirect(res, withMessage("/cart", "Your cart is empty.", "error"));
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
      .createOrder({ order_id: order.orderId, amount: formatAmount(order.total), description: describeCart(lines), mode, buyer_code: mode === "barcode" ? buyerCode : undefined })
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
    redirect(res, `/orders/${encodeURIComponent(order.orderId)}`, { "set-cookie": cartCookie([]) });
  }

  /** `POST /webhooks/alipayhk`: verify the raw bytes first, then fetch the order's state from the adapter. */
  async function receiveEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let event: { type: string; data: { order_id?: string } & Record<string, unknown> };
    try {
      event = verifier.verify(body, req.headers as Record<string, string>) as typeof event;
    } catch {
      ctx.log("refused an event whose signature did not verify");
      return json(res, 400, { error: "invalid_signature" });
    }
    const orderId = String(event.data.order_id ?? "");
    const fresh = ctx.orders.recordEvent({ id: String(req.headers["webhook-id"]), type: event.type, orderId, receivedAt: new Date().toISOString(), data: event.data });
    if (fresh) ctx.log(`event ${event.type} for order ${orderId}`);
    if (ctx.orders.get(orderId)) {
      try {
        await refresh(orderId);
      } catch (error) {
        // Not acknowledged: the adapter's outbox delivers the event again later.
        return json(res, 503, { error: "refresh_failed", message: (error as Error).message });
      }
    }
    res.writeHead(204).end();
  }

  async function adminAction(res: ServerResponse, orderId: string, action: string, form: URLSearchParams): Promise<void> {
    try {
      if (action === "refund") {
        const amount = (form.get("amount") ?? "").trim();
        if (amount === "") return redirect(res, withMessage("/admin", `Refund of ${orderId}: enter an amount, e.g. 10.00.`, "error"));
        const returnId = `rf-${randomBytes(4).toString("hex")}`;
        const refund = await ctx.adapter.refund({ order_id: orderId, return_id: returnId, amount, reason: "refund from the shop's admin page" });
        ctx.orders.update(refund.order);
        return redirect(res, withMessage("/admin", `Refund ${returnId} of HKD ${refund.amount} on ${orderId}: ${refund.status}.`));
      }
      const canceled = await ctx.adapter.cancel(orderId, orderId);
      ctx.orders.update(canceled);
      return redirect(res, withMessage("/admin", `Order ${orderId} is ${canceled.status}${canceled.reversed ? " (payment reversed)" : ""}.`));
    } catch (error) {
      if (error instanceof AdapterError) return redirect(res, withMessage("/admin", `${action === "refund" ? "Refund" : "Cancel"} of ${orderId} refused: ${error.message}`, "error"));
      throw error;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://shop.local");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const orderMatch = /^\/orders\/([^/]+)(\/events)?$/.exec(path);
    const adminMatch = /^\/admin\/orders\/([^/]+)\/(refund|cancel)$/.exec(path);

    if (method === "GET" && path === "/") return html(res, 200, storefrontPage(layoutContext(req, url)));
    if (method === "GET" && path === "/cart") return html(res, 200, cartPage(layoutContext(req, url), parseCart(cookies(req).cart)));
    if (method === "POST" && (path === "/cart/add" || path === "/cart/set")) {
      const form = await readForm(req);
      const quantity = path === "/cart/add" ? 1 : Number.parseInt(form.get("quantity") ?? "", 10);
      const lines = changeCart(parseCart(cookies(req).cart), form.get("sku") ?? "", Number.isNaN(quantity) ? 0 : quantity, path === "/cart/add" ? "add" : "set");
      return redirect(res, "/cart", { "set-cookie": cartCookie(lines) });
    }
    if (method === "POST" && path === "/checkout") return checkout(req, res);
    if (method === "POST" && path === EVENTS_PATH) return receiveEvent(req, res);

    if (method === "GET" && orderMatch) {
      const order = ctx.orders.get(decodeURIComponent(orderMatch[1]!));
      if (!order) return html(res, 404, notFoundPage(layoutContext(req, url), "No such order in this shop."));
      if (!orderMatch[2]) return html(res, 200, orderPage(layoutContext(req, url), order, ctx.walletUrl));
      const send = eventStream(req, res, () => unwatch());
      const unwatch = ctx.orders.watch(order.orderId, (changed) => send("order", orderStatusView(changed)));
      send("order", orderStatusView(order));
      return;
    }

    if (method === "GET" && path === "/admin") {
      const orders = await Promise.all((await ctx.adapter.allOrders()).map((order) => (order.status === "paid" || order.paid_at ? ctx.adapter.getOrder(order.order_id) : order)));
      return html(res, 200, adminPage(layoutContext(req, url), orders, ctx.orders.recentEvents()));
    }
    if (method === "GET" && path === "/admin/events") {
      const send = eventStream(req, res, () => unwatch());
      const unwatch = ctx.orders.watchAll((changed) => send("change", { order_id: changed.orderId }));
      return;
    }
    if (method === "POST" && adminMatch) return adminAction(res, decodeURIComponent(adminMatch[1]!), adminMatch[2]!, await readForm(req));
    if (method === "GET" && path === "/admin/reconciliation") {
      const day = url.searchParams.get("day") ?? undefined;
      if (day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new HttpError(400, `day: expected YYYY-MM-DD, got ${JSON.stringify(day.slice(0, 20))}`);
      const result = await reconcile({ sandboxUrl: ctx.sandboxUrl, partner: ctx.partner, adapter: ctx.adapter, day });
      return html(res, 200, reconciliationPage(layoutContext(req, url), result));
    }
    if (method === "GET" && path === "/healthz") return json(res, 200, { status: "ok" });
    html(res, 404, notFoundPage(layoutContext(req, url), `Nothing at ${path}.`));
  }

  return (req, res) => {
    route(req, res).catch((error: Error) => {
      const status = error instanceof HttpError ? error.status : error instanceof AdapterError ? 502 : 500;
      if (status >= 500) ctx.log(`${req.method} ${req.url}: ${error.message}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      const url = new URL(req.url ?? "/", "http://shop.local");
      html(res, status, errorPage(layoutContext(req, url), status, error.message));
    });
  };
}
