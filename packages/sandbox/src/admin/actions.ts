/**
 * What the admin routes and the in-process API do to the ledger: find a trade, the buyer paying or
 * declining, opening a QR trade as if its partner had sent a precreate. Each returns an
 * {@link Outcome}; the HTTP layer maps a refusal to its status, the in-process API throws it.
 */
import { AmountError, encodeForm, formatGmt8, gmt8Day, toBareBase64 } from "@alipayhk/core";
import type { SandboxEngine } from "../engine";
import { precreate } from "../gateway/precreate";
import { checkParams } from "../gateway/validate";
import type { TradeRecord, Wallet } from "../ledger";
import type { NotificationRecord } from "../notifier";
import type { PartnerConfig } from "../options";

/** Why an admin action was refused: `invalid` input, `not_found`, or a `conflict` with the trade's state. */
export interface Refusal {
  ok: false;
  reason: "invalid" | "not_found" | "conflict";
  /** Stable machine code, e.g. `TRADE_NOT_PAYABLE`. */
  code: string;
  /** One line naming what is wrong. */
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | Refusal;

const refuse = (reason: Refusal["reason"], code: string, message: string): Refusal => ({ ok: false, reason, code, message });
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

/** A refused admin action, thrown by the in-process API (`sandbox.payTrade(...)`); `code` as over HTTP. */
export class SandboxRefusalError extends Error {
  override readonly name = "SandboxRefusalError";
  readonly code: string;
  readonly reason: Refusal["reason"];
  constructor(refusal: Refusal) {
    super(refusal.message);
    this.code = refusal.code;
    this.reason = refusal.reason;
  }
}

/** The value, or the refusal thrown as a {@link SandboxRefusalError}. */
export function orThrow<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new SandboxRefusalError(outcome);
  return outcome.value;
}

/** `ALIPAYHK` (default) or `ALIPAYCN`. */
export function parseWallet(value: unknown): Outcome<Wallet> {
  if (value === undefined || value === null || value === "") return ok("ALIPAYHK");
  if (value === "ALIPAYHK" || value === "ALIPAYCN") return ok(value);
  return refuse("invalid", "BAD_WALLET", `wallet: expected "ALIPAYHK" or "ALIPAYCN", got ${JSON.stringify(value)}`);
}

/** One trade by merchant id (and partner when several partners use the id), refreshed on the clock. */
export function findTrade(engine: SandboxEngine, id: string, partner?: string): Outcome<TradeRecord> {
  const found = engine.ledger.find(id, partner);
  if (found.length === 0)
    return refuse("not_found", "TRADE_NOT_EXIST", `no trade with out_trade_no ${JSON.stringify(id)}${partner ? ` for partner ${partner}` : ""}`);
  if (found.length > 1) return refuse("conflict", "AMBIGUOUS", `${found.length} partners have a trade ${JSON.stringify(id)}; add ?partner=`);
  return ok(engine.refresh(found[0]!));
}

/** The trade of a QR code value. */
export function findByQr(engine: SandboxEngine, code: string): Outcome<TradeRecord> {
  const trade = engine.ledger.getByQrCode(code);
  if (!trade) return refuse("not_found", "QR_CODE_NOT_EXIST", `no trade for QR code ${JSON.stringify(code.slice(0, 80))}`);
  return ok(engine.refresh(trade));
}

function waitingForBuyer(engine: SandboxEngine, trade: TradeRecord): Refusal | undefined {
  engine.refresh(trade);
  if (trade.status !== "WAIT_BUYER_PAY") return refuse("conflict", "TRADE_NOT_PAYABLE", `trade ${trade.partnerTransId} is ${trade.status}, not WAIT_BUYER_PAY`);
  return undefined;
}

/** The buyer pays (wallet page, API): only a trade waiting for payment, with its QR still valid. */
export function buyerPays(engine: SandboxEngine, trade: TradeRecord, wallet: Wallet): Outcome<TradeRecord> {
  const refused = waitingForBuyer(engine, trade);
  if (refused) return refused;
  if (trade.qrExpiresAt && Date.parse(trade.qrExpiresAt) <= engine.now().getTime()) {
    return refuse("conflict", "QR_CODE_EXPIRED", `the QR code of ${trade.partnerTransId} expired at ${formatGmt8(new Date(trade.qrExpiresAt))} (GMT+8)`);
  }
  engine.pay(trade, wallet);
  return ok(trade);
}

/** The buyer declines a waiting trade: it closes (a QR trade notifies `closeTradeAction`). */
export function buyerDeclines(engine: SandboxEngine, trade: TradeRecord): Outcome<TradeRecord> {
  const refused = waitingForBuyer(engine, trade);
  if (refused) return refused;
  engine.close(trade, "declined");
  return ok(trade);
}

/** A QR trade opened through the admin API, as if `partner` had sent a signed precreate. */
export interface OpenQrTradeInput {
  /** Default: the main partner. */
  partner?: string;
  out_trade_no: string;
  /** "12.30" (two decimals, HKD). */
  total_fee: string;
  /** Default "Sandbox order". */
  subject?: string;
  notify_url?: string;
  /** Default UTF-8; the notification is sent and signed in it. */
  charset?: "UTF-8" | "GBK";
  /** Default: the partner's sign type. */
  sign_type?: "MD5" | "RSA" | "RSA2";
  passback_parameters?: string;
}

const NO_FAULTS = { latencyMs: 0, dropReplyAfterCommit: false, malformedXml: false, wrongSignature: false, cancelRetryFlag: false, holdChargeMs: 0 };

/** The precreate parameters of an admin trade, or why the input is refused. */
function precreateParams(engine: SandboxEngine, input: OpenQrTradeInput): Outcome<{ partner: PartnerConfig; params: Record<string, string> }> {
  if (!input || typeof input !== "object") return refuse("invalid", "BAD_TRADE", "body: expected { out_trade_no, total_fee, partner?, notify_url?, subject? }");
  const partner = engine.partner(input.partner ?? engine.config.primary.partner);
  if (!partner) return refuse("not_found", "ILLEGAL_PARTNER", `partner: ${JSON.stringify(input.partner)} is not a partner of this sandbox`);
  const params: Record<string, string> = {
    service: "alipay.acquire.precreate",
    partner: partner.partner,
    product_code: "OVERSEAS_MBARCODE_PAY",
    currency: "HKD",
  };
  const given = {
    out_trade_no: input.out_trade_no,
    total_fee: input.total_fee,
    subject: input.subject ?? "Sandbox order",
    notify_url: input.notify_url,
    passback_parameters: input.passback_parameters,
  };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (typeof value !== "string") return refuse("invalid", "BAD_TRADE", `${name}: expected a string`);
    params[name] = value;
  }
  let problem: string | undefined;
  try {
    problem = checkParams("alipay.acquire.precreate", params, partner.partner);
  } catch (error) {
    if (!(error instanceof AmountError)) throw error;
    problem = error.message;
  }
  if (problem) return refuse("invalid", "BAD_TRADE", problem);
  return ok({ partner, params });
}

/** Opens a QR trade through the same precreate rules as the gateway; a refused input changes nothing. */
export function openQrTrade(engine: SandboxEngine, input: OpenQrTradeInput): Outcome<TradeRecord> {
  const checked = precreateParams(engine, input);
  if (!checked.ok) return checked;
  const { partner, params } = checked.value;
  const signType = input.sign_type ?? partner.signType;
  if (signType !== "MD5" && signType !== "RSA" && signType !== "RSA2")
    return refuse("invalid", "BAD_TRADE", `sign_type: expected MD5, RSA or RSA2, got ${JSON.stringify(signType)}`);
  const charset = input.charset ?? "UTF-8";
  if (charset !== "UTF-8" && charset !== "GBK") return refuse("invalid", "BAD_TRADE", `charset: expected UTF-8 or GBK, got ${JSON.stringify(charset)}`);
  if (engine.ledger.get(partner.partner, params.out_trade_no!)) {
    return refuse("conflict", "TRADE_EXISTS", `partner ${partner.partner} already has a trade ${JSON.stringify(params.out_trade_no)}`);
  }
  let result;
  try {
    result = precreate({ engine, partner, params, signType, charset, faults: NO_FAULTS });
  } catch (error) {
    if (error instanceof AmountError) return refuse("invalid", "BAD_TRADE", error.message);
    throw error;
  }
  if (result.kind !== "reply" || result.response.result_code !== "SUCCESS") {
    const code = result.kind === "reply" ? (result.response.error ?? "FAIL") : result.kind === "error" ? result.error : "FAIL";
    return refuse("conflict", code, `out_trade_no ${params.out_trade_no}: the precreate was refused`);
  }
  return ok(engine.ledger.get(partner.partner, params.out_trade_no!)!);
}

/** One notification by id. */
export function findNotification(engine: SandboxEngine, id: string | number): Outcome<NotificationRecord> {
  const record = engine.notifier.list().find((n) => String(n.id) === String(id));
  return record ? ok(record) : refuse("not_found", "NOTIFICATION_NOT_EXIST", `no notification with id ${JSON.stringify(id)}`);
}

/** The exact form body the sandbox POSTs for a notification (same bytes on every attempt). */
export function notificationBody(record: NotificationRecord): { contentType: string; body: Buffer } {
  return { contentType: `application/x-www-form-urlencoded; charset=${record.charset}`, body: Buffer.from(encodeForm(record.fields, record.charset)) };
}

/** A partner as the admin API shows it: public keys, and a private key only when the sandbox generated it. */
export function partnerView(p: PartnerConfig) {
  return {
    partner: p.partner,
    md5Key: p.md5Key,
    signType: p.signType,
    merchantPublicKey: p.merchantPublicKeyPem ? toBareBase64(p.merchantPublicKeyPem) : undefined,
    merchantPrivateKeyPem: p.generated ? p.merchantPrivateKeyPem : undefined,
  };
}

export function clockView(engine: SandboxEngine) {
  const now = engine.now();
  return { now: now.toISOString(), gmt8: formatGmt8(now), day: gmt8Day(now), offsetMs: engine.clock.offset };
}

/** `GET /sandbox/info`. */
export function info(engine: SandboxEngine, url: string) {
  return {
    gatewayUrl: `${url}/gateway.do`,
    walletUrl: `${url}/sandbox/wallet`,
    alipayPublicKey: toBareBase64(engine.config.alipayPublicKey.pem),
    partners: [...engine.config.partners.values()].map(partnerView),
    clock: clockView(engine),
  };
}
