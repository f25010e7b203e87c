/**
 * Options of the `alipayhk-qr` and `alipayhk-barcode` payment providers, as written in
 * `medusa-config.ts` under the payment module's `providers[].options`.
 */
export interface AlipayHkProviderOptions {
  /** Alipay partner id (16 digits, starts with `2088`). */
  partner: string;
  /** How requests and replies are signed. Default `RSA2`. */
  signType?: "RSA2" | "RSA" | "MD5";
  /** Merchant private key (PEM or bare base64 DER), for `RSA`/`RSA2`. */
  privateKey?: string;
  /** Alipay's public key (PEM or bare base64 DER), for `RSA`/`RSA2`. */
  alipayPublicKey?: string;
  /** The MD5 key, for `MD5`. */
  md5Key?: string;
  /** `"production"`, `"production-global"`, `"alipay-sandbox"` or a gateway URL (e.g. the local sandbox). */
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
  /** Barcode payments: how often to query while the buyer confirms, and for how long at most. */
  barcodePollIntervalMs?: number;
  barcodeMaxPollMs?: number;
}
