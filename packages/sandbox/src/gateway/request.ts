/**
 * Reads a `gateway.do` request the way the gateway does (spec §1.2, §0): query string and form
 * body merged, percent-decoded to bytes and decoded in the declared `_input_charset` (GBK when
 * none is declared), before the signature is checked over the decoded values.
 */
import { parseForm } from "@alipayhk/core";

export interface GatewayRequest {
  method: string;
  /** Every parameter, query string first, then the body, in arrival order (the reply echoes them). */
  params: Record<string, string>;
  /** "UTF-8", "GBK" or "GB2312". */
  charset: string;
}

/** A request the gateway refuses before looking at its content: `is_success=F` + `code`. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    /** The request's charset when it was known, for the reply. */
    readonly charset = "UTF-8",
  ) {
    super(`${code}: ${detail}`);
  }
}

const CHARSETS: Record<string, string> = { "utf-8": "UTF-8", utf8: "UTF-8", gbk: "GBK", gb2312: "GB2312" };

/** The declared charset, found in the raw (ASCII-compatible) query or body before decoding. */
function declaredCharset(...sources: string[]): string | undefined {
  for (const source of sources) {
    const m = /(?:^|&)_input_charset=([^&]*)/.exec(source);
    if (m) {
      try {
        return decodeURIComponent(m[1]!.replace(/\+/g, " "));
      } catch {
        return m[1];
      }
    }
  }
  return undefined;
}

export function readGatewayRequest(method: string, rawQuery: string, body: Buffer, contentType: string | undefined): GatewayRequest {
  if (method !== "GET" && method !== "POST") throw new TransportError("ILLEGAL_ARGUMENT", `method: expected GET or POST, got ${method}`);
  const bodyText = method === "POST" ? body.toString("latin1") : "";
  if (bodyText.trim() !== "" && contentType && !/^application\/x-www-form-urlencoded\b/i.test(contentType) && !/^text\/plain\b/i.test(contentType)) {
    throw new TransportError("ILLEGAL_ARGUMENT", `content-type: expected application/x-www-form-urlencoded, got ${contentType.slice(0, 60)}`);
  }
  const declared = declaredCharset(rawQuery, bodyText);
  // Spec §1.3: the query and refund pages say the default is GBK.
  const charset = declared === undefined ? "GBK" : CHARSETS[declared.toLowerCase()];
  if (!charset) throw new TransportError("ILLEGAL_CHARSET", `_input_charset: expected UTF-8 or GBK, got ${JSON.stringify(declared?.slice(0, 20))}`);

  const query = parseForm(rawQuery, charset);
  const form = parseForm(bodyText, charset);
  const params: Record<string, string> = { ...query };
  for (const [name, value] of Object.entries(form)) {
    if (name in params && params[name] !== value) {
      throw new TransportError("ILLEGAL_ARGUMENT", `${name}: given in the query string and the body with different values`, charset);
    }
    params[name] = value;
  }
  for (const [name, value] of Object.entries(params)) {
    // U+FFFD: bytes that are not valid in the declared charset.
    if (value.includes("\uFFFD") || name.includes("\uFFFD")) {
      throw new TransportError("ILLEGAL_ENCODING", `${name}: not valid ${charset}`, charset);
    }
  }
  return { method, params, charset };
}
