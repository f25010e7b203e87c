/**
 * The admin routes, all under `/sandbox/`: trades, the buyer's actions, the wallet page,
 * notifications, faults, the clock, reconciliation files and a reset. JSON in and out, except the
 * wallet page (HTML) and the files (text).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { AlipayConfigError, AmountError, encodeForm, formatGmt8, gmt8Day, parseForm, toBareBase64 } from "@alipayhk/core";
import QRCode from "qrcode";
import { parseDuration } from "./clock";
import type { SandboxEngine } from "./engine";
import { FaultSpecError, parseFaultSpec } from "./faults";
import { availableFiles, ledgerEntries, parseFileName, renderFile } from "./files";
import type { TradeRecord, Wallet } from "./ledger";
import type { NotificationRecord } from "./notifier";
import { addPartner, type PartnerConfig } from "./options";
import { checkParams } from "./gateway/validate";
import { precreate } from "./gateway/precreate";
import { tradeView } from "./views";
import { renderWalletPage } from "./wallet-page";

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminContext {
  engine: SandboxEngine;
  /** Base URL, e.g. http://127.0.0.1:4010 */
  url: string;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(`${JSON.stringify(value, null, 2)}\n`);
}

function text(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}

function readJson(body: Buffer): Record<string, unknown> {
  const raw = body.toString("utf8").trim();
  if (raw === "") return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === "object") return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new AdminError(400, "BAD_JSON", `body: expected a JSON object, got ${JSON.stringify(raw.slice(0, 60))}`);
}

function parseWallet(value: unknown): Wallet {
  if (value === undefined || value === null || value === "") return "ALIPAYHK";
  if (value === "ALIPAYHK" || value === "ALIPAYCN") return value;
  throw new AdminError(400, "BAD_WALLET", `wallet: expected "ALIPAYHK" or "ALIPAYCN", got ${JSON.stringify(value)}`);
}

/** One trade by merchant id (and partner when several partners use the id). */
function findTrade(engine: SandboxEngine, id: string, partner?: string): TradeRecord {
  const found = engine.ledger.find(id, partner);
  if (found.length === 0) throw new AdminError(404, "TRADE_NOT_EXIST", `no trade with out_trade_no ${JSON.stringify(id)}${partner ? ` for partner ${partner}` : ""}`);
  if (found.length > 1) throw new AdminError(409, "AMBIGUOUS", `${found.length} partners have a trade ${JSON.stringify(id)}; add ?partner=`);
  return engine.refresh(found[0]!);
}

function findByQr(engine: SandboxEngine, code: string): TradeRecord {
  const trade = engine.ledger.getByQrCode(code);
  if (!trade) throw new AdminError(404, "QR_CODE_NOT_EXIST", `no trade for QR code ${JSON.stringify(code.slice(0, 80))}`);
  return engine.refresh(trade);
}

/** The buyer pays (wallet page, API): only a trade waiting for payment, with its QR still valid. */
export function buyerPays(engine: SandboxEngine, trade: TradeRecord, wallet: Wallet): void {
  engine.refresh(trade);
  if (trade.status !== "WAIT_BUYER_PAY") throw new AdminError(409, "TRADE_NOT_PAYABLE", `trade ${trade.partnerTransId} is ${trade.status}, not WAIT_BUYER_PAY`);
  if (trade.qrExpiresAt && Date.parse(trade.qrExpiresAt) <= engine.now().getTime()) {
    throw new AdminError(409, "QR_CODE_EXPIRED", `the QR code of ${trade.partnerTransId} expired at ${formatGmt8(new Date(trade.qrExpiresAt))} (GMT+8)`);
  }
  engine.pay(trade, wallet);
}

function buyerDeclines(engine: SandboxEngine, trade: TradeRecord): void {
  engine.refresh(trade);
  if (trade.status !== "WAIT_BUYER_PAY") throw new AdminError(409, "TRADE_NOT_PAYABLE", `trade ${trade.partnerTransId} is ${trade.status}, not WAIT_BUYER_PAY`);
  engine.close(trade, "declined");
}

function clockView(engine: SandboxEngine) {
  const now = engine.now();
  return { now: now.toISOString(), gmt8: formatGmt8(now), day: gmt8Day(now), offsetMs: engine.clock.offset };
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

/** Opens a QR trade through the same precreate rules as the gateway; a refused input changes nothing. */
export function openQrTrade(engine: SandboxEngine, input: OpenQrTradeInput): TradeRecord {
  if (!input || typeof input !== "object") throw new AdminError(400, "BAD_TRADE", "body: expected { out_trade_no, total_fee, partner?, notify_url?, subject? }");
  const partner = engine.partner(input.partner ?? engine.config.primary.partner);
  if (!partner) throw new AdminError(404, "ILLEGAL_PARTNER", `partner: ${JSON.stringify(input.partner)} is not a partner of this sandbox`);
  const signType = input.sign_type ?? partner.signType;
  if (signType !== "MD5" && signType !== "RSA" && signType !== "RSA2") throw new AdminError(400, "BAD_TRADE", `sign_type: expected MD5, RSA or RSA2, got ${JSON.stringify(signType)}`);
  const charset = input.charset ?? "UTF-8";
  if (charset !== "UTF-8" && charset !== "GBK") throw new AdminError(400, "BAD_TRADE", `charset: expected UTF-8 or GBK, got ${JSON.stringify(charset)}`);
  const params: Record<string, string> = { service: "alipay.acquire.precreate", partner: partner.partner, product_code: "OVERSEAS_MBARCODE_PAY", currency: "HKD" };
  for (const [name, value] of Object.entries({ out_trade_no: input.out_trade_no, total_fee: input.total_fee, subject: input.subject ?? "Sandbox order", notify_url: input.notify_url, passback_parameters: input.passback_parameters })) {
    if (value === undefined) continue;
    if (typeof value !== "string") throw new AdminError(400, "BAD_TRADE", `${name}: expected a string`);
    params[name] = value;
  }
  const problem = checkParams("alipay.acquire.precreate", params, partner.partner);
  if (problem) throw new AdminError(400, "BAD_TRADE", problem);
  if (engine.ledger.get(partner.partner, params.out_trade_no!)) throw new AdminError(409, "TRADE_EXISTS", `partner ${partner.partner} already has a trade ${JSON.stringify(params.out_trade_no)}`);
  const result = precreate({ engine, partner, params, signType, charset, faults: { latencyMs: 0, dropReplyAfterCommit: false, malformedXml: false, wrongSignature: false, cancelRetryFlag: false, holdChargeMs: 0 } });
  if (result.kind !== "reply" || result.response.result_code !== "SUCCESS") {
    throw new AdminError(409, result.kind === "reply" ? (result.response.error ?? "FAIL") : result.kind === "error" ? result.error : "FAIL", `out_trade_no ${params.out_trade_no}: the precreate was refused`);
  }
  return engine.ledger.get(partner.partner, params.out_trade_no!)!;
}

/** The exact form body the sandbox POSTs for a notification (same bytes on every attempt). */
export function notificationBody(record: NotificationRecord): { contentType: string; body: Buffer } {
  return { contentType: `application/x-www-form-urlencoded; charset=${record.charset}`, body: Buffer.from(encodeForm(record.fields, record.charset)) };
}

function partnerView(p: PartnerConfig) {
  return {
    partner: p.partner,
    md5Key: p.md5Key,
    signType: p.signType,
    merchantPublicKey: p.merchantPublicKeyPem ? toBareBase64(p.merchantPublicKeyPem) : undefined,
    merchantPrivateKeyPem: p.generated ? p.merchantPrivateKeyPem : undefined,
  };
}

export function info(ctx: AdminContext) {
  const { engine, url } = ctx;
  return {
    gatewayUrl: `${url}/gateway.do`,
    walletUrl: `${url}/sandbox/wallet`,
    alipayPublicKey: toBareBase64(engine.config.alipayPublicKey.pem),
    partners: [...engine.config.partners.values()].map(partnerView),
    clock: clockView(engine),
  };
}

/** Handles `/sandbox/...`; false when no route matched. */
export async function handleAdmin(ctx: AdminContext, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> {
  const { engine } = ctx;
  const url = new URL(req.url ?? "/", "http://sandbox");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const method = req.method ?? "GET";
  const q = url.searchParams;
  let segments: string[];
  try {
    segments = path.split("/").slice(2).map((s) => decodeURIComponent(s));
  } catch {
    throw new AdminError(400, "BAD_PATH", `${path.slice(0, 80)}: malformed percent-encoding`);
  }
  const [section, id, action] = segments;

  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) throw new AdminError(405, "METHOD_NOT_ALLOWED", `${method} ${path}: expected ${methods.join(" or ")}`);
  };

  switch (section) {
    case undefined:
    case "info":
      allow("GET");
      json(res, 200, info(ctx));
      return true;

    case "alipay-public-key":
      allow("GET");
      text(res, 200, q.get("format") === "base64" ? `${toBareBase64(engine.config.alipayPublicKey.pem)}\n` : engine.config.alipayPublicKey.pem);
      return true;

    case "partners": {
      if (id !== undefined) return false;
      allow("GET", "POST");
      if (method === "POST") {
        try {
          json(res, 201, partnerView(addPartner(engine.config, readJson(body) as never)));
        } catch (error) {
          if (error instanceof AlipayConfigError) throw new AdminError(400, "BAD_PARTNER", error.message);
          throw error;
        }
        return true;
      }
      json(res, 200, [...engine.config.partners.values()].map(partnerView));
      return true;
    }

    case "trades": {
      if (id === undefined && method === "POST") {
        try {
          json(res, 201, tradeView(openQrTrade(engine, readJson(body) as unknown as OpenQrTradeInput)));
        } catch (error) {
          if (error instanceof AmountError) throw new AdminError(400, "BAD_TRADE", error.message);
          throw error;
        }
        return true;
      }
      if (id === undefined) {
        allow("GET", "POST");
        let trades = engine.ledger.all().map((t) => engine.refresh(t));
        if (q.get("partner")) trades = trades.filter((t) => t.partner === q.get("partner"));
        if (q.get("status")) trades = trades.filter((t) => t.status === q.get("status"));
        if (q.get("qr_code")) trades = trades.filter((t) => t === engine.ledger.getByQrCode(q.get("qr_code")!));
        json(res, 200, trades.map(tradeView));
        return true;
      }
      const input = method === "POST" ? readJson(body) : {};
      const partner = q.get("partner") ?? (typeof input.partner === "string" ? input.partner : undefined);
      const trade = findTrade(engine, id, partner);
      if (action === undefined) {
        allow("GET");
        json(res, 200, tradeView(trade));
      } else if (action === "pay") {
        allow("POST");
        buyerPays(engine, trade, parseWallet(input.wallet));
        json(res, 200, tradeView(trade));
      } else if (action === "decline") {
        allow("POST");
        buyerDeclines(engine, trade);
        json(res, 200, tradeView(trade));
      } else {
        return false;
      }
      return true;
    }

    case "qr": {
      if (id === undefined) return false;
      if (id.endsWith(".svg") && action === undefined) {
        allow("GET");
        const trade = findByQr(engine, id.slice(0, -4));
        text(res, 200, await QRCode.toString(trade.qrCode!, { type: "svg", margin: 1 }), "image/svg+xml");
        return true;
      }
      const trade = findByQr(engine, id);
      if (action === undefined) {
        allow("GET");
        json(res, 200, tradeView(trade));
      } else if (action === "pay") {
        allow("POST");
        buyerPays(engine, trade, parseWallet(readJson(body).wallet));
        json(res, 200, tradeView(trade));
      } else {
        return false;
      }
      return true;
    }

    case "wallet": {
      if (id === undefined) {
        allow("GET");
        const all = engine.ledger.all().map((t) => engine.refresh(t));
        const qr = q.get("qr")?.trim();
        const html = await renderWalletPage({
          open: all.filter((t) => t.status === "WAIT_BUYER_PAY" && (t.product === "qr" || !t.pendingPayAt)),
          recent: all.slice(-20).reverse(),
          lookup: qr ? { qr, trade: engine.ledger.getByQrCode(qr) } : undefined,
          message: q.get("message") ?? undefined,
          now: engine.now(),
        });
        text(res, 200, html, "text/html; charset=utf-8");
        return true;
      }
      allow("POST");
      const form = parseForm(body, "UTF-8");
      let message: string;
      try {
        const trade = findTrade(engine, form.out_trade_no ?? "", form.partner || undefined);
        if (id === "pay") {
          const wallet = parseWallet(form.wallet);
          buyerPays(engine, trade, wallet);
          message = `Paid ${trade.partnerTransId} with ${wallet}.`;
        } else if (id === "decline") {
          buyerDeclines(engine, trade);
          message = `Declined ${trade.partnerTransId}.`;
        } else {
          return false;
        }
      } catch (error) {
        if (!(error instanceof AdminError)) throw error;
        message = error.message;
      }
      res.writeHead(303, { location: `/sandbox/wallet?message=${encodeURIComponent(message)}` });
      res.end();
      return true;
    }

    case "notifications":
      if (id !== undefined) {
        allow("GET");
        const record = engine.notifier.list().find((n) => String(n.id) === id);
        if (!record) throw new AdminError(404, "NOTIFICATION_NOT_EXIST", `no notification with id ${JSON.stringify(id)}`);
        if (action === "body") {
          const { contentType, body: bytes } = notificationBody(record);
          res.writeHead(200, { "content-type": contentType });
          res.end(bytes);
        } else if (action === undefined) {
          json(res, 200, record);
        } else {
          return false;
        }
        return true;
      }
      allow("GET");
      json(
        res,
        200,
        engine.notifier.list().filter((n) => (!q.get("out_trade_no") || n.outTradeNo === q.get("out_trade_no")) && (!q.get("partner") || n.partner === q.get("partner"))),
      );
      return true;

    case "faults": {
      if (id !== undefined) {
        allow("DELETE");
        if (!engine.faults.remove(Number(id))) throw new AdminError(404, "FAULT_NOT_EXIST", `no fault with id ${JSON.stringify(id)}`);
        json(res, 200, engine.faults.list());
        return true;
      }
      allow("GET", "POST", "DELETE");
      if (method === "POST") {
        const raw = body.toString("utf8").trim();
        let input: unknown;
        try {
          input = JSON.parse(raw);
        } catch {
          throw new AdminError(400, "BAD_JSON", `body: expected a fault object or a list of them, got ${JSON.stringify(raw.slice(0, 60))}`);
        }
        const specs = Array.isArray(input) ? input : [input];
        try {
          const added = specs.map((spec) => engine.faults.add(parseFaultSpec(spec)));
          json(res, 201, Array.isArray(input) ? added : added[0]);
        } catch (error) {
          if (error instanceof FaultSpecError) throw new AdminError(400, "BAD_FAULT", error.message);
          throw error;
        }
        return true;
      }
      if (method === "DELETE") engine.faults.clear();
      json(res, 200, engine.faults.list());
      return true;
    }

    case "clock": {
      allow("GET", "POST");
      if (method === "POST") {
        const input = readJson(body);
        if (input.advance !== undefined) {
          const ms = parseDuration(input.advance);
          if (ms === undefined || ms < 0) throw new AdminError(400, "BAD_DURATION", `advance: expected a duration like "25h", "90m", "2d" or a number of ms, got ${JSON.stringify(input.advance)}`);
          engine.clock.advance(ms);
        } else if (input.set !== undefined) {
          const at = typeof input.set === "string" || typeof input.set === "number" ? new Date(input.set) : new Date(Number.NaN);
          if (Number.isNaN(at.getTime())) throw new AdminError(400, "BAD_TIME", `set: expected an ISO time like "2024-01-02T00:00:00+08:00", got ${JSON.stringify(input.set)}`);
          engine.clock.set(at);
        } else {
          throw new AdminError(400, "BAD_CLOCK", 'body: expected {"advance": "25h"} or {"set": "<ISO time>"}');
        }
      }
      json(res, 200, clockView(engine));
      return true;
    }

    case "files": {
      allow("GET");
      const entries = ledgerEntries(engine.ledger.all(), engine.config.feeRate);
      if (id === undefined) {
        json(res, 200, availableFiles(entries, engine.config.settlementDelayDays, gmt8Day(engine.now())));
        return true;
      }
      const name = parseFileName(id);
      if (!name || !engine.partner(name.partner)) {
        throw new AdminError(404, "FILE_NOT_EXIST", `no file ${JSON.stringify(id.slice(0, 80))}; expected <partner>_transaction_YYYYMMDD.txt or <partner>_settlement_YYYYMMDD.txt`);
      }
      text(res, 200, renderFile(name, entries, engine.config.settlementDelayDays));
      return true;
    }

    case "reset":
      allow("POST");
      engine.reset();
      json(res, 200, { reset: true });
      return true;

    default:
      return false;
  }
}
