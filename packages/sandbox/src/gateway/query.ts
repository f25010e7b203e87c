/**
 * `alipay.acquire.overseas.query` (spec §2.3): a trade's status by `alipay_trans_id` (checked first) or
 * `partner_trans_id`. An unknown trade answers `FAIL` + `TRADE_NOT_EXIST`, as the HK query page spells it.
 */
import { amountFields, paymentFields, reply, type ServiceContext, type ServiceResult } from "./service";

export function query(ctx: ServiceContext): ServiceResult {
  const { engine, params: p, partner } = ctx;
  const trade = p.alipay_trans_id ? engine.ledger.getByAlipayId(partner.partner, p.alipay_trans_id) : engine.ledger.get(partner.partner, p.partner_trans_id!);
  if (!trade) {
    return reply({ result_code: "FAIL", error: "TRADE_NOT_EXIST", partner_trans_id: p.partner_trans_id, alipay_trans_id: p.alipay_trans_id });
  }
  engine.refresh(trade);
  return reply({
    result_code: "SUCCESS",
    alipay_trans_id: trade.alipayTransId,
    alipay_trans_status: trade.status,
    out_trade_no: trade.partnerTransId,
    partner_trans_id: trade.partnerTransId,
    ...amountFields(trade),
    // Present even for TRADE_CLOSED after payment, like the real capture #2.
    ...paymentFields(trade),
  });
}
