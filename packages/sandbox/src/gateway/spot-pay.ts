/**
 * `alipay.acquire.overseas.spot.pay` (spec §2.1): the merchant scans the buyer's code. The code
 * picks the outcome (see buyers.ts). Idempotent on `partner_trans_id`: the same request gets the
 * same answer while the trade is unchanged, and the trade's current state after that.
 */
import { parseHkdAmount } from "@alipayhk/core";
import { barcodeBehaviour, BUYERS, isBuyerCode } from "../buyers";
import type { TradeRecord } from "../ledger";
import { amountFields, fingerprint, merchantInfo, paymentFields, reply, type ServiceContext, type ServiceResult } from "./service";

const failed = (id: string, error: string) => reply({ result_code: "FAILED", error, partner_trans_id: id });
const unknown = (id: string, error: string) => reply({ result_code: "UNKNOW", error, partner_trans_id: id });

function paid(trade: TradeRecord) {
  return reply({
    result_code: "SUCCESS",
    partner_trans_id: trade.partnerTransId,
    alipay_trans_id: trade.alipayTransId,
    ...amountFields(trade),
    ...paymentFields(trade),
  });
}

/** The answer that describes the trade as it is now. */
function currentAnswer(trade: TradeRecord) {
  if (trade.status === "TRADE_SUCCESS") return paid(trade);
  if (trade.status === "WAIT_BUYER_PAY") return unknown(trade.partnerTransId, "USER_PAYING");
  if (trade.closeReason === "payment_failed" && trade.failure) return failed(trade.partnerTransId, trade.failure);
  return failed(trade.partnerTransId, "TRADE_HAS_CLOSE");
}

export function spotPay(ctx: ServiceContext): ServiceResult {
  const { engine, params: p, partner } = ctx;
  const id = p.partner_trans_id!;
  const content = fingerprint(p);

  const existing = engine.ledger.get(partner.partner, id);
  if (existing) {
    engine.refresh(existing);
    if (existing.fingerprint !== content) return failed(id, "CONTEXT_INCONSISTENT");
    if (existing.reply && existing.reply.version === existing.version) return { kind: "reply", response: existing.reply.response };
    return currentAnswer(existing);
  }

  if (p.currency !== "HKD") return failed(id, "CURRENCY_NOT_SUPPORT");
  const code = p.buyer_identity_code!;
  // A code that no wallet could have shown: the spec's "bad/expired buyer code" error.
  if (!isBuyerCode(code)) return failed(id, "SOUNDWAVE_PARSER_FAIL");

  const now = engine.now();
  const behaviour = barcodeBehaviour(code);
  const trade: TradeRecord = {
    partner: partner.partner,
    partnerTransId: id,
    alipayTransId: engine.nextAlipayTransId(),
    product: "barcode",
    service: p.service!,
    subject: p.trans_name!,
    amount: parseHkdAmount(p.trans_amount!, "trans_amount"),
    currency: p.currency,
    transCurrency: p.currency,
    status: "WAIT_BUYER_PAY",
    createdAt: now.toISOString(),
    charset: ctx.charset,
    signType: ctx.signType,
    merchant: merchantInfo(p.extend_info),
    fingerprint: content,
    refunds: [],
    version: 0,
  };
  const paidNow = (wallet: "ALIPAYHK" | "ALIPAYCN") => {
    trade.status = "TRADE_SUCCESS";
    trade.paidAt = now.toISOString();
    trade.buyer = BUYERS[wallet];
  };
  const closed = (failure: string) => {
    trade.status = "TRADE_CLOSED";
    trade.closedAt = now.toISOString();
    trade.closeReason = "payment_failed";
    trade.failure = failure;
  };

  let result: ServiceResult & { kind: "reply" };
  switch (behaviour.kind) {
    case "paid":
    case "held_then_paid":
      paidNow(behaviour.wallet);
      result = paid(trade) as typeof result;
      break;
    case "no_reply_charged":
      paidNow(behaviour.wallet);
      result = { ...(paid(trade) as typeof result), dropReply: true };
      break;
    case "failed":
      closed(behaviour.error);
      result = failed(id, behaviour.error) as typeof result;
      break;
    case "wait_then_paid":
      trade.pendingPayAt = new Date(now.getTime() + engine.config.barcodeWaitMs).toISOString();
      trade.pendingWallet = behaviour.wallet;
      result = unknown(id, "USER_PAYING") as typeof result;
      break;
    case "wait_for_buyer":
      result = unknown(id, "USER_PAYING") as typeof result;
      break;
    case "unknown_charged":
      paidNow(behaviour.wallet);
      result = unknown(id, "SYSTEM_ERROR") as typeof result;
      break;
    case "unknown_not_charged":
      closed("SYSTEM_ERROR");
      result = unknown(id, "SYSTEM_ERROR") as typeof result;
      break;
    case "unknown_cancel_retry":
      trade.cancelRetryPending = true;
      result = unknown(id, "SYSTEM_ERROR") as typeof result;
      break;
  }
  trade.reply = { version: 0, response: result.response };
  engine.open(trade);
  return result;
}
