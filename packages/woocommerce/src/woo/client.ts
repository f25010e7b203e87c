import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { toWooError, WooError } from "./errors.js";
import { WooCommerceRestApiCtor, type WooCommerceRestApi } from "./rest-api.js";
import { asList, asNote, asOrder, asRefund, asWebhook } from "./shapes.js";
import type { WcNote, WcOrder, WcOrderStatus, WcPage, WcRefund, WcWebhook, WcWebhookStatus } from "./types.js";

export interface WooClientOptions {
  /** Shop home URL, e.g. `https://shop.example.com` (put any port here, not in a separate option). */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /** Trust a private CA (tests, staging) by passing an agent built with `ca`. */
  httpsAgent?: HttpsAgent;
  httpAgent?: HttpAgent;
  /** Send the keys in the query string on HTTPS (servers that strip `Authorization`). Puts keys into access logs. */
  queryStringAuth?: boolean;
}

export interface ListOrdersQuery {
  status?: WcOrderStatus | WcOrderStatus[];
  /** ISO-8601 UTC; orders modified after it (sent with `dates_are_gmt=true`). */
  modifiedAfter?: string;
  include?: number[];
  search?: string;
  page?: number;
  /** 1–100; default 100 here (WooCommerce's own default is 10). */
  perPage?: number;
  orderby?: "date" | "id" | "modified" | "include" | "title" | "slug";
  order?: "asc" | "desc";
}

export interface MarkPaidInput {
  /** Alipay trade number, stored as the WC `transaction_id`. */
  transactionId: string;
  /** Extra order meta, e.g. `{ alipayhk_trade_no: "2021..." }`. */
  meta?: Record<string, string>;
}

export interface RecordedRefundInput {
  /** Decimal string with 2 dp, e.g. `"10.00"`. */
  amount: string;
  reason?: string;
  meta?: Record<string, string>;
}

export interface CreateWebhookInput {
  name: string;
  topic: string;
  deliveryUrl: string;
  secret: string;
  status?: WcWebhookStatus;
}

/**
 * Typed access to the WooCommerce REST API v3, built once over the real
 * `@woocommerce/woocommerce-rest-api` client. Every failure is a {@link WooError} with status,
 * code and message and never the keys; every response is shape-checked before use.
 *
 * @example
 * const woo = new WooClient({ url: "https://shop.example.com", consumerKey: "ck_...", consumerSecret: "cs_..." });
 * const order = await woo.getOrder(727);
 * if (order.status === "pending") await woo.markPaid(727, { transactionId: "2021..." });
 */
export class WooClient {
  private readonly api: WooCommerceRestApi;
  private readonly secrets: string[];

  constructor(options: WooClientOptions) {
    if (!options.url || !options.consumerKey || !options.consumerSecret) {
      // The library throws an OptionsException that is not an Error; fail earlier with a real one.
      throw new WooError({ status: 0, code: "config", message: "url, consumerKey and consumerSecret are required", request: "new WooClient" });
    }
    this.secrets = [options.consumerKey, options.consumerSecret];
    // axiosConfig is merged shallowly over the library's own request options: only transport
    // settings go here (headers or params would replace Content-Type or the auth).
    const axiosConfig: Record<string, unknown> = {};
    if (options.httpsAgent) axiosConfig.httpsAgent = options.httpsAgent;
    if (options.httpAgent) axiosConfig.httpAgent = options.httpAgent;
    this.api = new WooCommerceRestApiCtor({
      url: options.url,
      consumerKey: options.consumerKey,
      consumerSecret: options.consumerSecret,
      version: "wc/v3",
      queryStringAuth: options.queryStringAuth ?? false,
      timeout: options.timeoutMs ?? 30_000,
      axiosConfig,
    });
  }

  async getOrder(id: number): Promise<WcOrder> {
    const req = `GET orders/${id}`;
    const res = await this.call(req, () => this.api.get(`orders/${id}`));
    return asOrder(res.data, req);
  }

  /** One page of orders, with `X-WP-Total`/`X-WP-TotalPages` read. */
  async listOrders(query: ListOrdersQuery = {}): Promise<WcPage<WcOrder>> {
    const params: Record<string, string> = {
      per_page: String(query.perPage ?? 100),
      page: String(query.page ?? 1),
    };
    if (query.status) params.status = Array.isArray(query.status) ? query.status.join(",") : query.status;
    if (query.modifiedAfter) {
      params.modified_after = query.modifiedAfter.replace(/Z$/, "");
      params.dates_are_gmt = "true";
    }
    if (query.include?.length) params.include = query.include.join(",");
    if (query.search) params.search = query.search;
    if (query.orderby) params.orderby = query.orderby;
    if (query.order) params.order = query.order;
    const req = `GET orders`;
    const res = await this.call(req, () => this.api.get("orders", params));
    return { items: asList(res.data, req, asOrder), ...pageHeaders(res.headers, req) };
  }

  /** Every order matching `query`, following `X-WP-TotalPages`. */
  async listAllOrders(query: Omit<ListOrdersQuery, "page"> = {}): Promise<WcOrder[]> {
    const all: WcOrder[] = [];
    for (let page = 1; ; page++) {
      const res = await this.listOrders({ ...query, page });
      all.push(...res.items);
      if (page >= res.totalPages || res.items.length === 0) return all;
    }
  }

  /** `PUT orders/{id}`; returns the order as WooCommerce saved it. */
  async updateOrder(id: number, body: Record<string, unknown>): Promise<WcOrder> {
    const req = `PUT orders/${id}`;
    const res = await this.call(req, () => this.api.put(`orders/${id}`, body));
    return asOrder(res.data, req);
  }

  /**
   * `PUT orders/{id}` with `set_paid`, `transaction_id` and meta. WooCommerce only honours
   * `set_paid` while the order needs payment (`pending`/`failed`, total > 0) and answers 200
   * either way, so the caller must read `status`/`date_paid_gmt` of the returned order.
   */
  async markPaid(id: number, input: MarkPaidInput): Promise<WcOrder> {
    return this.updateOrder(id, {
      set_paid: true,
      transaction_id: input.transactionId,
      meta_data: metaRows(input.meta),
    });
  }

  async setStatus(id: number, status: WcOrderStatus): Promise<WcOrder> {
    return this.updateOrder(id, { status });
  }

  async setMeta(id: number, meta: Record<string, string>): Promise<WcOrder> {
    return this.updateOrder(id, { meta_data: metaRows(meta) });
  }

  /** Adds an order note; internal (not emailed) unless `customerNote`. */
  async addNote(orderId: number, note: string, options: { customerNote?: boolean } = {}): Promise<WcNote> {
    const req = `POST orders/${orderId}/notes`;
    const res = await this.call(req, () => this.api.post(`orders/${orderId}/notes`, { note, customer_note: options.customerNote ?? false }));
    return asNote(res.data, req);
  }

  async listNotes(orderId: number, type: "any" | "customer" | "internal" = "any"): Promise<WcNote[]> {
    const req = `GET orders/${orderId}/notes`;
    const res = await this.call(req, () => this.api.get(`orders/${orderId}/notes`, { type }));
    return asList(res.data, req, asNote);
  }

  /** Every refund of an order, following `X-WP-TotalPages`. */
  async listRefunds(orderId: number): Promise<WcRefund[]> {
    const all: WcRefund[] = [];
    const req = `GET orders/${orderId}/refunds`;
    for (let page = 1; ; page++) {
      const res = await this.call(req, () => this.api.get(`orders/${orderId}/refunds`, { per_page: "100", page: String(page) }));
      const items = asList(res.data, req, asRefund);
      all.push(...items);
      if (page >= pageHeaders(res.headers, req).totalPages || items.length === 0) return all;
    }
  }

  async getRefund(orderId: number, refundId: number): Promise<WcRefund> {
    const req = `GET orders/${orderId}/refunds/${refundId}`;
    const res = await this.call(req, () => this.api.get(`orders/${orderId}/refunds/${refundId}`));
    return asRefund(res.data, req);
  }

  /**
   * Records in WooCommerce a refund the bridge has already executed at Alipay. Always
   * `api_refund: false`: with `true` WooCommerce would look for a PHP gateway to execute it again.
   */
  async createRecordedRefund(orderId: number, input: RecordedRefundInput): Promise<WcRefund> {
    const req = `POST orders/${orderId}/refunds`;
    const res = await this.call(req, () =>
      this.api.post(`orders/${orderId}/refunds`, {
        amount: input.amount,
        reason: input.reason ?? "",
        api_refund: false,
        api_restock: false,
        meta_data: metaRows(input.meta),
      }),
    );
    return asRefund(res.data, req);
  }

  async listWebhooks(): Promise<WcWebhook[]> {
    const req = "GET webhooks";
    const all: WcWebhook[] = [];
    for (let page = 1; ; page++) {
      const res = await this.call(req, () => this.api.get("webhooks", { per_page: "100", page: String(page) }));
      const items = asList(res.data, req, asWebhook);
      all.push(...items);
      if (page >= pageHeaders(res.headers, req).totalPages || items.length === 0) return all;
    }
  }

  async createWebhook(input: CreateWebhookInput): Promise<WcWebhook> {
    const req = "POST webhooks";
    const res = await this.call(req, () =>
      this.api.post("webhooks", {
        name: input.name,
        topic: input.topic,
        delivery_url: input.deliveryUrl,
        secret: input.secret,
        status: input.status ?? "active",
      }),
    );
    return asWebhook(res.data, req);
  }

  async setWebhookStatus(id: number, status: WcWebhookStatus): Promise<WcWebhook> {
    const req = `PUT webhooks/${id}`;
    const res = await this.call(req, () => this.api.put(`webhooks/${id}`, { status }));
    return asWebhook(res.data, req);
  }

  private async call(request: string, run: () => Promise<unknown>): Promise<{ data: unknown; headers: Record<string, unknown> }> {
    try {
      const res = (await run()) as { data: unknown; headers: Record<string, unknown> };
      return res;
    } catch (err) {
      throw toWooError(err, request, this.secrets);
    }
  }
}

function metaRows(meta: Record<string, string> | undefined): Array<{ key: string; value: string }> {
  return Object.entries(meta ?? {}).map(([key, value]) => ({ key, value }));
}

function pageHeaders(headers: Record<string, unknown>, request: string): { total: number; totalPages: number } {
  const read = (name: string): number => {
    const raw = typeof (headers as { get?: unknown }).get === "function" ? (headers as { get(n: string): unknown }).get(name) : headers[name];
    const n = Number(raw);
    if (raw === undefined || raw === null || raw === "" || !Number.isInteger(n) || n < 0) {
      throw new WooError({ status: 0, code: "unexpected_shape", message: `header ${name}: expected a whole number, got ${JSON.stringify(raw)}`, request });
    }
    return n;
  };
  return { total: read("x-wp-total"), totalPages: read("x-wp-totalpages") };
}
