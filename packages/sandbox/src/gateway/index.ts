/**
 * `/gateway.do`: transport checks in the gateway's order (charset, service, partner, sign type,
 * signature, parameters), then the service, then the signed XML reply in the request's charset,
 * with any requested fault applied.
 */
import { bytes, STREAMED, type Reply, type RequestContext, type Streamed } from "@alipayhk/service-kit";
import { canonicalize, encodeForCharset, isSignType, renderGatewayReply, verifyParams, type VerifyKey } from "@alipayhk/core";
import type { SandboxEngine } from "../engine";
import type { RequestFaults } from "../faults";
import type { PartnerConfig } from "../options";
import { cancel } from "./cancel";
import { notifyVerify } from "./notify-verify";
import { precreate } from "./precreate";
import { query } from "./query";
import { refund } from "./refund";
import { readGatewayRequest, TransportError, type GatewayRequest } from "./request";
import type { ServiceContext, ServiceResult } from "./service";
import { spotPay } from "./spot-pay";
import { checkParams } from "./validate";
import { isHeldCharge } from "../buyers";

const SERVICES: Record<string, (ctx: ServiceContext) => ServiceResult> = {
  "alipay.acquire.precreate": precreate,
  "alipay.acquire.overseas.spot.pay": spotPay,
  "alipay.acquire.overseas.spot.refund": refund,
  "alipay.acquire.overseas.query": query,
  "alipay.acquire.cancel": cancel,
  notify_verify: notifyVerify,
};

interface Processed {
  result: ServiceResult;
  partner?: PartnerConfig;
  signType?: string;
}

const error = (code: string, detail: string, partner?: PartnerConfig, signType?: string): Processed => ({
  result: { kind: "error", error: code, detail },
  partner,
  signType,
});

function process(engine: SandboxEngine, request: GatewayRequest, faults: RequestFaults): Processed {
  const p = request.params;
  const service = p.service;
  if (!service || !(service in SERVICES))
    return error("ILLEGAL_SERVICE", `service: expected one of ${Object.keys(SERVICES).join(", ")}, got ${JSON.stringify(service ?? "")}`);
  const partner = engine.partner(p.partner);
  if (!partner) return error("ILLEGAL_PARTNER", `partner: ${JSON.stringify(p.partner ?? "")} is not a partner of this sandbox`);

  // The legacy demos call notify_verify unsigned (partner + notify_id only); the SDK signs it.
  const unsignedVerify = service === "notify_verify" && !p.sign && !p.sign_type;
  const signType = p.sign_type;
  if (!unsignedVerify) {
    if (!isSignType(signType)) return error("ILLEGAL_SIGN_TYPE", `sign_type: expected MD5, RSA or RSA2, got ${JSON.stringify(signType ?? "")}`, partner);
    let key: VerifyKey;
    if (signType === "MD5") key = { md5Key: partner.md5Key };
    else if (partner.merchantPublicKey) key = { publicKey: partner.merchantPublicKey };
    else return error("ILLEGAL_SIGN_TYPE", `sign_type: ${signType} needs the merchant's RSA public key, and partner ${partner.partner} has none`, partner);
    if (!p.sign) return error("ILLEGAL_SIGN", "sign: required", partner, signType);
    if (partner.signTypes && !partner.signTypes.includes(signType)) {
      return error(
        "ILLEGAL_SIGN",
        `sign_type: partner ${partner.partner} is set up for ${partner.signTypes.join("/")}, so a ${signType} signature does not verify`,
        partner,
        signType,
      );
    }
    const verifyCharset = engine.config.verifyCharset ?? request.charset;
    const verdict = verifyParams(p, key, { charset: verifyCharset });
    if (!verdict.ok)
      return error(
        "ILLEGAL_SIGN",
        `sign: does not verify (${verdict.reason}); the sandbox checked ${signType} over ${verifyCharset} bytes of: ${canonicalize(p).slice(0, 200)}`,
        partner,
        signType,
      );
  }

  const problem = checkParams(service, p, partner.partner, request.charset);
  if (problem) return error("ILLEGAL_ARGUMENT", problem, partner, signType);

  const ctx: ServiceContext = { engine, partner, params: p, signType: isSignType(signType) ? signType : "MD5", charset: request.charset, faults };
  return { result: SERVICES[service]!(ctx), partner, signType };
}

function asciiHeader(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 300);
}

function summary(result: ServiceResult): string {
  if (result.kind === "error") return `is_success=F ${result.error}${result.detail ? ` (${result.detail})` : ""}`;
  if (result.kind === "text") return result.body;
  const r = result.response;
  return [r.result_code, r.error, r.alipay_trans_status, r.retry_flag && `retry_flag=${r.retry_flag}`, result.dropReply && "(no reply)"]
    .filter(Boolean)
    .join(" ");
}

/** `is_success=F` for a request refused before its content was read (charset, method, body type). */
function transportRefusal(engine: SandboxEngine, refused: TransportError): Reply {
  engine.config.log(`gateway → is_success=F ${refused.code} (${refused.detail})`);
  const xml = renderGatewayReply({ isSuccess: false, error: refused.code }, { encoding: refused.charset });
  return bytes(200, xml, `text/xml; charset=${refused.charset}`, { "x-sandbox-detail": asciiHeader(refused.detail) });
}

/**
 * Holds a spot.pay before the gateway knows it (fault or magic code): until the hold ends, or a
 * cancel of this id has been answered (the charge then lands after it). A cancel of its id
 * meanwhile finds no trade.
 */
async function holdCharge(engine: SandboxEngine, p: Record<string, string>, holdMs: number): Promise<void> {
  const heldKey = `${p.partner ?? ""}\u0000${p.partner_trans_id ?? ""}`;
  engine.config.log(`${p.service} ${p.partner ?? "?"} ${p.partner_trans_id ?? ""} held up to ${holdMs} ms before processing`);
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, holdMs);
      timer.unref();
      engine.held.set(heldKey, () => {
        clearTimeout(timer);
        setImmediate(resolve);
      });
    });
  } finally {
    engine.held.delete(heldKey);
  }
}

/** The signed XML reply of a processed request, in the request's charset, with any reply fault applied. */
function xmlReply(engine: SandboxEngine, request: GatewayRequest, processed: Processed, faults: RequestFaults): Reply {
  const { result, partner, signType } = processed;
  const charset = request.charset;
  let content: string | undefined;
  if (result.kind === "reply") content = canonicalize(result.response);
  else if (result.kind === "error" && engine.config.signFailures && partner && isSignType(signType)) content = `error=${result.error}`;
  let sign: string | undefined;
  if (content !== undefined && partner && isSignType(signType)) {
    // Fault: a signature over other content, so the client's verification must fail.
    sign = engine.sign(partner, signType, faults.wrongSignature ? `${content}&sandbox_fault=wrong_signature` : content, charset);
  }
  let xml = renderGatewayReply(
    result.kind === "reply"
      ? { isSuccess: true, request: request.params, response: result.response, sign, signType: sign ? signType : undefined }
      : { isSuccess: false, error: result.kind === "error" ? result.error : "", sign, signType: sign ? signType : undefined },
    { encoding: charset },
  );
  if (faults.malformedXml) xml = xml.slice(0, Math.floor(xml.length * 0.6));
  const headers: Record<string, string> = {};
  if (result.kind === "error" && result.detail) headers["x-sandbox-detail"] = asciiHeader(result.detail);
  return bytes(200, Buffer.from(encodeForCharset(xml, charset)), `text/xml; charset=${charset}`, headers);
}

/**
 * Answers one request to `/gateway.do` with the bytes the gateway would send: XML (or
 * notify_verify's text) with status 200, or what a fault asks for (a 5xx page, a dropped
 * connection: then {@link STREAMED}, the socket being closed without a reply).
 */
export async function handleGateway(engine: SandboxEngine, ctx: RequestContext): Promise<Reply | Streamed> {
  const body = await ctx.body();
  let request: GatewayRequest;
  try {
    request = readGatewayRequest(ctx.req.method ?? "GET", (ctx.req.url ?? "").split("?").slice(1).join("?"), body, ctx.req.headers["content-type"]);
  } catch (err) {
    if (err instanceof TransportError) return transportRefusal(engine, err);
    throw err;
  }
  const p = request.params;
  const faults = engine.faults.forRequest(p.service, p.partner_trans_id ?? p.out_trade_no);
  if (faults.latencyMs > 0) {
    engine.config.log(`${p.service ?? "?"} ${p.partner_trans_id ?? p.out_trade_no ?? ""} delayed ${faults.latencyMs} ms (fault)`);
    await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
  }
  if (faults.httpStatus) {
    engine.config.log(`${p.service ?? "?"} → fault: HTTP ${faults.httpStatus}`);
    return bytes(faults.httpStatus, `<html><body><h1>${faults.httpStatus}</h1><p>sandbox fault</p></body></html>`, "text/html; charset=UTF-8");
  }
  const hold =
    faults.holdChargeMs || (p.service === "alipay.acquire.overseas.spot.pay" && isHeldCharge(p.buyer_identity_code) ? engine.config.heldChargeMs : 0);
  if (hold > 0) await holdCharge(engine, p, hold);

  const processed = process(engine, request, faults);
  const id = p.partner_trans_id ?? p.out_trade_no ?? p.notify_id ?? "";
  engine.config.log(`${p.service ?? "?"} ${p.partner ?? "?"} ${id} → ${summary(processed.result)}`);
  if (faults.dropReplyAfterCommit || (processed.result.kind === "reply" && processed.result.dropReply)) {
    // The work is committed; the client hears nothing (connection closed without a response).
    ctx.req.socket.destroy();
    return STREAMED;
  }
  if (processed.result.kind === "text") return bytes(200, processed.result.body, `text/plain; charset=${request.charset}`);
  return xmlReply(engine, request, processed, faults);
}
