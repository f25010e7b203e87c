import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * How the WordPress plugin authenticates to the bridge: an HMAC-SHA256, keyed by the shared
 * `WOO_PLUGIN_SECRET`, over one line each of the kind (`v1` for a request, `v1-link` for a link
 * with an expiry), the Unix time, the HTTP method, the path relative to the bridge URL and the
 * SHA-256 (hex) of the body. The secret itself never travels. The PHP side is
 * `WC_Gateway_AlipayHK::sign()`.
 */
export function pluginSignature(secret: string, kind: "v1" | "v1-link", timestamp: number, method: string, path: string, body: Buffer | string): string {
  const text = [kind, String(timestamp), method.toUpperCase(), path, createHash("sha256").update(body).digest("hex")].join("\n");
  return createHmac("sha256", secret).update(text).digest("hex");
}

/** Request headers the plugin sends. */
export const TIMESTAMP_HEADER = "x-alipayhk-timestamp";
export const SIGNATURE_HEADER = "x-alipayhk-signature";

/** Why a signed plugin request or link was refused (no secret material in the message). */
export class PluginAuthError extends Error {}

/**
 * Checks a signed request: the timestamp within `skewSeconds` (default 300) of `now`, the
 * signature equal in constant time. A replay inside the window can only repeat an idempotent
 * refund that WooCommerce still holds.
 */
export function verifyPluginRequest(
  secret: string,
  input: { method: string; path: string; body: Buffer; timestamp: string | undefined; signature: string | undefined },
  now: Date,
  skewSeconds = 300,
): void {
  if (!input.timestamp || !input.signature)
    throw new PluginAuthError("missing X-AlipayHK-Timestamp or X-AlipayHK-Signature (the WordPress plugin signs its calls with the bridge secret)");
  if (!/^\d{9,11}$/.test(input.timestamp)) throw new PluginAuthError("X-AlipayHK-Timestamp: expected Unix seconds");
  const ts = Number(input.timestamp);
  if (Math.abs(now.getTime() / 1000 - ts) > skewSeconds)
    throw new PluginAuthError(`X-AlipayHK-Timestamp: more than ${skewSeconds} s from the bridge's clock; check both clocks`);
  if (!sameHex(input.signature, pluginSignature(secret, "v1", ts, input.method, input.path, input.body))) {
    throw new PluginAuthError("X-AlipayHK-Signature: does not match (is the plugin's Bridge secret the bridge's WOO_PLUGIN_SECRET?)");
  }
}

/** Checks a signed link (`?expires=&signature=`): not expired, at most `maxSeconds` ahead, signature equal. */
export function verifyPluginLink(
  secret: string,
  input: { path: string; expires: string | null; signature: string | null },
  now: Date,
  maxSeconds = 24 * 3600,
): void {
  if (!input.expires || !input.signature || !/^\d{9,11}$/.test(input.expires))
    throw new PluginAuthError("expires and signature: expected the link WooCommerce shows on the order");
  const exp = Number(input.expires);
  const nowS = now.getTime() / 1000;
  if (exp < nowS) throw new PluginAuthError("this link has expired: open it again from the order in WooCommerce");
  if (exp - nowS > maxSeconds) throw new PluginAuthError("expires: too far ahead");
  if (!sameHex(input.signature, pluginSignature(secret, "v1-link", exp, "GET", input.path, ""))) throw new PluginAuthError("signature: does not match");
}

function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
