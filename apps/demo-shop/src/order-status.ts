import type { ShopOrder } from "./shop-orders";

/** Where an order stands, as the checkout page shows it; the same object goes down the event stream. */
export interface OrderStatusView {
  /** `creating` until the adapter answered; then the adapter's status. */
  status: "creating" | "error" | "pending" | "paid" | "failed" | "canceled";
  /** One line for the buyer. */
  label: string;
  /** More detail: the Alipay transaction, the wallet, the refunds. */
  detail: string;
}

export function orderStatusView(order: ShopOrder): OrderStatusView {
  const payment = order.payment;
  if (!payment) {
    if (order.error) return { status: "error", label: "The payment could not be started", detail: order.error };
    return order.mode === "barcode"
      ? {
          status: "creating",
          label: "Charging the buyer's payment code…",
          detail: "If the wallet asks the buyer to confirm, press Pay on the sandbox wallet page.",
        }
      : { status: "creating", label: "Creating the QR code…", detail: "" };
  }
  const refunded = payment.refunded_amount && payment.refunded_amount !== "0.00" ? `HKD ${payment.refunded_amount} refunded` : "";
  switch (payment.status) {
    case "pending":
      return {
        status: "pending",
        label: payment.mode === "qr" ? "Waiting for payment" : "Waiting for the buyer to confirm in the wallet",
        detail:
          payment.mode === "qr" ? "Scan the code with AlipayHK or Alipay; this page updates by itself." : "The charge is open; this page updates by itself.",
      };
    case "paid": {
      const via = [payment.payment_inst, payment.alipay_trans_id ? `Alipay transaction ${payment.alipay_trans_id}` : ""].filter(Boolean).join(" · ");
      return { status: "paid", label: refunded ? `Paid · ${refunded}` : "Paid — thank you!", detail: via };
    }
    case "failed":
      return {
        status: "failed",
        label: "The payment failed",
        detail: payment.failure_code ? `Alipay said ${payment.failure_code}; nothing was charged.` : "Nothing was charged.",
      };
    case "canceled":
      return payment.paid_at
        ? { status: "canceled", label: "Cancelled", detail: "The payment went back to the buyer." }
        : { status: "canceled", label: "Cancelled", detail: "The order was closed before it was paid; nothing was charged." };
  }
}
