/** What every service handler gets and gives back, and the reply fields they share. */
import { canonicalize, formatAmount, formatGmt8Compact, type SignType } from "@alipayhk/core";
import type { SandboxEngine } from "../engine";
import type { RequestFaults } from "../faults";
import type { MerchantInfo, TradeRecord } from "../ledger";
import type { PartnerConfig } from "../options";

export interface ServiceContext {
  engine: SandboxEngine;
  partner: PartnerConfig;
  params: Record<string, string>;
  signType: SignType;
  charset: string;
  faults: RequestFaults;
}

export type ServiceResult =
  /** `is_success=T` with these `response/alipay` fields; `dropReply` closes the connection instead (after commit). */
  | { kind: "reply"; response: Record<string, string>; dropReply?: boolean }
  /** `is_success=F` with this error code. */
  | { kind: "error"; error: string; detail?: string }
  /** A plain-text body (notify_verify). */
  | { kind: "text"; body: string };

export const reply = (response: Record<string, string | undefined>, dropReply = false): ServiceResult => {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(response)) if (value !== undefined && value !== "") clean[name] = value;
  return { kind: "reply", response: clean, dropReply };
};

/** Parameters that may differ between two sends of the same request (time of sending, transport). */
const VOLATILE = new Set(["_input_charset", "timestamp", "terminal_timestamp", "trans_create_time"]);

/** The request's content for idempotency: same content = same request. */
export function fingerprint(params: Record<string, string>): string {
  const content: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) if (!VOLATILE.has(name)) content[name] = value;
  return canonicalize(content);
}

/** Secondary-merchant data from `extend_params` / `extend_info` (already checked to be JSON). */
export function merchantInfo(json: string | undefined): MerchantInfo {
  if (!json) return {};
  try {
    const value = JSON.parse(json) as Record<string, unknown>;
    const str = (name: string) => (typeof value[name] === "string" || typeof value[name] === "number" ? String(value[name]) : undefined);
    return {
      industry: str("secondary_merchant_industry"),
      name: str("secondary_merchant_name"),
      id: str("secondary_merchant_id"),
      storeName: str("store_name"),
    };
  } catch {
    return {};
  }
}

/** The payment fields of a paid trade, as spot.pay and query report them. */
export function paymentFields(trade: TradeRecord): Record<string, string | undefined> {
  return {
    alipay_buyer_login_id: trade.buyer?.loginId,
    alipay_buyer_user_id: trade.buyer?.userId,
    alipay_pay_time: trade.paidAt ? formatGmt8Compact(new Date(trade.paidAt)) : undefined,
    payment_inst: trade.buyer?.wallet,
  };
}

export function amountFields(trade: TradeRecord): Record<string, string> {
  return { currency: trade.currency, trans_amount: formatAmount(trade.amount) };
}
