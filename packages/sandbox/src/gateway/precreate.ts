/** `alipay.acquire.precreate` (spec §2.2): a Transaction QR Code trade, waiting for the buyer. */
import { parseAmountLenient, parseHkdAmount } from "@alipayhk/core";
import { startOfNextGmt8Day } from "../clock";
import type { TradeRecord } from "../ledger";
import { itBPayMinutes } from "./validate";
import { fingerprint, merchantInfo, reply, type ServiceContext, type ServiceResult } from "./service";

const fail = (outTradeNo: string, error: string): ServiceResult => reply({ result_code: "FAIL", error, out_trade_no: outTradeNo });

function qrReply(trade: TradeRecord): ServiceResult {
  const code = trade.qrCode!.replace("https://qr.alipay.com/", "");
  const pic = (size: string) => `https://mobilecodec.alipay.com/show.htm?code=${code}&picSize=${size}`;
  return reply({
    result_code: "SUCCESS",
    out_trade_no: trade.partnerTransId,
    voucher_type: "qrcode",
    qr_code: trade.qrCode,
    pic_url: pic("M"),
    small_pic_url: pic("S"),
    big_pic_url: pic("L"),
  });
}

function expiry(now: Date, value: string): Date {
  const minutes = itBPayMinutes(value);
  return minutes === "1c" ? startOfNextGmt8Day(now) : new Date(now.getTime() + minutes * 60_000);
}

export function precreate(ctx: ServiceContext): ServiceResult {
  const { engine, params: p, partner } = ctx;
  const id = p.out_trade_no!;
  const content = fingerprint(p);

  const existing = engine.ledger.get(partner.partner, id);
  if (existing) {
    engine.refresh(existing);
    // Same out_trade_no, same content: the same QR again (a page reload must not make a second trade).
    if (existing.fingerprint !== content) return fail(id, "CONTEXT_INCONSISTENT");
    if (existing.status === "TRADE_SUCCESS") return fail(id, "TRADE_HAS_SUCCESS");
    if (existing.status === "TRADE_CLOSED") return fail(id, "TRADE_HAS_CLOSE");
    return qrReply(existing);
  }

  if (p.currency !== "HKD" || (p.trans_currency && p.trans_currency !== "HKD")) return fail(id, "CURRENCY_NOT_SUPPORT");
  const amount = parseHkdAmount(p.total_fee!, "total_fee");
  if (p.price && p.quantity && parseAmountLenient(p.price, "price") * Number(p.quantity) !== amount) return fail(id, "INVALID_PARAMETER");

  const now = engine.now();
  const expiresAt = expiry(now, p.it_b_pay ?? engine.config.defaultQrExpiry);
  const qrExpiresAt = p.qr_code_it_b_pay ? expiry(now, p.qr_code_it_b_pay) : undefined;
  const trade: TradeRecord = {
    partner: partner.partner,
    partnerTransId: id,
    alipayTransId: engine.nextAlipayTransId(),
    product: "qr",
    service: p.service!,
    subject: p.subject!,
    amount,
    currency: p.currency,
    transCurrency: p.trans_currency ?? p.currency,
    status: "WAIT_BUYER_PAY",
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    qrExpiresAt: qrExpiresAt && qrExpiresAt < expiresAt ? qrExpiresAt.toISOString() : undefined,
    qrCode: engine.newQrCode(),
    notifyUrl: p.notify_url,
    passback: p.passback_parameters,
    charset: ctx.charset,
    signType: ctx.signType,
    merchant: merchantInfo(p.extend_params),
    fingerprint: content,
    refunds: [],
    version: 0,
  };
  engine.open(trade);
  return qrReply(trade);
}
