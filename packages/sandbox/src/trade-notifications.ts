/**
 * The notifications a trade's changes send (spec §3.2, §3.3): their fields, signed as Alipay signs
 * them, handed to the notifier with any notification fault (duplicates, out of order) applied.
 */
import { canonicalize, formatAmount, formatGmt8, type SignType } from "@alipayhk/core";
import type { SandboxEngine } from "./engine";
import type { RefundRecord, TradeRecord } from "./ledger";

/** Signs notification fields over their canonical string in the merchant's charset. */
function signFields(
  engine: SandboxEngine,
  trade: { partner: string; signType: SignType; charset: string },
  fields: Record<string, string | undefined>,
): Record<string, string> {
  const partner = engine.partner(trade.partner)!;
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined && value !== "") clean[name] = value;
  const sign = engine.sign(partner, trade.signType, canonicalize(clean), trade.charset);
  return { ...clean, sign, sign_type: trade.signType };
}

/** `trade_status_sync` / `payByAccountAction` for a paid QR trade (§3.2), and the stale one an out-of-order fault asks for. */
export function notifyPayment(engine: SandboxEngine, trade: TradeRecord): void {
  const faults = engine.faults.forNotification(trade.partnerTransId);
  const base = {
    notify_type: "trade_status_sync",
    out_trade_no: trade.partnerTransId,
    trade_no: trade.alipayTransId,
    subject: trade.subject,
    total_fee: formatAmount(trade.amount),
    currency: trade.currency,
    trans_currency: trade.transCurrency,
    gmt_create: formatGmt8(new Date(trade.createdAt)),
    seller_id: trade.partner,
    extra_common_param: trade.passback,
  };
  const fields = signFields(engine, trade, {
    ...base,
    notify_time: formatGmt8(engine.now()),
    notify_id: engine.newNotifyId(),
    notify_action_type: "payByAccountAction",
    trade_status: "TRADE_SUCCESS",
    gmt_payment: formatGmt8(new Date(trade.paidAt!)),
    buyer_id: trade.buyer?.userId,
    buyer_email: trade.buyer?.loginId,
    payment_inst: trade.buyer?.wallet,
  });
  const stale = faults.outOfOrder
    ? signFields(engine, trade, {
        ...base,
        notify_time: formatGmt8(new Date(trade.createdAt)),
        notify_id: engine.newNotifyId(),
        notify_action_type: "createDirectPayTradeByBuyerAction",
        trade_status: "WAIT_BUYER_PAY",
      })
    : undefined;
  engine.notifier.enqueue({
    partner: trade.partner,
    kind: "payment",
    outTradeNo: trade.partnerTransId,
    url: trade.notifyUrl!,
    fields,
    charset: trade.charset,
    duplicates: faults.duplicates,
    stale,
  });
}

/** `closeTradeAction` for a QR trade that expired or that the buyer declined. */
export function notifyClose(engine: SandboxEngine, trade: TradeRecord): void {
  const faults = engine.faults.forNotification(trade.partnerTransId);
  const fields = signFields(engine, trade, {
    notify_time: formatGmt8(engine.now()),
    notify_type: "trade_status_sync",
    notify_id: engine.newNotifyId(),
    notify_action_type: "closeTradeAction",
    out_trade_no: trade.partnerTransId,
    trade_no: trade.alipayTransId,
    trade_status: "TRADE_CLOSED",
    subject: trade.subject,
    total_fee: formatAmount(trade.amount),
    currency: trade.currency,
    trans_currency: trade.transCurrency,
    gmt_create: formatGmt8(new Date(trade.createdAt)),
    gmt_close: formatGmt8(new Date(trade.closedAt!)),
    seller_id: trade.partner,
    extra_common_param: trade.passback,
  });
  engine.notifier.enqueue({
    partner: trade.partner,
    kind: "close",
    outTradeNo: trade.partnerTransId,
    url: trade.notifyUrl!,
    fields,
    charset: trade.charset,
    duplicates: faults.duplicates,
  });
}

/** `refundFPAction` for an executed `is_sync=N` refund (§3.3), signed with the refund request's sign type and charset. */
export function notifyRefund(engine: SandboxEngine, trade: TradeRecord, refund: RefundRecord): void {
  const faults = engine.faults.forNotification(trade.partnerTransId);
  const fields = signFields(
    engine,
    { partner: trade.partner, signType: refund.signType, charset: refund.charset },
    {
      notify_time: formatGmt8(engine.now()),
      notify_type: "trade_status_sync",
      notify_id: engine.newNotifyId(),
      notify_action_type: "refundFPAction",
      out_trade_no: trade.partnerTransId,
      partner_trans_id: trade.partnerTransId,
      trade_no: trade.alipayTransId,
      trade_status: trade.status,
      partner_refund_id: refund.partnerRefundId,
      refund_amount: formatAmount(refund.amount),
      currency: refund.currency,
      refund_status: "REFUND_SUCCESS",
      result_code: "SUCCESS",
      gmt_refund: formatGmt8(new Date(refund.completedAt!)),
      payment_inst: trade.buyer?.wallet,
    },
  );
  engine.notifier.enqueue({
    partner: trade.partner,
    kind: "refund",
    outTradeNo: trade.partnerTransId,
    partnerRefundId: refund.partnerRefundId,
    url: refund.notifyUrl!,
    fields,
    charset: refund.charset,
    duplicates: faults.duplicates,
  });
}
