import { parseAmountLenient, type MinorUnits } from "./amount";
import { parseGmt8 } from "./clock";
import type { AlipayNotification } from "./types";

function amount(value: string | undefined, field: string): MinorUnits | undefined {
  if (!value) return undefined;
  try {
    return parseAmountLenient(value, field);
  } catch {
    return undefined;
  }
}

/** Turns verified notification fields into the typed shape (fields beyond §3.2 are kept). */
export function normaliseNotification(fields: Record<string, string>): AlipayNotification {
  return {
    notifyId: fields.notify_id ?? "",
    notifyType: fields.notify_type ?? "",
    notifyTime: parseGmt8(fields.notify_time),
    notifyActionType: fields.notify_action_type || undefined,
    outTradeNo: fields.out_trade_no || undefined,
    tradeNo: fields.trade_no || undefined,
    tradeStatus: fields.trade_status || undefined,
    totalFee: amount(fields.total_fee, "total_fee"),
    currency: fields.currency || undefined,
    paymentInst: fields.payment_inst || undefined,
    paidAt: parseGmt8(fields.gmt_payment),
    partnerTransId: fields.partner_trans_id || fields.out_trade_no || undefined,
    partnerRefundId: fields.partner_refund_id || undefined,
    refundAmount: amount(fields.refund_amount ?? fields.refund_fee, "refund_amount"),
    refundStatus: fields.refund_status || fields.result_code || undefined,
    passback: fields.extra_common_param || undefined,
    fields,
  };
}
