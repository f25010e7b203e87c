import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { Webhook } from "standardwebhooks";

/** A refund as `@alipayhk/webhook` returns it (amounts are decimal strings). */
export interface AdapterRefund {
  order_id: string;
  return_id: string;
  partner_refund_id: string;
  amount: string;
  status: "pending" | "succeeded" | "failed";
  code?: string;
  created_at: string;
  updated_at: string;
}

/** An order as `@alipayhk/webhook` returns it; `refunds` and the refund totals only from `GET /v1/orders/{id}`. */
export interface AdapterOrder {
  order_id: string;
  mode: "qr" | "barcode";
  status: "pending" | "paid" | "failed" | "canceled";
  amount: string;
  currency: string;
  description: string;
  partner_trans_id: string;
  attempt: number;
  qr_code?: string;
  qr_image_url?: string;
  expires_at?: string;
  alipay_trans_id?: string;
  payment_inst?: string;
  paid_at?: string;
  failure_code?: string;
  reversed?: boolean;
  created_at: string;
  updated_at: string;
  refunded_amount?: string;
  refundable_amount?: string;
  refunds?: AdapterRefund[];
}

/** The adapter refused a request: its HTTP status, its machine code and its one-line message. */
export class AdapterError extends Error {
  override readonly name = "AdapterError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The adapter's refusal from its JSON error body, `{"error":{"code","message"},"message"}`: the
 * code and the line from `error`, else the top-level `message`, else `fallback`.
 */
export function refusal(status: number, body: unknown, fallback: string): AdapterError {
  const { error, message } = (typeof body === "object" && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  const inner = typeof error === "object" && error !== null ? (error as { code?: unknown; message?: unknown }) : {};
  const code = typeof inner.code === "string" ? inner.code : typeof error === "string" ? error : "unknown";
  const line = typeof inner.message === "string" ? inner.message : typeof message === "string" ? message : fallback;
  return new AdapterError(status, code, line);
}

/**
 * The shop's side of the adapter's HTTP API, as any store would call it: every request signed
 * per Standard Webhooks with the shop's secret, the `webhook-id` doubling as the idempotency key
 * (so a retried refund with the same id is the same refund).
 */
export class AdapterClient {
  private readonly webhook: Webhook;

  constructor(
    readonly baseUrl: string,
    secret: string,
  ) {
    this.webhook = new Webhook(secret);
  }

  createOrder(body: { order_id: string; amount: string; description: string; mode: "qr" | "barcode"; buyer_code?: string }): Promise<AdapterOrder> {
    return this.request("POST", "/v1/orders", { ...body, currency: "HKD" }, `order-${body.order_id}`);
  }

  getOrder(orderId: string): Promise<AdapterOrder> {
    return this.request("GET", `/v1/orders/${encodeURIComponent(orderId)}`);
  }

  /** One page of orders, newest first. */
  listOrders(cursor?: string, limit = 200): Promise<{ data: AdapterOrder[]; next_cursor: string | null }> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/v1/orders?${query}`);
  }

  /** Every order, following the cursor (a demo shop has few). */
  async allOrders(): Promise<AdapterOrder[]> {
    const orders: AdapterOrder[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listOrders(cursor);
      orders.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return orders;
  }

  refund(body: { order_id: string; return_id: string; amount: string; reason?: string }): Promise<AdapterRefund & { order: AdapterOrder }> {
    return this.request("POST", "/v1/returns", body, `return-${body.order_id}-${body.return_id}`);
  }

  cancel(orderId: string, requestId: string): Promise<AdapterOrder> {
    return this.request("POST", `/v1/orders/${encodeURIComponent(orderId)}/cancel`, { reason: "cancelled from the shop's admin page" }, `cancel-${requestId}`);
  }

  private async request<T>(method: "GET" | "POST", path: string, body?: unknown, id = `msg_${randomBytes(12).toString("hex")}`): Promise<T> {
    const payload = body === undefined ? "" : JSON.stringify(body);
    const at = new Date();
    const headers: Record<string, string> = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": this.webhook.sign(id, at, payload),
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: { status: number; text: string };
    try {
      response = await send(new URL(`${this.baseUrl}${path}`), method, headers, payload);
    } catch (error) {
      throw new AdapterError(502, "adapter_unreachable", `the adapter at ${this.baseUrl} did not answer (${(error as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new AdapterError(502, "adapter_bad_reply", `${method} ${path}: HTTP ${response.status} with a body that is not JSON`);
    }
    if (response.status < 200 || response.status > 299) throw refusal(response.status, json, `${method} ${path}: HTTP ${response.status}`);
    return json as T;
  }
}

/**
 * One connection per request. The adapter is local, so a new connection costs nothing. A pooled
 * keep-alive connection that goes idle after the adapter began to close would hold its server
 * open until its keep-alive timeout (65 s): Ctrl+C during a barcode charge would hang that long.
 */
const agent = new Agent({ keepAlive: false });

function send(url: URL, method: string, headers: Record<string, string>, payload: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: method === "GET" ? headers : { ...headers, "content-length": String(Buffer.byteLength(payload)) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(method === "GET" ? undefined : payload);
  });
}
