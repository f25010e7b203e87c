/** JSON views of the ledger for the admin routes and the in-process API. */
import { formatAmount } from "@alipayhk/core";
import type { TradeRecord } from "./ledger";

/** A trade as `GET /sandbox/trades` shows it (amounts as gateway strings, times ISO). */
export interface SandboxTrade {
  partner: string;
  out_trade_no: string;
  trade_no: string;
  product: "qr" | "barcode";
  subject: string;
  qr_code?: string;
  total_fee: string;
  currency: string;
  status: TradeRecord["status"];
  payment_inst?: string;
  buyer_login_id?: string;
  created_at: string;
  expires_at?: string;
  paid_at?: string;
  closed_at?: string;
  close_reason?: string;
  failure?: string;
  notify_url?: string;
  refunded: string;
  refunds: Array<{
    partner_refund_id: string;
    refund_amount: string;
    currency: string;
    status: "PROCESSING" | "SUCCESS";
    is_sync: boolean;
    requested_at: string;
    completed_at?: string;
  }>;
}

export function tradeView(trade: TradeRecord): SandboxTrade {
  return {
    partner: trade.partner,
    out_trade_no: trade.partnerTransId,
    trade_no: trade.alipayTransId,
    product: trade.product,
    subject: trade.subject,
    qr_code: trade.qrCode,
    total_fee: formatAmount(trade.amount),
    currency: trade.currency,
    status: trade.status,
    payment_inst: trade.buyer?.wallet,
    buyer_login_id: trade.buyer?.loginId,
    created_at: trade.createdAt,
    expires_at: trade.expiresAt,
    paid_at: trade.paidAt,
    closed_at: trade.closedAt,
    close_reason: trade.closeReason,
    failure: trade.failure,
    notify_url: trade.notifyUrl,
    refunded: formatAmount(trade.refunds.filter((r) => r.status === "SUCCESS").reduce((sum, r) => sum + r.amount, 0)),
    refunds: trade.refunds.map((r) => ({
      partner_refund_id: r.partnerRefundId,
      refund_amount: formatAmount(r.amount),
      currency: r.currency,
      status: r.status,
      is_sync: r.isSync,
      requested_at: r.requestedAt,
      completed_at: r.completedAt,
    })),
  };
}
