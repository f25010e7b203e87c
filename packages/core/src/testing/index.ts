/**
 * Test helpers for people integrating Alipay HK: build signed notifications and signed reply
 * envelopes, and a scripted in-memory gateway transport for unit tests. For end-to-end tests use
 * `@alipayhk/sandbox`, a real local gateway.
 */
import { AlipayNetworkError, AlipayTimeoutError } from "../errors";
import { encodeForm, parseForm } from "../form";
import { parsePrivateKey, type PrivateKeyMaterial } from "../signing/keys";
import { signParams } from "../signing/params";
import { nodeCryptoSigner, type SignKey, type SignType } from "../signing/signer";
import type { Transport, TransportRequest } from "../transport";
import { renderGatewayReply, responseSignContent } from "../xml";

/** Keys for the test helpers: an MD5 key, or an RSA private key (PEM/base64 or parsed). */
export type TestSigningKey = { md5Key: string } | { privateKey: string | PrivateKeyMaterial };

function toSignKey(key: TestSigningKey): SignKey {
  if ("md5Key" in key) return { md5Key: key.md5Key };
  return { privateKey: typeof key.privateKey === "string" ? parsePrivateKey(key.privateKey, "privateKey") : key.privateKey };
}

/**
 * A signed notification form body, as Alipay POSTs it to `notify_url` (sign with the MD5 key, or
 * with the private key whose public half your handler trusts as "Alipay's").
 *
 * @example
 * const body = buildSignedNotification({ notify_id: "n1", notify_type: "trade_status_sync", out_trade_no: "o1", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }, { signType: "MD5", md5Key });
 * await fetch(notifyUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
 */
export function buildSignedNotification(fields: Record<string, string>, options: { signType: SignType } & TestSigningKey): string {
  return encodeForm(signParams(fields, options.signType, toSignKey(options)));
}

/** A signed reply envelope (XML) over `response` (or over `error=<code>` for a failure). */
export function signResponseEnvelope(
  reply: { response?: Record<string, string>; error?: string; request?: Record<string, string> },
  options: { signType: SignType; encoding?: string } & TestSigningKey,
): string {
  const isSuccess = !reply.error;
  const response = reply.response ?? {};
  const sign = nodeCryptoSigner.sign(options.signType, responseSignContent({ isSuccess, error: reply.error, response }), toSignKey(options));
  return renderGatewayReply(
    { isSuccess, error: reply.error, request: reply.request, response: isSuccess ? response : undefined, sign, signType: options.signType },
    { encoding: options.encoding },
  );
}

/** What a scripted gateway step answers: business fields, a transport error, or a network fault. */
export type ScriptedReply =
  | { response: Record<string, string> }
  | { error: string; signed?: boolean }
  | { fault: "timeout" | "network" | "http500" | "badSignature" | "malformedXml" };

/**
 * A `Transport` that plays a script instead of the network: `handle` receives the decoded,
 * merged request parameters and returns the reply; replies are signed with `key`. Every request
 * is recorded in `requests`.
 */
export function scriptedGateway(
  key: { signType: SignType } & TestSigningKey,
  handle: (params: Record<string, string>, index: number) => ScriptedReply,
): { transport: Transport; requests: Array<Record<string, string>> } {
  const requests: Array<Record<string, string>> = [];
  const transport: Transport = async (request: TransportRequest) => {
    const url = new URL(request.url);
    const params: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...(request.body ? parseForm(request.body) : {}) };
    requests.push(params);
    const reply = handle(params, requests.length - 1);
    const ok = (xml: string) => ({ status: 200, headers: { "content-type": "text/xml; charset=UTF-8" }, body: Buffer.from(xml, "utf8") });
    if ("fault" in reply) {
      switch (reply.fault) {
        case "timeout":
          throw new AlipayTimeoutError(`no reply from the gateway within ${request.timeoutMs} ms`);
        case "network":
          throw new AlipayNetworkError("gateway request failed: ECONNRESET");
        case "http500":
          return { status: 500, headers: {}, body: Buffer.from("Internal Server Error") };
        case "malformedXml":
          return ok("<alipay><is_success>T</is_success><response><alipay>");
        case "badSignature": {
          const xml = signResponseEnvelope({ response: { result_code: "SUCCESS" } }, key);
          return ok(xml.replace(/<sign>[^<]+</, "<sign>AAAA<"));
        }
      }
    }
    if ("error" in reply) {
      return ok(reply.signed ? signResponseEnvelope({ error: reply.error }, key) : renderGatewayReply({ isSuccess: false, error: reply.error }));
    }
    return ok(signResponseEnvelope({ response: reply.response, request: params }, key));
  };
  return { transport, requests };
}
