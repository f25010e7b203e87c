import { randomBytes } from "node:crypto";
import { fixture } from "./fixtures.js";

/**
 * The WooCommerce data model the fake serves: orders, their notes and refunds, registered payment
 * gateways, and the rules of spec §1 that the bridge depends on, written the way WooCommerce's PHP
 * does them (`save_object`, `payment_complete`, `needs_payment`, `wc_create_refund`,
 * `wc_refund_payment`, `wc_order_fully_refunded`, `wc_cancel_unpaid_orders`).
 *
 * Money is integer cents inside and 2-dp strings outside; dates are kept as `Date` and rendered
 * as site-local (`+08:00`, a Hong Kong shop) and GMT without a zone, as WooCommerce does.
 */

export const ORDER_STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"];
const STATUS_LABEL: Record<string, string> = {
  pending: "Pending payment",
  processing: "Processing",
  "on-hold": "On hold",
  completed: "Completed",
  cancelled: "Cancelled",
  refunded: "Refunded",
  failed: "Failed",
  trash: "Trash",
  "checkout-draft": "Draft",
};
const SITE_OFFSET_MS = 8 * 60 * 60 * 1000;

/** A WooCommerce error as the REST layer renders it: HTTP status plus `{code, message, data}`. */
export class WcRestError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly data: unknown = { status: httpStatus },
  ) {
    super(message);
  }
  body() {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export interface Meta {
  id: number;
  key: string;
  value: unknown;
}

export interface FakeNote {
  id: number;
  author: string;
  date: Date;
  note: string;
  customerNote: boolean;
}

export interface FakeRefund {
  id: number;
  date: Date;
  amountCents: number;
  reason: string;
  refundedBy: number;
  refundedPayment: boolean;
  meta: Meta[];
}

export interface FakeOrder {
  id: number;
  orderKey: string;
  createdVia: string;
  status: string;
  currency: string;
  totalCents: number;
  taxCents: number;
  shippingCents: number;
  paymentMethod: string;
  paymentMethodTitle: string;
  transactionId: string;
  customerId: number;
  customerNote: string;
  billing: Record<string, unknown>;
  shipping: Record<string, unknown>;
  dateCreated: Date;
  dateModified: Date;
  datePaid: Date | null;
  dateCompleted: Date | null;
  meta: Meta[];
  lineItems: Array<Record<string, unknown>>;
  shippingLines: Array<Record<string, unknown>>;
  taxLines: Array<Record<string, unknown>>;
  /** Every item virtual and downloadable: `payment_complete` goes straight to `completed`. */
  virtual: boolean;
  refunds: FakeRefund[];
  notes: FakeNote[];
}

export interface FakeGateway {
  id: string;
  title: string;
  supports: string[];
  /**
   * `process_refund($order_id, $amount, $reason)`, called synchronously inside the refund create.
   * `true` = refunded; `false` or `{ error }` = WooCommerce deletes the refund and fails the request.
   * The WC refund id is passed too (a PHP gateway captures it via `woocommerce_create_refund`).
   */
  processRefund?: (args: { orderId: number; amount: string; reason: string; refundId: number }) => Promise<boolean | { error: string }>;
}

export type ShopEvent = { topic: "order.created" | "order.updated" | "order.deleted" | "order.restored"; orderId: number };

export interface SeedOrderInput {
  status?: string;
  total?: string;
  currency?: string;
  paymentMethod?: string;
  paymentMethodTitle?: string;
  createdVia?: string;
  virtual?: boolean;
  dateCreated?: Date;
  meta?: Record<string, unknown>;
}

export class FakeShop {
  readonly orders = new Map<number, FakeOrder>();
  readonly gateways = new Map<string, FakeGateway>();
  private nextId = 1000;
  private nextMetaId = 5000;

  constructor(
    readonly now: () => Date,
    private readonly emit: (event: ShopEvent) => void,
  ) {
    // What a shop has out of the box (payment-gateways.list fixture): none supports refunds.
    for (const g of fixture<Array<{ id: string; title: string; method_supports?: string[] }>>("payment-gateways.list.response.json")) {
      this.gateways.set(g.id, { id: g.id, title: g.title, supports: g.method_supports ?? ["products"] });
    }
  }

  /** Registers a PHP gateway (what installing the thin plugin does). */
  registerGateway(gateway: FakeGateway): void {
    this.gateways.set(gateway.id, gateway);
  }

  // ---- orders -------------------------------------------------------------------------------

  /** Adds an order as the storefront checkout would (default: HKD, `pending`, `alipayhk`, 29.35). */
  seedOrder(input: SeedOrderInput = {}): FakeOrder {
    const tpl = fixture<Record<string, unknown>>("order.retrieve.response.json");
    const id = this.id();
    const now = input.dateCreated ?? this.now();
    const order: FakeOrder = {
      id,
      orderKey: `wc_order_${randomBytes(7).toString("hex").slice(0, 13)}`,
      createdVia: input.createdVia ?? "checkout",
      status: input.status ?? "pending",
      currency: input.currency ?? "HKD",
      totalCents: toCents(input.total ?? String(tpl.total)),
      taxCents: toCents(String(tpl.total_tax)),
      shippingCents: toCents(String(tpl.shipping_total)),
      paymentMethod: input.paymentMethod ?? "alipayhk",
      paymentMethodTitle: input.paymentMethodTitle ?? "Alipay HK",
      transactionId: "",
      customerId: 0,
      customerNote: "",
      billing: { ...(tpl.billing as object), country: "HK", city: "Hong Kong", state: "", postcode: "" },
      shipping: { ...(tpl.shipping as object), country: "HK", city: "Hong Kong", state: "", postcode: "" },
      dateCreated: now,
      dateModified: now,
      datePaid: null,
      dateCompleted: null,
      meta: [],
      lineItems: structuredClone(tpl.line_items as Array<Record<string, unknown>>).map((li) => ({ ...li, id: this.id() })),
      shippingLines: structuredClone(tpl.shipping_lines as Array<Record<string, unknown>>).map((l) => ({ ...l, id: this.id() })),
      taxLines: structuredClone(tpl.tax_lines as Array<Record<string, unknown>>).map((l) => ({ ...l, id: this.id() })),
      virtual: input.virtual ?? false,
      refunds: [],
      notes: [],
    };
    for (const [key, value] of Object.entries(input.meta ?? {})) order.meta.push({ id: this.nextMetaId++, key, value });
    this.orders.set(id, order);
    this.emit({ topic: "order.created", orderId: id });
    return order;
  }

  getOrder(id: number): FakeOrder {
    const order = this.orders.get(id);
    if (!order) throw new WcRestError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.");
    return order;
  }

  /** `POST orders`: a REST-created order; totals from the line items' prices plus shipping lines. */
  createOrder(body: Record<string, unknown>): FakeOrder {
    const status = body.status === undefined ? "pending" : String(body.status);
    if (!ORDER_STATUSES.includes(status)) throw invalidParam("status", `status is not one of ${ORDER_STATUSES.join(", ")}.`);
    const order = this.seedOrder({
      status: "pending",
      total: "0.00",
      currency: typeof body.currency === "string" ? body.currency : "HKD",
      paymentMethod: typeof body.payment_method === "string" ? body.payment_method : "",
      paymentMethodTitle: typeof body.payment_method_title === "string" ? body.payment_method_title : "",
      createdVia: "rest-api",
      virtual: body.virtual === true,
    });
    order.taxCents = 0;
    order.taxLines = [];
    const items = Array.isArray(body.line_items) ? (body.line_items as Array<Record<string, unknown>>) : [];
    order.lineItems = items.map((li) => {
      const qty = Number(li.quantity ?? 1);
      const priceCents = li.price !== undefined ? toCents(String(li.price)) : li.total !== undefined ? Math.round(toCents(String(li.total)) / qty) : 1000;
      const total = formatCents(priceCents * qty);
      return {
        id: this.id(),
        name: String(li.name ?? `Product ${String(li.product_id ?? "")}`),
        product_id: Number(li.product_id ?? 0),
        variation_id: Number(li.variation_id ?? 0),
        quantity: qty,
        tax_class: "",
        subtotal: total,
        subtotal_tax: "0.00",
        total,
        total_tax: "0.00",
        taxes: [],
        meta_data: [],
        sku: "",
        price: priceCents / 100,
      };
    });
    const shippingLines = Array.isArray(body.shipping_lines) ? (body.shipping_lines as Array<Record<string, unknown>>) : [];
    order.shippingLines = shippingLines.map((l) => ({
      id: this.id(),
      method_title: String(l.method_title ?? ""),
      method_id: String(l.method_id ?? ""),
      total: formatCents(toCents(String(l.total ?? "0"))),
      total_tax: "0.00",
      taxes: [],
      meta_data: [],
    }));
    order.shippingCents = order.shippingLines.reduce((s, l) => s + toCents(String(l.total)), 0);
    order.totalCents = order.lineItems.reduce((s, l) => s + toCents(String(l.total)), 0) + order.shippingCents;
    if (body.billing && typeof body.billing === "object") order.billing = { ...order.billing, ...(body.billing as object) };
    this.applyMeta(order, body.meta_data);
    if (typeof body.transaction_id === "string") order.transactionId = body.transaction_id;
    if (typeof body.customer_note === "string") order.customerNote = body.customer_note;
    if (status !== "pending") this.setStatus(order, status);
    // On create, set_paid always completes the payment.
    if (body.set_paid === true) this.paymentComplete(order, typeof body.transaction_id === "string" ? body.transaction_id : "");
    return order;
  }

  /**
   * `PUT orders/{id}` (`WC_REST_Orders_V2_Controller::save_object`): plain props and meta are
   * written, the status is set, the order saved; only then `set_paid` calls `payment_complete()`,
   * and only if the order still needs payment. Otherwise it is ignored and the answer is still 200.
   */
  updateOrder(id: number, body: Record<string, unknown>): FakeOrder {
    const order = this.getOrder(id);
    if (body.status !== undefined && !ORDER_STATUSES.includes(String(body.status))) {
      throw invalidParam("status", `status is not one of ${ORDER_STATUSES.join(", ")}.`);
    }
    if (typeof body.transaction_id === "string") order.transactionId = body.transaction_id;
    if (typeof body.customer_note === "string") order.customerNote = body.customer_note;
    if (typeof body.payment_method === "string") order.paymentMethod = body.payment_method;
    if (typeof body.payment_method_title === "string") order.paymentMethodTitle = body.payment_method_title;
    if (body.billing && typeof body.billing === "object") order.billing = { ...order.billing, ...(body.billing as object) };
    this.applyMeta(order, body.meta_data);
    if (typeof body.status === "string" && body.status !== "") this.setStatus(order, body.status);
    this.save(order);
    if (body.set_paid === true && this.needsPayment(order)) {
      this.paymentComplete(order, typeof body.transaction_id === "string" ? body.transaction_id : "");
    }
    return order;
  }

  /** `DELETE orders/{id}`: trash (an `order.deleted` delivery) or, with `force`, gone for good. */
  deleteOrder(id: number, force: boolean): FakeOrder {
    const order = this.getOrder(id);
    if (force) {
      this.orders.delete(id);
    } else {
      if (order.status === "trash") throw new WcRestError(410, "woocommerce_rest_already_trashed", "The order has already been deleted.");
      order.status = "trash";
      order.dateModified = this.now();
    }
    this.emit({ topic: "order.deleted", orderId: id });
    return order;
  }

  /** `needs_payment()`: status in `woocommerce_valid_order_statuses_for_payment` and a total above 0. */
  needsPayment(order: FakeOrder): boolean {
    return (order.status === "pending" || order.status === "failed") && order.totalCents > 0;
  }

  /** `needs_processing()` decides `processing` vs `completed` after payment. */
  needsProcessing(order: FakeOrder): boolean {
    return !order.virtual;
  }

  /** `WC_Order::payment_complete()`. */
  paymentComplete(order: FakeOrder, transactionId: string): boolean {
    if (!["on-hold", "pending", "failed", "cancelled"].includes(order.status)) return false;
    if (transactionId) order.transactionId = transactionId;
    if (!order.datePaid) order.datePaid = this.now();
    this.setStatus(order, this.needsProcessing(order) ? "processing" : "completed");
    this.save(order);
    return true;
  }

  /** Status change with WooCommerce's system note and the `refunded` side effect. */
  setStatus(order: FakeOrder, status: string, note?: string): void {
    const from = order.status;
    if (from === status) return;
    order.status = status;
    if (status === "completed" && !order.dateCompleted) order.dateCompleted = this.now();
    this.addNote(
      order,
      `${note ? `${note} ` : ""}Order status changed from ${STATUS_LABEL[from] ?? from} to ${STATUS_LABEL[status] ?? status}.`,
      false,
      "system",
    );
    if (status === "refunded") this.orderFullyRefunded(order);
  }

  /** The wp-admin "Cancel order" or any save; marks the order modified and queues `order.updated`. */
  /**
   * The Store API checkout (what the Checkout block does), as WooCommerce 9.4.3 ran it
   * (fixtures woocommerce-real/wc-9.4.3/store-api.*): the cart becomes a `checkout-draft` order
   * first, and `order.created` fires then; placing it validates the address (Hong Kong needs a
   * `state`: 400 "Region is required", the draft stays), sets `pending`, and runs the gateway's
   * classic `process_payment()`, whose redirect comes back as `payment_result.redirect_url`.
   */
  storeApiDraft(input: { total?: string } = {}): FakeOrder {
    return this.seedOrder({
      status: "checkout-draft",
      createdVia: "store-api",
      paymentMethod: "",
      paymentMethodTitle: "",
      ...(input.total ? { total: input.total } : {}),
    });
  }

  storeApiCheckout(
    orderId: number,
    input: { billingAddress: Record<string, string>; paymentMethod: string; processPayment: (order: FakeOrder) => { result: "success"; redirect: string } },
  ): { status: number; body: Record<string, unknown> } {
    const order = this.getOrder(orderId);
    if (order.status !== "checkout-draft") throw new WcRestError(409, "woocommerce_rest_checkout_invalid_order", "Not a draft order.");
    const billing = input.billingAddress;
    if (billing.country === "HK" && !billing.state) {
      return {
        status: 400,
        body: {
          code: "woocommerce_rest_invalid_address",
          message: "There was a problem with the provided billing address: Region is required",
          data: { errors: { billing: ["Region is required"] }, status: 400 },
        },
      };
    }
    order.billing = { ...order.billing, ...billing };
    order.paymentMethod = input.paymentMethod;
    order.paymentMethodTitle = this.gateways.get(input.paymentMethod)?.title ?? input.paymentMethod;
    this.setStatus(order, "pending");
    this.save(order);
    const result = input.processPayment(order);
    return {
      status: 200,
      body: {
        order_id: order.id,
        status: order.status,
        order_key: order.orderKey,
        payment_method: order.paymentMethod,
        payment_result: {
          payment_status: result.result,
          payment_details: [
            { key: "result", value: result.result },
            { key: "redirect", value: result.redirect },
          ],
          redirect_url: result.redirect,
        },
      },
    };
  }

  save(order: FakeOrder): void {
    order.dateModified = this.now();
    this.emit({ topic: "order.updated", orderId: order.id });
  }

  /**
   * `wc_cancel_unpaid_orders()`: `pending` orders from `checkout`/`store-api` not modified within the
   * hold-stock window are cancelled with WooCommerce's note.
   */
  cancelUnpaidOrders(holdStockMinutes: number): number[] {
    const cutoff = this.now().getTime() - holdStockMinutes * 60_000;
    const cancelled: number[] = [];
    for (const order of this.orders.values()) {
      if (order.status !== "pending" || !["checkout", "store-api"].includes(order.createdVia)) continue;
      if (order.dateModified.getTime() >= cutoff) continue;
      this.setStatus(order, "cancelled", "Unpaid order cancelled - time limit reached.");
      this.save(order);
      cancelled.push(order.id);
    }
    return cancelled;
  }

  // ---- notes --------------------------------------------------------------------------------

  addNote(order: FakeOrder, note: string, customerNote: boolean, author = "system"): FakeNote {
    const n: FakeNote = { id: this.id(), author, date: this.now(), note, customerNote };
    order.notes.unshift(n);
    return n;
  }

  // ---- refunds ------------------------------------------------------------------------------

  /**
   * `POST orders/{id}/refunds` → `wc_create_refund()` (+ `wc_refund_payment()` when `api_refund`,
   * which defaults to true). Errors come back as WooCommerce builds them: a WP_Error whose data is
   * the bare number, so the HTTP status is 500 and `data` is that number.
   */
  async createRefund(
    orderId: number,
    input: { amount?: unknown; reason?: unknown; apiRefund?: boolean; meta?: unknown; refundedBy?: number },
  ): Promise<FakeRefund> {
    const order = this.orders.get(orderId);
    if (!order) throw new WcRestError(500, "woocommerce_rest_invalid_order_id", "Invalid order ID.", 404);
    const amountCents = input.amount === undefined || input.amount === "" ? 0 : toCents(String(input.amount));
    if (amountCents < 0) throw new WcRestError(500, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400);
    const remaining = order.totalCents - refundedCents(order);
    const fail = (message: string) => new WcRestError(500, "woocommerce_rest_cannot_create_order_refund", message, 500);
    if (amountCents > remaining) throw fail("Invalid refund amount.");

    const refund: FakeRefund = {
      id: this.id(),
      date: this.now(),
      amountCents,
      reason: typeof input.reason === "string" ? input.reason : "",
      refundedBy: input.refundedBy ?? 1,
      refundedPayment: false,
      meta: [],
    };
    if (Array.isArray(input.meta)) {
      for (const m of input.meta as Array<{ key?: unknown; value?: unknown }>) {
        if (typeof m.key === "string") refund.meta.push({ id: this.nextMetaId++, key: m.key, value: m.value });
      }
    }
    // wc_create_refund() saves the refund BEFORE wc_refund_payment() runs the gateway, so the
    // gateway (and the bridge reading it back over REST) sees it; on failure it is deleted again.
    order.refunds.unshift(refund);
    if (input.apiRefund !== false) {
      const drop = (message: string) => {
        order.refunds.splice(order.refunds.indexOf(refund), 1);
        return fail(message);
      };
      const gateway = this.gateways.get(order.paymentMethod);
      if (!gateway) throw drop("The payment gateway for this order does not exist.");
      if (!gateway.supports.includes("refunds") || !gateway.processRefund) throw drop("The payment gateway for this order does not support automatic refunds.");
      let result: Awaited<ReturnType<NonNullable<FakeGateway["processRefund"]>>>;
      try {
        result = await gateway.processRefund({ orderId, amount: formatCents(amountCents), reason: refund.reason, refundId: refund.id });
      } catch (err) {
        throw drop(err instanceof Error ? err.message : String(err));
      }
      if (result === false) throw drop("An error occurred while attempting to create the refund using the payment gateway API.");
      if (typeof result === "object") throw drop(result.error);
      refund.refundedPayment = true;
    }
    if (remaining - amountCents > 0) {
      // woocommerce_order_partially_refunded: status unchanged.
    } else {
      this.setStatus(order, "refunded");
    }
    this.save(order); // woocommerce_order_refunded is on the order.updated topic
    return refund;
  }

  /** The wp-admin "Refund manually" button: records a refund and contacts no gateway. */
  adminManualRefund(orderId: number, amount: string, reason = ""): Promise<FakeRefund> {
    return this.createRefund(orderId, { amount, reason, apiRefund: false });
  }

  deleteRefund(orderId: number, refundId: number): FakeRefund {
    const order = this.getOrder(orderId);
    const i = order.refunds.findIndex((r) => r.id === refundId);
    if (i === -1) throw new WcRestError(404, "woocommerce_rest_invalid_id", "Invalid ID.");
    const [refund] = order.refunds.splice(i, 1);
    this.save(order); // woocommerce_delete_order_refund
    return refund!;
  }

  /** `wc_order_fully_refunded()`: a manual switch to `refunded` refunds the remainder without a gateway. */
  private orderFullyRefunded(order: FakeOrder): void {
    const max = order.totalCents - refundedCents(order);
    if (max <= 0) return;
    order.refunds.unshift({
      id: this.id(),
      date: this.now(),
      amountCents: max,
      reason: "Order fully refunded.",
      refundedBy: 1,
      refundedPayment: false,
      meta: [],
    });
    this.addNote(order, "Order status set to refunded. To return funds to the customer you will need to issue a refund through your payment gateway.", false);
  }

  private applyMeta(order: FakeOrder, metaData: unknown): void {
    if (!Array.isArray(metaData)) return;
    for (const row of metaData as Array<{ id?: unknown; key?: unknown; value?: unknown }>) {
      if (typeof row.id === "number") {
        const existing = order.meta.find((m) => m.id === row.id);
        if (existing) {
          if (typeof row.key === "string") existing.key = row.key;
          existing.value = row.value;
          continue;
        }
      }
      if (typeof row.key !== "string") continue;
      // update_meta_data(key, value): replaces the first row with that key, else adds one.
      const same = order.meta.find((m) => m.key === row.key);
      if (same) same.value = row.value;
      else order.meta.push({ id: this.nextMetaId++, key: row.key, value: row.value });
    }
  }

  private id(): number {
    return this.nextId++;
  }
}

export function refundedCents(order: FakeOrder): number {
  return order.refunds.reduce((s, r) => s + r.amountCents, 0);
}

function invalidParam(param: string, detail: string): WcRestError {
  return new WcRestError(400, "rest_invalid_param", `Invalid parameter(s): ${param}`, { status: 400, params: { [param]: detail }, details: {} });
}

/** "29.35" → 2935; also "30", "9.5", and numbers as JSON sends them. Rounds like `wc_format_decimal` to 2 dp. */
export function toCents(value: string): number {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m)
    throw new WcRestError(400, "rest_invalid_param", `Invalid parameter(s): amount`, { status: 400, params: { amount: `amount is not a number: ${value}` } });
  const frac = (m[3] ?? "").padEnd(3, "0");
  const cents = Number(m[2] || "0") * 100 + Number(frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1 : 0);
  return m[1] ? -cents : cents;
}

export function formatCents(cents: number, dp = 2): string {
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, "0");
  const text = dp <= 0 ? String(Math.round(abs / 100)) : dp === 1 ? `${whole}.${frac[0]}` : `${whole}.${frac}${"0".repeat(dp - 2)}`;
  return `${neg ? "-" : ""}${text}`;
}

/** `2017-03-22T16:28:02` in the site's zone, and its GMT twin. */
export function wcDates(d: Date | null): { local: string | null; gmt: string | null } {
  if (!d) return { local: null, gmt: null };
  const fmt = (t: number) => new Date(t).toISOString().slice(0, 19);
  return { local: fmt(d.getTime() + SITE_OFFSET_MS), gmt: fmt(d.getTime()) };
}
