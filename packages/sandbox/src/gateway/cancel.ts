/**
 * `alipay.acquire.cancel` (spec §2.5, §0): closes an unpaid trade; reverses a paid one until
 * 00:00 GMT+8 of the day after payment, and refuses after that (`TRADE_STATUS_ERROR`,
 * `retry_flag=N`) so the merchant refunds instead. A trade that never existed: SUCCESS, no trade_no.
 */
import { startOfNextGmt8Day } from "../clock";
import { reply, type ServiceContext, type ServiceResult } from "./service";

export function cancel(ctx: ServiceContext): ServiceResult {
  const { engine, params: p, partner } = ctx;
  const outTradeNo = p.out_trade_no;
  const retry = () => reply({ result_code: "FAIL", error: "SYSTEM_ERROR", retry_flag: "Y", out_trade_no: outTradeNo, trade_no: p.trade_no });
  if (ctx.faults.cancelRetryFlag) return retry();

  const trade = p.trade_no ? engine.ledger.getByAlipayId(partner.partner, p.trade_no) : engine.ledger.get(partner.partner, outTradeNo!);
  if (!trade) {
    const release = outTradeNo ? engine.held.get(`${partner.partner}\u0000${outTradeNo}`) : undefined;
    if (release) {
      engine.config.log(`cancel ${outTradeNo}: its charge is held and unknown to the gateway yet; SUCCESS without trade_no, and the charge lands after it`);
      release();
    }
    return reply({ result_code: "SUCCESS", retry_flag: "N", out_trade_no: outTradeNo });
  }
  engine.refresh(trade);

  const answer = (action: string) =>
    reply({ result_code: "SUCCESS", retry_flag: "N", action, out_trade_no: trade.partnerTransId, trade_no: trade.alipayTransId });
  const refuse = (error: string) => reply({ result_code: "FAIL", error, retry_flag: "N", out_trade_no: trade.partnerTransId, trade_no: trade.alipayTransId });

  if (trade.cancelRetryPending) {
    trade.cancelRetryPending = undefined;
    engine.ledger.touch(trade);
    return retry();
  }
  switch (trade.status) {
    case "WAIT_BUYER_PAY":
      engine.close(trade, "cancelled");
      return answer("close");
    case "TRADE_SUCCESS":
      if (trade.refunds.length > 0) return refuse("TRADE_STATUS_ERROR");
      if (engine.now() >= startOfNextGmt8Day(new Date(trade.paidAt!))) return refuse("TRADE_STATUS_ERROR");
      engine.reverse(trade);
      return answer("refund");
    case "TRADE_CLOSED":
      // Cancelling again is harmless: the answer of the first cancel.
      if (trade.closeReason === "reversed") return answer("refund");
      if (trade.closeReason === "refunded") return refuse("TRADE_STATUS_ERROR");
      return answer("close");
  }
}
