import type { MinorUnits } from "./amount";
import type { GatewayReply } from "./xml";

/** The five gateway services this library speaks, plus `notify_verify`. */
export const SERVICES = {
  precreate: "alipay.acquire.precreate",
  spotPay: "alipay.acquire.overseas.spot.pay",
  refund: "alipay.acquire.overseas.spot.refund",
  query: "alipay.acquire.overseas.query",
  cancel: "alipay.acquire.cancel",
  notifyVerify: "notify_verify",
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** The buyer's wallet: AlipayHK or Alipay (mainland) at an HK merchant. */
export type PaymentInst = "ALIPAYHK" | "ALIPAYCN" | (string & {});

/** `alipay_trans_status` / `trade_status` values. */
export type AlipayTransStatus = "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED" | "TRADE_FINISHED" | (string & {});

/** Secondary-merchant data acquirers must send (`extend_info` / `extend_params`). */
export interface SecondaryMerchant {
  secondary_merchant_name: string;
  secondary_merchant_id: string;
  secondary_merchant_industry: string;
  store_id?: string;
  store_name?: string;
  terminal_id?: string;
}

/**
 * A payment's normalised result (spec §0): `UNKNOW`/`UNKNOWN` → unknown, `FAIL`/`FAILED` → failed.
 * Unknown is never failure: resolve it by query and cancel.
 */
export type PaymentOutcome =
  | { kind: "paid" }
  | { kind: "failed"; code: string }
  | { kind: "unknown"; code?: string }
  | { kind: "waiting" }
  | { kind: "closed" };

/** Fields of a paid trade, as spot.pay, query and notifications report them. */
export interface TradeDetails {
  partnerTransId: string;
  alipayTransId?: string;
  amount?: MinorUnits;
  currency?: string;
  paymentInst?: PaymentInst;
  buyerLoginId?: string;
  buyerUserId?: string;
  /** Payment time (from `alipay_pay_time`, GMT+8). */
  paidAt?: Date;
}

// ---- requests -------------------------------------------------------------------------------

export interface PrecreateRequest {
  /** `out_trade_no`: the merchant's unique id; the idempotency key; queryable as partner_trans_id. */
  outTradeNo: string;
  subject: string;
  totalFee: MinorUnits;
  notifyUrl?: string;
  /** Order timeout, e.g. `"15m"`, `"2h"`, `"1c"`. */
  itBPay?: string;
  body?: string;
  showUrl?: string;
  passbackParameters?: string;
  extendParams?: SecondaryMerchant | string;
  tradeInformation?: Record<string, string> | string;
  terminalTimestamp?: string;
}

export interface SpotPayRequest {
  partnerTransId: string;
  transName: string;
  amount: MinorUnits;
  /** The code read from the buyer's wallet (16–24 digits starting with 25–30). */
  buyerIdentityCode: string;
  /** The HK spot.pay documents `barcode` as the only value. */
  identityCodeType?: "barcode";
  /** Defaults to the client's clock. */
  transCreateTime?: Date;
  quantity?: number;
  memo?: string;
  extendInfo?: SecondaryMerchant | string;
  tradeInformation?: Record<string, string> | string;
}

export interface RefundRequest {
  partnerTransId: string;
  partnerRefundId: string;
  amount: MinorUnits;
  reason?: string;
  /** `Y`: the reply is final (default here). `N`: accepted now, executed later, result by notification. */
  isSync?: boolean;
  notifyUrl?: string;
  alipayTransId?: string;
}

export interface CancelRequest {
  outTradeNo: string;
  tradeNo?: string;
}

// ---- results --------------------------------------------------------------------------------

interface ResultBase {
  /** The verified reply, for logs and audits. */
  reply: GatewayReply;
}

export interface PrecreateResult extends ResultBase {
  outTradeNo: string;
  /** The QR payload to render: `https://qr.alipay.com/<code>`. */
  qrCode: string;
  picUrl?: string;
  smallPicUrl?: string;
  bigPicUrl?: string;
}

export interface SpotPayResult extends ResultBase, TradeDetails {
  outcome: PaymentOutcome;
}

export interface QueryResult extends ResultBase, TradeDetails {
  /** False when the gateway does not know the id (`TRADE_NOT_EXIST`). */
  found: boolean;
  status?: AlipayTransStatus;
  outcome: PaymentOutcome;
}

export interface RefundResult extends ResultBase {
  /** `succeeded` (sync), `accepted` (async: the result comes by notification), `failed`, `unknown`. */
  outcome: { kind: "succeeded" } | { kind: "accepted" } | { kind: "failed"; code: string } | { kind: "unknown"; code?: string };
  partnerTransId: string;
  partnerRefundId: string;
  amount: MinorUnits;
}

export interface CancelResult extends ResultBase {
  outcome: { kind: "succeeded" } | { kind: "failed"; code: string } | { kind: "unknown"; code?: string };
  /** `retry_flag=Y`: the gateway asks for the cancel to be sent again. */
  retry: boolean;
  /** What the cancel did: `close` (unpaid) or `refund` (paid, reversed), when the gateway says. */
  action?: "close" | "refund" | (string & {});
  outTradeNo: string;
  tradeNo?: string;
}

/** A verified asynchronous notification (spec §3.2/§3.3). Extra fields are kept in `fields`. */
export interface AlipayNotification {
  notifyId: string;
  notifyType: string;
  notifyTime?: Date;
  notifyActionType?: string;
  outTradeNo?: string;
  tradeNo?: string;
  tradeStatus?: AlipayTransStatus;
  totalFee?: MinorUnits;
  currency?: string;
  paymentInst?: PaymentInst;
  paidAt?: Date;
  partnerTransId?: string;
  partnerRefundId?: string;
  refundAmount?: MinorUnits;
  refundStatus?: string;
  passback?: string;
  /** Every received field, verified. */
  fields: Record<string, string>;
}
