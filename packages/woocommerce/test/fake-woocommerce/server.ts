import { timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { makeTestCertificates } from "./certs.js";
import { fixture } from "./fixtures.js";
import { OAuthFailure, OAuthVerifier, parseOAuthHeader, phpParseQuery, type PhpParams } from "./oauth.js";
import { renderNote, renderOrder, renderRefund } from "./render.js";
import { FakeShop, WcRestError, type FakeOrder, type ShopEvent } from "./shop.js";
import { WebhookEmitter } from "./webhooks.js";

/**
 * A WooCommerce REST API v3 contract fake on loopback: the routes the bridge uses, WooCommerce's
 * authentication (Basic or query keys over HTTPS, OAuth 1.0a over HTTP), its pagination headers,
 * error shapes and the order/refund/webhook rules of the spec, served from the fixtures. See
 * `shop.ts` for the rules and `webhooks.ts` for delivery.
 *
 * @example
 * const woo = await FakeWooCommerce.start({ protocol: "https" });
 * const order = woo.shop.seedOrder({ total: "88.00" });
 * // new WooClient({ url: woo.url, ...woo.key, httpsAgent: new https.Agent({ ca: woo.caPem }) })
 */

export interface ApiKey {
  consumerKey: string;
  consumerSecret: string;
  permissions: "read" | "write" | "read_write";
}

export interface FakeWooOptions {
  protocol?: "https" | "http";
  keys?: ApiKey[];
  now?: () => Date;
}

export interface RequestLog {
  method: string;
  path: string;
  auth: "basic" | "query" | "oauth" | "none";
  status: number;
  contentType: string | undefined;
  /** The raw query string (for replaying an OAuth-signed request in tests). */
  search: string;
}

const DEFAULT_KEY: ApiKey = {
  consumerKey: "ck_4a1f0c6d2b3e4f5a6b7c8d9e0f1a2b3c4d5e6f70",
  consumerSecret: "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
  permissions: "read_write",
};

export class FakeWooCommerce {
  readonly shop: FakeShop;
  readonly webhooks: WebhookEmitter;
  readonly requests: RequestLog[] = [];
  /** PEM of the CA that signed the HTTPS certificate (undefined over HTTP). */
  readonly caPem: string | undefined;
  url = "";
  private readonly keys: ApiKey[];
  private readonly oauth: OAuthVerifier;
  private server!: Server;
  clock: () => Date;

  private constructor(
    readonly protocol: "https" | "http",
    options: FakeWooOptions,
    caPem?: string,
  ) {
    this.clock = options.now ?? (() => new Date());
    const now = () => this.clock();
    this.keys = options.keys ?? [DEFAULT_KEY];
    this.caPem = caPem;
    this.webhooks = new WebhookEmitter(
      now,
      (topic, id) => this.payloadFor(topic, id),
      () => this.url,
    );
    this.shop = new FakeShop(now, (e: ShopEvent) => this.webhooks.notify(e.topic, e.orderId));
    this.oauth = new OAuthVerifier((ck) => this.keys.find((k) => k.consumerKey === ck), now);
  }

  /** The first (read/write) key: `{ consumerKey, consumerSecret }`. */
  get key(): { consumerKey: string; consumerSecret: string } {
    const k = this.keys[0]!;
    return { consumerKey: k.consumerKey, consumerSecret: k.consumerSecret };
  }

  static async start(options: FakeWooOptions = {}): Promise<FakeWooCommerce> {
    const protocol = options.protocol ?? "https";
    const certs = protocol === "https" ? makeTestCertificates() : undefined;
    const fake = new FakeWooCommerce(protocol, options, certs?.caPem);
    const handler = (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res);
    fake.server = certs ? createHttpsServer({ key: certs.keyPem, cert: certs.certPem }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.url = `${protocol}://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    await this.webhooks.flush().catch(() => {});
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The thank-you page URL WooCommerce would send the customer to. */
  thankYouUrl(order: FakeOrder): string {
    return `${this.url}/checkout/order-received/${order.id}/?key=${order.orderKey}`;
  }

  private payloadFor(topic: string, id: number): unknown {
    const order = this.shop.orders.get(id);
    if (topic.endsWith(".deleted") || !order) return { id };
    return renderOrder(this.shop, order, this.url);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const log: RequestLog = {
      method: req.method ?? "GET",
      path: url.pathname,
      auth: "none",
      status: 0,
      contentType: req.headers["content-type"],
      search: url.search,
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      this.requests.push(log);
      res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const raw = await readBody(req);
      if (!url.pathname.startsWith("/wp-json/")) return this.servePage(url, res, log);
      const route = url.pathname.slice("/wp-json/".length).replace(/\/$/, "");
      const query = phpParseQuery(url.search.slice(1));
      const body = parseBody(req.headers["content-type"], raw);
      const isForm = /^application\/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "");
      const key = this.authenticate(req, url, query, isForm && body ? (body as PhpParams) : {}, log);
      if (!route.startsWith("wc/v3/")) throw noRoute();
      const method = (req.method ?? "GET").toUpperCase();
      const write = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
      if (!key) {
        throw write
          ? new WcRestError(401, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.")
          : new WcRestError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
      }
      if (write && key.permissions === "read") throw new WcRestError(401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.");
      if (!write && key.permissions === "write") throw new WcRestError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
      const result = await this.route(method, route.slice("wc/v3/".length).split("/"), query, body, url);
      send(result.status ?? (method === "POST" && result.created ? 201 : 200), result.body, result.headers);
    } catch (err) {
      if (err instanceof WcRestError) send(err.httpStatus, err.body());
      else {
        send(500, { code: "internal_server_error", message: "There has been a critical error on this website.", data: { status: 500 } });
      }
    }
  }

  /** Storefront pages the customer may be sent to: the thank-you and order-pay pages. */
  private servePage(url: URL, res: ServerResponse, log: RequestLog): void {
    const m = /^\/checkout\/(order-received|order-pay)\/(\d+)\/?$/.exec(url.pathname);
    const order = m ? this.shop.orders.get(Number(m[2])) : undefined;
    const ok = order && url.searchParams.get("key") === order.orderKey;
    log.status = ok ? 200 : 404;
    this.requests.push(log);
    res.writeHead(log.status, { "Content-Type": "text/html; charset=UTF-8" });
    if (!ok) return void res.end("<!doctype html><title>Page not found</title><h1>Oops! That page can&rsquo;t be found.</h1>");
    const title = m![1] === "order-received" ? "Order received" : "Pay for order";
    res.end(
      `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>` +
        `<h1 class="entry-title">${title}</h1><p class="woocommerce-thankyou-order-received">Thank you. Your order has been received.</p>` +
        `<ul><li class="order">Order number: <strong>${order!.id}</strong></li><li class="status">Status: <strong id="order-status">${order!.status}</strong></li></ul></body></html>`,
    );
  }

  /**
   * `WC_REST_Authentication`: over HTTPS, Basic auth (`PHP_AUTH_USER`) or `consumer_key` /
   * `consumer_secret` in the query; over HTTP, OAuth 1.0a only (Basic is ignored without TLS).
   * No credentials at all = a logged-out visitor (the route's permission check answers 401).
   */
  private authenticate(req: IncomingMessage, url: URL, query: PhpParams, formBody: PhpParams, log: RequestLog): ApiKey | null {
    const authz = req.headers.authorization;
    if (this.protocol === "https") {
      let ck: string | undefined;
      let cs: string | undefined;
      if (authz?.startsWith("Basic ")) {
        const decoded = Buffer.from(authz.slice(6), "base64").toString("utf8");
        const i = decoded.indexOf(":");
        ck = decoded.slice(0, i);
        cs = decoded.slice(i + 1);
        log.auth = "basic";
      } else if (typeof query.consumer_key === "string" && typeof query.consumer_secret === "string") {
        ck = query.consumer_key;
        cs = query.consumer_secret;
        log.auth = "query";
      }
      if (ck === undefined || cs === undefined) return null;
      const key = this.keys.find((k) => k.consumerKey === ck);
      if (!key) throw new WcRestError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.");
      const a = Buffer.from(key.consumerSecret);
      const b = Buffer.from(cs);
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw new WcRestError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.");
      return key;
    }
    const params: PhpParams = { ...query, ...formBody, ...parseOAuthHeader(authz) };
    if (typeof params.oauth_consumer_key !== "string") return null;
    log.auth = "oauth";
    try {
      const key = this.oauth.verify({ method: req.method ?? "GET", homeUrl: this.url, path: url.pathname, params });
      return this.keys.find((k) => k.consumerKey === key.consumerKey)!;
    } catch (err) {
      if (err instanceof OAuthFailure) throw new WcRestError(401, "woocommerce_rest_authentication_error", err.message);
      throw err;
    }
  }

  private async route(
    method: string,
    parts: string[],
    query: PhpParams,
    body: Record<string, unknown> | null,
    url: URL,
  ): Promise<{ status?: number; created?: boolean; body: unknown; headers?: Record<string, string> }> {
    const input = { ...(query as Record<string, unknown>), ...(body ?? {}) };
    const dp = query.dp === undefined ? 2 : intParam(query, "dp", 0, 10);
    const [resource, idPart, sub, subId, ...rest] = parts;
    if (rest.length) throw noRoute();
    const isId = (s: string | undefined) => s !== undefined && /^\d+$/.test(s);

    if (resource === "orders" && idPart === undefined) {
      if (method === "GET") return this.listOrders(query, url, dp);
      if (method === "POST") return { created: true, body: renderOrder(this.shop, this.shop.createOrder(input), this.url, dp) };
      throw noRoute();
    }
    if (resource === "orders" && isId(idPart) && sub === undefined) {
      const id = Number(idPart);
      if (method === "GET") return { body: renderOrder(this.shop, this.shop.getOrder(id), this.url, dp) };
      if (method === "PUT" || method === "POST" || method === "PATCH") return { body: renderOrder(this.shop, this.shop.updateOrder(id, input), this.url, dp) };
      if (method === "DELETE") {
        const order = this.shop.getOrder(id);
        const rendered = renderOrder(this.shop, order, this.url, dp);
        this.shop.deleteOrder(id, input.force === "true" || input.force === true);
        return { body: rendered };
      }
      throw noRoute();
    }
    if (resource === "orders" && isId(idPart) && sub === "notes") {
      const order = this.shop.getOrder(Number(idPart));
      if (subId === undefined && method === "GET") {
        const type = typeof query.type === "string" ? query.type : "any";
        if (!["any", "customer", "internal"].includes(type)) throw invalidParam("type", "type is not one of any, customer, and internal.");
        const notes = order.notes.filter((n) => type === "any" || (type === "customer") === n.customerNote);
        return { body: notes.map((n) => renderNote(order.id, n, this.url)) };
      }
      if (subId === undefined && method === "POST") {
        if (typeof input.note !== "string" || input.note === "") {
          throw new WcRestError(400, "rest_missing_callback_param", "Missing parameter(s): note", { status: 400, params: ["note"] });
        }
        const note = this.shop.addNote(order, input.note, input.customer_note === true, input.added_by_user === true ? "admin" : "system");
        return { created: true, body: renderNote(order.id, note, this.url) };
      }
      if (isId(subId)) {
        const note = order.notes.find((n) => n.id === Number(subId));
        if (!note) throw new WcRestError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.");
        if (method === "GET") return { body: renderNote(order.id, note, this.url) };
        if (method === "DELETE") {
          if (input.force !== "true" && input.force !== true)
            throw new WcRestError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.");
          order.notes.splice(order.notes.indexOf(note), 1);
          return { body: renderNote(order.id, note, this.url) };
        }
      }
      throw noRoute();
    }
    if (resource === "orders" && isId(idPart) && sub === "refunds") {
      const orderId = Number(idPart);
      if (subId === undefined && method === "GET") {
        const order = this.shop.getOrder(orderId);
        return paginate(
          order.refunds.map((r) => renderRefund(orderId, r, this.url, dp)),
          query,
          url,
        );
      }
      if (subId === undefined && method === "POST") {
        const refund = await this.shop.createRefund(orderId, {
          amount: input.amount,
          reason: input.reason,
          apiRefund: input.api_refund === undefined ? true : input.api_refund === true || input.api_refund === "true" || input.api_refund === "1",
          meta: input.meta_data,
        });
        return { created: true, body: renderRefund(orderId, refund, this.url, dp) };
      }
      if (isId(subId)) {
        const order = this.shop.getOrder(orderId);
        const refund = order.refunds.find((r) => r.id === Number(subId));
        if (!refund) {
          // As WooCommerce 9.4.3 answered (fixtures woocommerce-real/error.refund-*.json): an id that
          // is no refund at all is a plain 404; a refund of ANOTHER order is HTTP 500 with `data: 404`.
          const elsewhere = [...this.shop.orders.values()].some((o) => o.refunds.some((r) => r.id === Number(subId)));
          if (elsewhere) throw new WcRestError(500, "woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.", 404);
          throw new WcRestError(404, "woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.");
        }
        if (method === "GET") return { body: renderRefund(orderId, refund, this.url, dp) };
        if (method === "DELETE") {
          if (input.force !== "true" && input.force !== true)
            throw new WcRestError(501, "woocommerce_rest_trash_not_supported", "Refunds do not support trashing.");
          this.shop.deleteRefund(orderId, refund.id);
          return { body: renderRefund(orderId, refund, this.url, dp) };
        }
      }
      throw noRoute();
    }
    if (resource === "webhooks") return this.routeWebhooks(method, idPart, sub, input, query, url);
    if (resource === "payment_gateways") {
      const render = (g: { id: string; title: string; supports: string[] }) => ({ id: g.id, title: g.title, enabled: true, method_supports: g.supports });
      if (idPart === undefined && method === "GET") return { body: [...this.shop.gateways.values()].map(render) };
      if (idPart !== undefined && sub === undefined && method === "GET") {
        const g = this.shop.gateways.get(idPart);
        if (!g) throw new WcRestError(404, "woocommerce_rest_payment_gateway_invalid", "Resource does not exist.");
        return { body: render(g) };
      }
    }
    throw noRoute();
  }

  private routeWebhooks(method: string, idPart: string | undefined, sub: string | undefined, input: Record<string, unknown>, query: PhpParams, url: URL) {
    if (sub !== undefined) throw noRoute();
    const hooks = this.webhooks;
    if (idPart === undefined) {
      if (method === "GET") {
        const status = typeof query.status === "string" ? query.status : "all";
        const list = [...hooks.webhooks.values()].filter((h) => status === "all" || h.status === status).sort((a, b) => b.id - a.id);
        return paginate(
          list.map((h) => hooks.render(h, this.url)),
          query,
          url,
        );
      }
      if (method === "POST") {
        const topic = typeof input.topic === "string" ? input.topic : "";
        if (!WebhookEmitter.isValidTopic(topic))
          throw new WcRestError(400, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.");
        if (typeof input.delivery_url !== "string" || !/^https?:\/\//.test(input.delivery_url)) {
          throw new WcRestError(400, "rest_invalid_param", "Invalid parameter(s): delivery_url", { status: 400, params: { delivery_url: "Invalid URL." } });
        }
        const status = input.status === undefined ? "active" : String(input.status);
        if (!["active", "paused", "disabled"].includes(status)) throw invalidParam("status", "status is not one of active, paused, and disabled.");
        const hook = hooks.create({
          name: typeof input.name === "string" ? input.name : `Webhook created on ${new Date().toUTCString()}`,
          topic,
          deliveryUrl: input.delivery_url,
          secret: typeof input.secret === "string" && input.secret ? input.secret : "generated-default-secret",
          status: status as "active",
        });
        return { created: true, body: hooks.render(hook, this.url) };
      }
      throw noRoute();
    }
    const hook = /^\d+$/.test(idPart) ? hooks.webhooks.get(Number(idPart)) : undefined;
    if (!hook) throw new WcRestError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.");
    if (method === "GET") return { body: hooks.render(hook, this.url) };
    if (method === "PUT" || method === "POST" || method === "PATCH") {
      const patch: Record<string, unknown> = {};
      if (input.status !== undefined) {
        if (!["active", "paused", "disabled"].includes(String(input.status)))
          throw invalidParam("status", "status is not one of active, paused, and disabled.");
        patch.status = input.status;
      }
      if (typeof input.name === "string") patch.name = input.name;
      if (typeof input.delivery_url === "string") patch.deliveryUrl = input.delivery_url;
      if (typeof input.secret === "string") patch.secret = input.secret;
      if (typeof input.topic === "string") {
        if (!WebhookEmitter.isValidTopic(input.topic)) throw new WcRestError(400, "woocommerce_rest_webhook_invalid_topic", "Webhook topic must be valid.");
        patch.topic = input.topic;
      }
      hooks.update(hook, patch);
      return { body: hooks.render(hook, this.url) };
    }
    if (method === "DELETE") {
      if (input.force !== "true" && input.force !== true)
        throw new WcRestError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.");
      hooks.webhooks.delete(hook.id);
      return { body: hooks.render(hook, this.url) };
    }
    throw noRoute();
  }

  private listOrders(query: PhpParams, url: URL, dp: number) {
    let orders = [...this.shop.orders.values()];
    const statuses = listParam(query.status);
    if (statuses.length && !statuses.includes("any")) {
      const bad = statuses.find(
        (s) => !["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"].includes(s),
      );
      if (bad)
        throw invalidParam(
          "status",
          `status[0] is not one of any, trash, pending, processing, on-hold, completed, cancelled, refunded, failed, and checkout-draft.`,
        );
      orders = orders.filter((o) => statuses.includes(o.status));
    } else {
      orders = orders.filter((o) => o.status !== "trash" && o.status !== "checkout-draft");
    }
    const include = listParam(query.include).map(Number);
    if (include.length) orders = orders.filter((o) => include.includes(o.id));
    if (typeof query.modified_after === "string") {
      const gmt = query.dates_are_gmt === "true" || query.dates_are_gmt === "1";
      const t = Date.parse(`${query.modified_after.replace(/Z$|[+-]\d\d:\d\d$/, "")}Z`) - (gmt ? 0 : 8 * 3600_000);
      if (Number.isNaN(t)) throw invalidParam("modified_after", "Invalid date.");
      orders = orders.filter((o) => o.dateModified.getTime() > t);
    }
    if (typeof query.search === "string" && query.search) {
      const needle = query.search.toLowerCase();
      orders = orders.filter((o) => String(o.id) === needle || JSON.stringify(o.billing).toLowerCase().includes(needle));
    }
    const orderby = typeof query.orderby === "string" ? query.orderby : "date";
    if (!["date", "id", "modified", "include", "title", "slug"].includes(orderby))
      throw invalidParam("orderby", "orderby is not one of date, id, include, title, slug, and modified.");
    const dir = query.order === "asc" ? 1 : -1;
    const keyOf = (o: FakeOrder) => (orderby === "modified" ? o.dateModified.getTime() : orderby === "date" ? o.dateCreated.getTime() : o.id);
    orders.sort((a, b) => (keyOf(a) - keyOf(b) || a.id - b.id) * dir);
    return paginate(
      orders.map((o) => renderOrder(this.shop, o, this.url, dp)),
      query,
      url,
    );
  }
}

/** `X-WP-Total`, `X-WP-TotalPages` and a `Link` header; `per_page` 1–100 (default 10), `page` or `offset`. */
function paginate(items: unknown[], query: PhpParams, url: URL) {
  const perPage = query.per_page === undefined ? 10 : intParam(query, "per_page", 1, 100);
  const page = query.page === undefined ? 1 : intParam(query, "page", 1, Number.MAX_SAFE_INTEGER);
  const offset = query.offset === undefined ? (page - 1) * perPage : intParam(query, "offset", 0, Number.MAX_SAFE_INTEGER);
  const total = items.length;
  const totalPages = Math.ceil(total / perPage);
  if (total > 0 && page > totalPages) {
    throw new WcRestError(400, "woocommerce_rest_invalid_page_number", "The page number requested is larger than the number of pages available.");
  }
  const link = (p: number) => {
    const u = new URL(url);
    for (const k of [...u.searchParams.keys()]) if (/^(oauth_|consumer_)/.test(k)) u.searchParams.delete(k);
    u.searchParams.set("page", String(p));
    return `<${u.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${link(page - 1)}; rel="prev"`);
  if (page < totalPages) links.push(`${link(page + 1)}; rel="next"`);
  if (totalPages > 0) links.push(`${link(1)}; rel="first"`, `${link(totalPages)}; rel="last"`);
  const headers: Record<string, string> = { "X-WP-Total": String(total), "X-WP-TotalPages": String(totalPages) };
  if (links.length) headers.Link = links.join(", ");
  return { body: items.slice(offset, offset + perPage), headers };
}

function intParam(query: PhpParams, name: string, min: number, max: number): number {
  const raw = query[name];
  const n = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const detail =
      max === Number.MAX_SAFE_INTEGER ? `${name} must be greater than or equal to ${min}` : `${name} must be between ${min} (inclusive) and ${max} (inclusive)`;
    throw invalidParam(name, detail);
  }
  return n;
}

function listParam(v: string | PhpParams | undefined): string[] {
  if (v === undefined) return [];
  if (typeof v === "string") return v.split(/[\s,]+/).filter(Boolean);
  return Object.values(v).filter((x): x is string => typeof x === "string");
}

function invalidParam(param: string, detail: string): WcRestError {
  return new WcRestError(400, "rest_invalid_param", `Invalid parameter(s): ${param}`, { status: 400, params: { [param]: detail }, details: {} });
}

function noRoute(): WcRestError {
  const f = fixture<{ code: string; message: string }>("error.wp-rest-no-route.404.json");
  return new WcRestError(404, f.code, f.message);
}

/**
 * WordPress decodes a JSON body only when the request says `Content-Type: application/json`;
 * a form body is parsed as form fields; anything else is ignored. A client whose headers were
 * replaced (the `axiosConfig.headers` pitfall) therefore has its JSON silently dropped.
 */
function parseBody(contentType: string | undefined, raw: Buffer): Record<string, unknown> | null {
  if (!raw.length) return null;
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    try {
      const v = JSON.parse(raw.toString("utf8")) as unknown;
      return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      throw new WcRestError(400, "rest_invalid_json", "Invalid JSON body passed.", { status: 400 });
    }
  }
  if (type === "application/x-www-form-urlencoded") return phpParseQuery(raw.toString("utf8"));
  return null;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export { DEFAULT_KEY };
