import { formatCents, refundedCents, wcDates, type FakeNote, type FakeOrder, type FakeRefund, type FakeShop } from "./shop.js";

/**
 * REST v3 representations, field for field in the order of the docs' examples (the fixtures),
 * plus what current WooCommerce adds (`payment_url`, `needs_payment`, `needs_processing`,
 * `is_editable`, refund `refunded_payment`).
 */

export function renderOrder(shop: FakeShop, order: FakeOrder, base: string, dp = 2): Record<string, unknown> {
  const created = wcDates(order.dateCreated);
  const modified = wcDates(order.dateModified);
  const paid = wcDates(order.datePaid);
  const completed = wcDates(order.dateCompleted);
  const money = (c: number) => formatCents(c, dp);
  return {
    id: order.id,
    parent_id: 0,
    number: String(order.id),
    order_key: order.orderKey,
    created_via: order.createdVia,
    version: "9.0.0",
    status: order.status,
    currency: order.currency,
    date_created: created.local,
    date_created_gmt: created.gmt,
    date_modified: modified.local,
    date_modified_gmt: modified.gmt,
    discount_total: money(0),
    discount_tax: money(0),
    shipping_total: money(order.shippingCents),
    shipping_tax: money(0),
    cart_tax: money(order.taxCents),
    total: money(order.totalCents),
    total_tax: money(order.taxCents),
    prices_include_tax: false,
    customer_id: order.customerId,
    customer_ip_address: "",
    customer_user_agent: "",
    customer_note: order.customerNote,
    billing: order.billing,
    shipping: order.shipping,
    payment_method: order.paymentMethod,
    payment_method_title: order.paymentMethodTitle,
    transaction_id: order.transactionId,
    date_paid: paid.local,
    date_paid_gmt: paid.gmt,
    date_completed: completed.local,
    date_completed_gmt: completed.gmt,
    cart_hash: "",
    meta_data: order.meta.map((m) => ({ id: m.id, key: m.key, value: m.value })),
    line_items: order.lineItems,
    tax_lines: order.taxLines,
    shipping_lines: order.shippingLines,
    fee_lines: [],
    coupon_lines: [],
    refunds: order.refunds.map((r) => ({ id: r.id, reason: r.reason, total: `-${money(r.amountCents)}` })),
    payment_url: `${base}/checkout/order-pay/${order.id}/?pay_for_order=true&key=${order.orderKey}`,
    is_editable: order.status === "pending" || order.status === "on-hold" || order.status === "checkout-draft",
    needs_payment: shop.needsPayment(order),
    needs_processing: shop.needsProcessing(order),
    _links: {
      self: [{ href: `${base}/wp-json/wc/v3/orders/${order.id}` }],
      collection: [{ href: `${base}/wp-json/wc/v3/orders` }],
    },
  };
}

export function renderRefund(orderId: number, refund: FakeRefund, base: string, dp = 2): Record<string, unknown> {
  const d = wcDates(refund.date);
  return {
    id: refund.id,
    date_created: d.local,
    date_created_gmt: d.gmt,
    amount: formatCents(refund.amountCents, dp),
    reason: refund.reason,
    refunded_by: refund.refundedBy,
    refunded_payment: refund.refundedPayment,
    meta_data: refund.meta.map((m) => ({ id: m.id, key: m.key, value: m.value })),
    line_items: [],
    shipping_lines: [],
    tax_lines: [],
    fee_lines: [],
    _links: {
      self: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}/refunds/${refund.id}` }],
      collection: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}/refunds` }],
      up: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}` }],
    },
  };
}

export function renderNote(orderId: number, note: FakeNote, base: string): Record<string, unknown> {
  const d = wcDates(note.date);
  return {
    id: note.id,
    author: note.author,
    date_created: d.local,
    date_created_gmt: d.gmt,
    note: note.note,
    customer_note: note.customerNote,
    _links: {
      self: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}/notes/${note.id}` }],
      collection: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}/notes` }],
      up: [{ href: `${base}/wp-json/wc/v3/orders/${orderId}` }],
    },
  };
}

export { refundedCents };
