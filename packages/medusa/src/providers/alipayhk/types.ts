import type { Transport } from "@alipayhk/core";

/**
 * Options of the `alipayhk-qr` and `alipayhk-barcode` payment providers, as written in
 * `medusa-config.ts` under the payment module's `providers[].options`.
 */
export interface AlipayHkProviderOptions {
  /** Alipay partner id (16 digits, starts with `2088`). */
  partner: string;
  /** How requests and replies are signed, as agreed with Alipay. */
  signType: "RSA2" | "RSA" | "MD5";
  /** Merchant private key (PEM or bare base64 DER), for `RSA`/`RSA2`. */
  privateKey?: string;
  /** Alipay's public key (PEM or bare base64 DER), for `RSA`/`RSA2`. */
  alipayPublicKey?: string;
  /** The MD5 key, for `MD5`. */
  md5Key?: string;
  /** `"production"` (default), `"production-global"`, `"alipay-sandbox"` or a gateway URL (e.g. the local sandbox). */
  gateway?: string;
  /**
   * Where Alipay posts the asynchronous notification: `https://<your medusa>/hooks/alipayhk/<provider>`,
   * e.g. `https://shop.example.com/hooks/alipayhk/alipayhk-qr_alipayhk`. Without it, payments are
   * found by the storefront's polling and the scheduled job only.
   */
  notifyUrl?: string;
  /** Currency of the Medusa store/region this provider serves. Alipay HK settles HKD only. Default `HKD`. */
  currency?: string;
  /** Minutes a QR code stays payable. Default 15 (see core's `createQrPayment`). */
  qrExpiresInMinutes?: number;
  /** The trade subject shown to the buyer. Default `"Order"`. */
  subject?: string;
  /** Request timeout towards Alipay in ms. */
  timeoutMs?: number;
  /**
   * Barcode payments: how often to query while the buyer confirms, and for how long at most before
   * cancelling. Defaults: core's `DEFAULT_POLICY.barcodePollIntervalMs` / `barcodeMaxPollMs`.
   */
  barcodePollIntervalMs?: number;
  barcodeMaxPollMs?: number;
  /** How requests reach the gateway (core's `Transport`); default `fetch`. A seam for tests. */
  transport?: Transport;
}

/** One refund as recorded in the payment's `data.refunds`. */
export interface AlipayHkRefundRecord {
  /** Medusa's refund id (`ref_...`): the idempotency key. */
  refund_id: string;
  /** The `partner_refund_id` sent to Alipay (derived by core from the refund id). */
  partner_refund_id: string;
  amount: string;
  /** `pending`: the outcome was still open; the scheduled job retries it with the same id. */
  status: "succeeded" | "pending" | "failed";
  code?: string;
  /**
   * The reason sent with the refund (part of its content): every resend carries exactly this text,
   * since a different reason under the same id is refused by Alipay as a different request.
   */
  reason?: string;
  at: string;
  /** When a refund first recorded `failed` later proved to have succeeded (a correction). */
  corrected_at?: string;
}

/**
 * What the providers keep in `payment_session.data` and `payment.data` (snake_case, JSON).
 * `qr_code`/`expires_at` are what a storefront renders for a QR session (the image comes from
 * `GET /store/alipayhk/payment-sessions/:id?qr_image=true`, rendered on demand, never stored).
 */
export interface AlipayHkPaymentData extends Record<string, unknown> {
  session_id: string;
  /** Alipay's `out_trade_no` / `partner_trans_id`: the session id (plus `.N` after an amount change). */
  partner_trans_id: string;
  method: "qr" | "barcode";
  /** The trade amount, HKD, as Alipay writes it ("12.30"). */
  amount: string;
  currency: "HKD";
  /** The QR payload (`https://qr.alipay.com/...`). */
  qr_code?: string;
  /** ISO time after which the QR can no longer be paid. */
  expires_at?: string;
  /** Barcode: the buyer's payment code, masked (`2800**********0003`); dropped once the charge is resolved. */
  buyer_code?: string;
  /** Barcode: the code itself, sealed with the provider's secret (see `buyer-code.ts`); dropped once the charge is resolved. */
  buyer_code_sealed?: string;
  /** The trade as last seen at Alipay. */
  trade_status?: "pending" | "paid" | "closed" | "unknown" | "unresolved" | "failed";
  failure_code?: string;
  alipay_trans_id?: string;
  /** The wallet the buyer paid with (`ALIPAYHK`, `ALIPAYCN`). */
  payment_inst?: string;
  buyer_login_id?: string;
  paid_at?: string;
  refunds?: AlipayHkRefundRecord[];
  /** How `cancelPayment`/`deletePayment` ended the trade. */
  cancel_status?: "closed" | "reversed" | "refunded";
  /** Alipay's code when it refused the cancel of a paid trade and the rest was refunded instead. */
  cancel_code?: string;
  /**
   * Alipay reported a payment whose amount or currency differs from this trade (core's
   * `trade.mismatch`): never authorized or captured; the session stays pending for a person to look.
   */
  mismatch?: { expected_amount: string; reported_amount?: string; reported_currency?: string; alipay_trans_id?: string; at: string };
  /**
   * Barcode: the id was cancelled before Alipay knew it, so a delayed charge request could still
   * create a payment under it until this ISO time; the scheduled job watches it until then. `null`
   * once the watch has ended.
   */
  watch_until?: string | null;
  /** A charge that arrived under this id after it was cancelled, and what core did about it. */
  late_charge?: { resolution: "reversed" | "refunded" | "pending" | "failed"; amount?: string; alipay_trans_id?: string; code?: string; at: string };
  /** QR: the trades closed when the amount changed (their notifications are still checked against them). */
  previous_trades?: Array<{ partner_trans_id: string; amount: string }>;
  /** A payment reported after the trade was recorded closed (the money is at Alipay: refund it). */
  late_payment?: { amount: string; alipay_trans_id?: string; at: string };
}
