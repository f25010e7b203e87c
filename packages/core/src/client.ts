import { formatAmount, parseAmountLenient, type MinorUnits } from "./amount";
import { formatGmt8Compact, parseGmt8, systemClock, type Clock } from "./clock";
import {
  AlipayBusinessError,
  AlipayConfigError,
  AlipayError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayProtocolError,
  AlipaySignatureError,
  AlipayUnknownOutcomeError,
} from "./errors";
import { encodeForm, parseForm } from "./form";
import { normaliseNotification } from "./notification";
import { checkRefundReason } from "./limits";
import { classifyCancel, classifyPayment, classifyQuery, classifyRefund } from "./outcome";
import { parsePrivateKey, parsePublicKey, type PrivateKeyMaterial, type PublicKeyMaterial } from "./signing/keys";
import { signParams, verifyParams } from "./signing/params";
import { isSignType, nodeCryptoSigner, type SignKey, type Signer, type SignType, type VerifyKey } from "./signing/signer";
import { DEFAULT_POLICY } from "./policy";
import { checkSecondaryMerchant } from "./secondary-merchant";
import { checkSignedText } from "./text";
import { fetchTransport, type Transport } from "./transport";
import {
  SERVICES,
  type AlipayNotification,
  type CancelRequest,
  type CancelResult,
  type PrecreateRequest,
  type PrecreateResult,
  type QueryResult,
  type RefundRequest,
  type RefundResult,
  type SecondaryMerchant,
  type ServiceName,
  type SpotPayRequest,
  type SpotPayResult,
  type TradeDetails,
} from "./types";
import { parseGatewayReply, responseSignContent, type GatewayReply } from "./xml";

/** Known gateway URLs (spec §0). The local sandbox serves `/gateway.do` on any host: pass its URL. */
export const GATEWAY_PRESETS = {
  production: "https://intlmapi.alipay.com/gateway.do",
  "production-global": "https://globalmapi.alipay.com/gateway.do",
  "alipay-sandbox": "https://mapi.alipaydev.com/gateway.do",
} as const;
export type GatewayPreset = keyof typeof GATEWAY_PRESETS;

export interface AlipayHkClientOptions {
  /** 16-digit partner id starting with 2088. */
  partner: string;
  signType: SignType;
  /** MD5 key (for `MD5`). */
  md5Key?: string;
  /** Merchant RSA private key, PEM or base64 DER, PKCS#8 or PKCS#1 (for `RSA`/`RSA2`). */
  privateKey?: string;
  /** Alipay's RSA public key, PEM or base64 DER (for `RSA`/`RSA2`). */
  alipayPublicKey?: string;
  /** A preset name or a full `.../gateway.do` URL. Default `production`. */
  gateway?: GatewayPreset | string;
  /** Per-request timeout. Default 15 s (the official SDK's read timeout). */
  timeoutMs?: number;
  transport?: Transport;
  clock?: Clock;
  signer?: Signer;
}

const PARTNER = /^2088[0-9]{12}$/;

function resolveGateway(gateway: string | undefined): string {
  if (!gateway) return GATEWAY_PRESETS.production;
  if (gateway in GATEWAY_PRESETS) return GATEWAY_PRESETS[gateway as GatewayPreset];
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new AlipayConfigError(`gateway: expected one of ${Object.keys(GATEWAY_PRESETS).join(", ")} or an http(s) URL, got ${JSON.stringify(gateway)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AlipayConfigError(`gateway: expected an http(s) URL, got ${url.protocol}`);
  }
  if (!url.pathname.endsWith("/gateway.do")) url.pathname = `${url.pathname.replace(/\/$/, "")}/gateway.do`;
  url.search = "";
  return url.toString();
}

function json(value: object | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Secondary-merchant data: an object is checked (named field, clear error); a string is sent as given. */
function merchantJson(value: SecondaryMerchant | string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(checkSecondaryMerchant(value, field));
}

/**
 * The Alipay HK gateway client: one method per service. It signs every request, verifies every
 * reply's signature before reading a field, and normalises outcomes (spec §0).
 *
 * Transport-level problems throw (`AlipayGatewayError` for `is_success=F`, `AlipaySignatureError`,
 * `AlipayTimeoutError`, `AlipayNetworkError`, `AlipayProtocolError`); business outcomes are
 * returned as `outcome` so that an unknown result can never be mistaken for a failure.
 *
 * @example
 * const client = new AlipayHkClient({ partner: "2088101122136241", signType: "MD5", md5Key, gateway: sandbox.gatewayUrl });
 * const qr = await client.precreate({ outTradeNo: "order-1001", subject: "Coffee", totalFee: 1230 });
 */
export class AlipayHkClient {
  readonly partner: string;
  readonly signType: SignType;
  readonly gatewayUrl: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  private readonly transport: Transport;
  private readonly signer: Signer;
  private readonly signKey: SignKey;
  private readonly verifyKey: VerifyKey;

  constructor(options: AlipayHkClientOptions) {
    if (!options || typeof options.partner !== "string" || !PARTNER.test(options.partner)) {
      throw new AlipayConfigError(`partner: expected 16 digits starting with 2088, got ${JSON.stringify(options?.partner ?? "")}`);
    }
    if (!isSignType(options.signType)) {
      throw new AlipayConfigError(`signType: expected MD5, RSA or RSA2, got ${JSON.stringify(options.signType ?? "")}`);
    }
    this.partner = options.partner;
    this.signType = options.signType;
    this.gatewayUrl = resolveGateway(options.gateway);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_POLICY.timeoutMs;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new AlipayConfigError(`timeoutMs: expected a positive integer, got ${JSON.stringify(options.timeoutMs)}`);
    }
    this.transport = options.transport ?? fetchTransport;
    this.clock = options.clock ?? systemClock;
    this.signer = options.signer ?? nodeCryptoSigner;
    if (options.signType === "MD5") {
      if (!options.md5Key) throw new AlipayConfigError("md5Key: required for sign type MD5");
      if (!/^[A-Za-z0-9]{16,64}$/.test(options.md5Key))
        throw new AlipayConfigError("md5Key: expected the 32-character alphanumeric key from the merchant portal");
      this.signKey = { md5Key: options.md5Key };
      this.verifyKey = { md5Key: options.md5Key };
    } else {
      if (!options.privateKey) throw new AlipayConfigError(`privateKey: required for sign type ${options.signType} (the merchant's RSA private key)`);
      if (!options.alipayPublicKey) throw new AlipayConfigError(`alipayPublicKey: required for sign type ${options.signType} (Alipay's RSA public key)`);
      const privateKey: PrivateKeyMaterial = parsePrivateKey(options.privateKey, "privateKey");
      const alipayPublicKey: PublicKeyMaterial = parsePublicKey(options.alipayPublicKey, "alipayPublicKey");
      if (alipayPublicKey.pem === privateKey.publicPem) {
        throw new AlipayConfigError("alipayPublicKey: this is the merchant's own public key (it matches privateKey); Alipay's public key belongs here");
      }
      this.signKey = { privateKey };
      this.verifyKey = { publicKey: alipayPublicKey };
    }
  }

  /** `alipay.acquire.precreate`: creates a Transaction QR Code trade. Idempotent on `outTradeNo`. */
  async precreate(request: PrecreateRequest): Promise<PrecreateResult> {
    checkSignedText(request.subject, "subject");
    if (request.body !== undefined) checkSignedText(request.body, "body");
    const reply = await this.call(SERVICES.precreate, request.outTradeNo, {
      timestamp: String(this.clock.now().getTime()),
      terminal_timestamp: request.terminalTimestamp,
      out_trade_no: request.outTradeNo,
      subject: request.subject,
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: formatAmount(request.totalFee),
      currency: "HKD",
      trans_currency: "HKD",
      seller_id: this.partner,
      notify_url: request.notifyUrl,
      it_b_pay: request.itBPay,
      body: request.body,
      show_url: request.showUrl,
      passback_parameters: request.passbackParameters,
      extend_params: merchantJson(request.extendParams, "extendParams"),
      trade_information: json(request.tradeInformation),
    });
    const r = reply.response;
    const code = r.result_code;
    if (code === "SUCCESS" && r.qr_code) {
      this.checkEcho(SERVICES.precreate, request.outTradeNo, r.out_trade_no, reply);
      return {
        reply,
        outTradeNo: request.outTradeNo,
        qrCode: r.qr_code,
        picUrl: r.pic_url,
        smallPicUrl: r.small_pic_url,
        bigPicUrl: r.big_pic_url,
      };
    }
    const errorCode = r.error ?? r.detail_error_code ?? code ?? "NO_RESULT_CODE";
    const details = { service: SERVICES.precreate, code: errorCode, partnerTransId: request.outTradeNo, raw: reply.raw };
    if (code === "FAIL" || code === "FAILED") throw new AlipayBusinessError(`alipay.acquire.precreate failed: ${errorCode}`, details);
    throw new AlipayUnknownOutcomeError(`alipay.acquire.precreate outcome unknown: ${errorCode}`, details);
  }

  /** `alipay.acquire.overseas.spot.pay`: charges the buyer's wallet code. May answer "unknown". */
  async spotPay(request: SpotPayRequest): Promise<SpotPayResult> {
    checkSignedText(request.transName, "transName");
    if (request.memo !== undefined) checkSignedText(request.memo, "memo");
    const reply = await this.call(SERVICES.spotPay, request.partnerTransId, {
      alipay_seller_id: this.partner,
      quantity: request.quantity === undefined ? undefined : String(request.quantity),
      trans_name: request.transName,
      partner_trans_id: request.partnerTransId,
      currency: "HKD",
      trans_amount: formatAmount(request.amount),
      buyer_identity_code: request.buyerIdentityCode,
      identity_code_type: request.identityCodeType ?? "barcode",
      trans_create_time: formatGmt8Compact(request.transCreateTime ?? this.clock.now()),
      memo: request.memo,
      biz_product: "OVERSEAS_MBARCODE_PAY",
      extend_info: merchantJson(request.extendInfo, "extendInfo"),
      trade_information: json(request.tradeInformation),
    });
    this.checkEcho(SERVICES.spotPay, request.partnerTransId, reply.response.partner_trans_id, reply);
    return { reply, outcome: classifyPayment(reply.response), ...tradeDetails(request.partnerTransId, reply.response) };
  }

  /** `alipay.acquire.overseas.query` by the merchant's id (spot.pay `partner_trans_id` or precreate `out_trade_no`). */
  async query(request: { partnerTransId: string; alipayTransId?: string }): Promise<QueryResult> {
    const reply = await this.call(SERVICES.query, request.partnerTransId, {
      partner_trans_id: request.partnerTransId,
      alipay_trans_id: request.alipayTransId,
    });
    const { found, status, outcome } = classifyQuery(reply.response);
    if (found) this.checkEcho(SERVICES.query, request.partnerTransId, reply.response.partner_trans_id ?? reply.response.out_trade_no, reply);
    return { reply, found, status, outcome, ...tradeDetails(request.partnerTransId, reply.response) };
  }

  /** `alipay.acquire.overseas.spot.refund`. Idempotent on `partnerRefundId`; synchronous by default. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    if (request.partnerRefundId === request.partnerTransId) {
      throw new AlipayConfigError("partnerRefundId: must differ from partnerTransId");
    }
    if (request.reason !== undefined) checkSignedText(request.reason, "reason");
    checkRefundReason(request.reason, "UTF-8");
    const isSync = request.isSync ?? true;
    const reply = await this.call(SERVICES.refund, request.partnerTransId, {
      partner_trans_id: request.partnerTransId,
      alipay_trans_id: request.alipayTransId,
      partner_refund_id: request.partnerRefundId,
      refund_amount: formatAmount(request.amount),
      currency: "HKD",
      refund_reson: request.reason,
      is_sync: isSync ? "Y" : "N",
      notify_url: request.notifyUrl,
    });
    return {
      reply,
      outcome: classifyRefund(reply.response, isSync),
      partnerTransId: request.partnerTransId,
      partnerRefundId: request.partnerRefundId,
      amount: request.amount,
    };
  }

  /** `alipay.acquire.cancel`: closes an unpaid trade, or reverses a paid one on its GMT+8 day. */
  async cancel(request: CancelRequest): Promise<CancelResult> {
    const reply = await this.call(SERVICES.cancel, request.outTradeNo, {
      timestamp: String(this.clock.now().getTime()),
      out_trade_no: request.outTradeNo,
      trade_no: request.tradeNo,
    });
    const r = reply.response;
    return {
      reply,
      outcome: classifyCancel(r),
      retry: r.retry_flag === "Y",
      action: r.action || undefined,
      outTradeNo: request.outTradeNo,
      tradeNo: r.trade_no || undefined,
    };
  }

  /** `notify_verify`: asks the gateway whether it issued `notifyId` (recently). */
  async notifyVerify(notifyId: string): Promise<boolean> {
    const params = this.sign(SERVICES.notifyVerify, { notify_id: notifyId });
    const response = await this.transport({
      url: `${this.gatewayUrl}?${encodeForm(params)}`,
      method: "GET",
      headers: {},
      timeoutMs: this.timeoutMs,
    });
    if (response.status !== 200) {
      throw new AlipayNetworkError(`notify_verify: gateway answered HTTP ${response.status}`, { service: SERVICES.notifyVerify });
    }
    return response.body.toString("utf8").trim() === "true";
  }

  /**
   * Verifies an asynchronous notification (raw form body, or already-parsed fields) with the
   * configured key, before any field is read. Throws `AlipaySignatureError` when it does not verify.
   */
  verifyNotification(body: string | Uint8Array | Record<string, string>, options: { charset?: string } = {}): AlipayNotification {
    const fields = typeof body === "string" || body instanceof Uint8Array ? parseForm(body, options.charset) : { ...body };
    // The signature covers the bytes in the charset the body was sent in (GBK for a GBK-created trade).
    const verdict = verifyParams(fields, this.verifyKey, { signer: this.signer, expectedSignType: this.signType, charset: options.charset ?? "UTF-8" });
    if (!verdict.ok) {
      throw new AlipaySignatureError(`notification: signature check failed (${verdict.reason})`, {
        code: verdict.reason,
        partnerTransId: fields.out_trade_no ?? fields.partner_trans_id,
      });
    }
    return normaliseNotification(fields);
  }

  /** The request parameters for `service`, signed (exposed for tools such as the CLI's `sign`). */
  sign(service: ServiceName, business: Record<string, string | undefined>): Record<string, string> {
    return signParams({ service, partner: this.partner, _input_charset: "UTF-8", ...business }, this.signType, this.signKey, this.signer);
  }

  private async call(service: ServiceName, partnerTransId: string, business: Record<string, string | undefined>): Promise<GatewayReply> {
    const params = this.sign(service, business);
    const { _input_charset: charset, ...bodyParams } = params;
    let response;
    try {
      response = await this.transport({
        url: `${this.gatewayUrl}?_input_charset=${charset}`,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
        body: encodeForm(bodyParams),
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      if (error instanceof AlipayError) {
        // Re-throw with the service and id attached; the cause keeps the original.
        const Ctor = error.constructor as new (m: string, d: object) => AlipayError;
        throw new Ctor(`${service}: ${error.message}`, { service, partnerTransId, cause: error });
      }
      throw new AlipayNetworkError(`${service}: ${(error as Error).message}`, { service, partnerTransId, cause: error });
    }
    if (response.status !== 200) {
      throw new AlipayNetworkError(`${service}: gateway answered HTTP ${response.status}`, {
        service,
        partnerTransId,
        code: `HTTP_${response.status}`,
        raw: response.body.toString("utf8").slice(0, 2000),
      });
    }
    let reply: GatewayReply;
    try {
      reply = parseGatewayReply(response.body, response.headers["content-type"]);
    } catch (error) {
      throw new AlipayProtocolError(`${service}: ${(error as Error).message}`, { service, partnerTransId, raw: (error as AlipayError).raw, cause: error });
    }
    this.verifyReply(service, partnerTransId, reply);
    if (!reply.isSuccess) {
      throw new AlipayGatewayError(`${service} refused by the gateway: ${reply.error ?? "no error code"}`, {
        service,
        code: reply.error,
        partnerTransId,
        raw: reply.raw,
      });
    }
    return reply;
  }

  /** Spec §4.3: a successful reply must carry a valid signature; a signed failure is checked too. */
  private verifyReply(service: ServiceName, partnerTransId: string, reply: GatewayReply): void {
    const details = { service, partnerTransId, raw: reply.raw };
    if (!reply.sign) {
      if (reply.isSuccess) throw new AlipaySignatureError(`${service}: reply has no signature`, { ...details, code: "MISSING_SIGN" });
      return; // the common unsigned is_success=F (spec §1.4); it only carries an error code
    }
    if (reply.signType !== this.signType) {
      throw new AlipaySignatureError(`${service}: reply signed with ${reply.signType ?? "no sign_type"}, expected ${this.signType}`, {
        ...details,
        code: "SIGN_TYPE_MISMATCH",
      });
    }
    if (!this.signer.verify(this.signType, responseSignContent(reply), reply.sign, this.verifyKey)) {
      throw new AlipaySignatureError(`${service}: reply signature check failed`, { ...details, code: "BAD_SIGNATURE" });
    }
  }

  /** A signed reply about another trade (a replay) must not be taken for ours. */
  private checkEcho(service: ServiceName, expected: string, echoed: string | undefined, reply: GatewayReply): void {
    if (echoed !== undefined && echoed !== expected) {
      throw new AlipayProtocolError(`${service}: reply is about ${JSON.stringify(echoed)}, not ${JSON.stringify(expected)}`, {
        service,
        partnerTransId: expected,
        raw: reply.raw,
      });
    }
  }
}

function tradeDetails(partnerTransId: string, r: Record<string, string>): TradeDetails {
  let amount: MinorUnits | undefined;
  try {
    amount = r.trans_amount ? parseAmountLenient(r.trans_amount, "trans_amount") : undefined;
  } catch {
    amount = undefined;
  }
  return {
    partnerTransId,
    alipayTransId: r.alipay_trans_id || undefined,
    amount,
    currency: r.currency || undefined,
    paymentInst: r.payment_inst || undefined,
    buyerLoginId: r.alipay_buyer_login_id || undefined,
    buyerUserId: r.alipay_buyer_user_id || undefined,
    paidAt: parseGmt8(r.alipay_pay_time),
  };
}
