/**
 * `alipay.acquire.overseas.spot.refund` (spec §2.4): partial and repeated refunds while their sum
 * stays within the paid amount, within the refund period. Idempotent on `partner_refund_id`.
 * `is_sync=Y` is final at once; `is_sync=N` (the default) is accepted now, executed later, and
 * reported to `notify_url`.
 */
import { formatAmount, parseHkdAmount } from "@alipayhk/core";
import { refundedAmount, type RefundRecord, type TradeRecord } from "../ledger";
import { fingerprint, reply, type ServiceContext, type ServiceResult } from "./service";

const DAY_MS = 86_400_000;

function answer(trade: TradeRecord, refund: RefundRecord): ServiceResult {
  return reply({
    result_code: "SUCCESS",
    partner_trans_id: trade.partnerTransId,
    alipay_trans_id: trade.alipayTransId,
    partner_refund_id: refund.partnerRefundId,
    refund_amount: formatAmount(refund.amount),
    currency: refund.currency,
  });
}

export function refund(ctx: ServiceContext): ServiceResult {
  const { engine, params: p, partner } = ctx;
  const refundId = p.partner_refund_id!;
  const fail = (error: string) =>
    reply({
      result_code: "FAILED",
      error,
      partner_trans_id: p.partner_trans_id,
      partner_refund_id: refundId,
      refund_amount: p.refund_amount,
      currency: p.currency,
    });
  const content = fingerprint(p);

  const known = engine.ledger.getRefund(partner.partner, refundId);
  if (known) {
    // The same partner_refund_id again: the same refund (never a second one), or a conflict.
    return known.refund.fingerprint === content ? answer(known.trade, known.refund) : fail("CONTEXT_INCONSISTENT");
  }
  if (refundId === p.partner_trans_id) return { kind: "error", error: "ILLEGAL_ARGUMENT", detail: "partner_refund_id: must differ from partner_trans_id" };

  const trade = p.alipay_trans_id ? engine.ledger.getByAlipayId(partner.partner, p.alipay_trans_id) : engine.ledger.get(partner.partner, p.partner_trans_id!);
  if (!trade || trade.partnerTransId !== p.partner_trans_id) {
    // As in the signed RSA2 capture: a refund of an unknown trade is refused at transport level.
    return { kind: "error", error: "PURCHASE_TRADE_NOT_EXIST", detail: "no paid trade with this partner_trans_id" };
  }
  engine.refresh(trade);
  if (p.currency !== trade.currency) return fail("CURRENCY_NOT_SAME");
  if (trade.status === "WAIT_BUYER_PAY") return fail("TRADE_STATUS_ERROR");
  if (!trade.paidAt || (trade.status === "TRADE_CLOSED" && trade.closeReason !== "refunded")) return fail("TRADE_HAS_CLOSE");
  const now = engine.now();
  if (now.getTime() > Date.parse(trade.paidAt) + engine.config.refundPeriodDays * DAY_MS) return fail("REFUNDMENT_VALID_DATE_EXCEED");
  const amount = parseHkdAmount(p.refund_amount!, "refund_amount");
  if (refundedAmount(trade) + amount > trade.amount) return fail("REFUND_AMT_RESTRICTION");

  const isSync = p.is_sync === "Y";
  const record: RefundRecord = {
    partnerRefundId: refundId,
    amount,
    currency: p.currency!,
    reason: p.refund_reson ?? p.refund_reason,
    isSync,
    status: "PROCESSING",
    requestedAt: now.toISOString(),
    processAt: isSync ? undefined : new Date(now.getTime() + engine.config.asyncRefundDelayMs).toISOString(),
    notifyUrl: p.notify_url,
    fingerprint: content,
    charset: ctx.charset,
    signType: ctx.signType,
  };
  engine.addRefund(trade, record);
  return answer(trade, record);
}
