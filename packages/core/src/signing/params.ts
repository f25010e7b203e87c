import iconv from "iconv-lite";
import { canonicalize, type GatewayParams } from "./canonical";
import { isSignType, nodeCryptoSigner, type SignKey, type Signer, type SignType, type VerifyKey } from "./signer";

/**
 * Encodes the canonical string in the request's `_input_charset` (UTF-8 unless told otherwise), so
 * that MD5/RSA cover the same bytes the gateway decoded.
 */
export function encodeForCharset(text: string, charset?: string | null): Uint8Array | string {
  if (!charset || /^utf-?8$/i.test(charset)) return text;
  if (!iconv.encodingExists(charset)) throw new RangeError(`_input_charset: unsupported charset ${JSON.stringify(charset)}`);
  return iconv.encode(text, charset);
}

/** A parameter map with its signature. */
export type SignedParams = Record<string, string> & { sign: string; sign_type: SignType };

/** Signs a request (or notification) parameter map; returns a copy with `sign` and `sign_type`. */
export function signParams(params: GatewayParams, signType: SignType, key: SignKey, signer: Signer = nodeCryptoSigner): SignedParams {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && name !== "sign" && name !== "sign_type") clean[name] = value;
  }
  const content = encodeForCharset(canonicalize(clean), clean._input_charset);
  return { ...clean, sign: signer.sign(signType, content, key), sign_type: signType };
}

export type VerifyParamsResult =
  | { ok: true; signType: SignType }
  | { ok: false; reason: "missing_sign" | "bad_sign_type" | "sign_type_mismatch" | "bad_signature" };

/**
 * Verifies a received parameter map (a notification or a request at the sandbox) against its
 * `sign`/`sign_type`, over the one canonical string. `expectedSignType` refuses a downgrade
 * (an MD5-signed body where RSA2 is configured).
 */
export function verifyParams(
  params: GatewayParams,
  key: VerifyKey,
  options: { signer?: Signer; expectedSignType?: SignType; charset?: string | null } = {},
): VerifyParamsResult {
  const sign = params.sign;
  const signType = params.sign_type;
  if (!sign) return { ok: false, reason: "missing_sign" };
  if (!isSignType(signType)) return { ok: false, reason: "bad_sign_type" };
  if (options.expectedSignType && options.expectedSignType !== signType) return { ok: false, reason: "sign_type_mismatch" };
  if (signType === "MD5" ? !("md5Key" in key) : !("publicKey" in key)) return { ok: false, reason: "sign_type_mismatch" };
  const content = encodeForCharset(canonicalize(params), options.charset ?? params._input_charset);
  const ok = (options.signer ?? nodeCryptoSigner).verify(signType, content, sign, key);
  return ok ? { ok: true, signType } : { ok: false, reason: "bad_signature" };
}
