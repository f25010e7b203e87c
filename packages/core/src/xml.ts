import { XMLParser } from "fast-xml-parser";
import iconv from "iconv-lite";
import { AlipayProtocolError } from "./errors";
import { canonicalize } from "./signing/canonical";

/** A parsed `gateway.do` reply envelope (spec §1.4). Nothing in it is trusted until its sign is verified. */
export interface GatewayReply {
  /** `is_success=T`: the gateway accepted the request (not that the payment succeeded). */
  isSuccess: boolean;
  /** The transport error code when `is_success=F` (ILLEGAL_SIGN, ...). */
  error?: string;
  /** The echoed request parameters. Not signed by the gateway. */
  request: Record<string, string>;
  /** The children of `response/alipay`: the signed business fields. */
  response: Record<string, string>;
  sign?: string;
  signType?: string;
  /** The decoded XML text. */
  raw: string;
}

const MAX_REPLY_BYTES = 1024 * 1024;

/** The charset a reply declares: XML declaration first, then the HTTP Content-Type, else UTF-8. */
export function detectReplyCharset(body: Uint8Array, contentType?: string | null): string {
  const head = Buffer.from(body.subarray(0, 200)).toString("latin1");
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/i.exec(head);
  if (declared) return declared[1]!;
  const header = contentType ? /charset\s*=\s*"?([A-Za-z0-9_-]+)/i.exec(contentType) : null;
  return header ? header[1]! : "UTF-8";
}

function decodeBody(body: Uint8Array | string, contentType?: string | null): string {
  if (typeof body === "string") return body;
  if (body.byteLength > MAX_REPLY_BYTES) throw new AlipayProtocolError(`reply: larger than ${MAX_REPLY_BYTES} bytes`);
  const charset = detectReplyCharset(body, contentType);
  if (!iconv.encodingExists(charset)) throw new AlipayProtocolError(`reply: unsupported encoding ${JSON.stringify(charset)}`);
  return iconv.decode(Buffer.from(body), charset);
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, jpath) => jpath === "alipay.request.param",
});

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && "#text" in (value as Record<string, unknown>)) return text((value as Record<string, unknown>)["#text"]);
  return "";
}

function snippet(raw: string): string {
  const flat = raw.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat);
}

/**
 * Parses a gateway reply. Decodes the declared encoding (GBK occurs in real captures), decodes
 * XML entities, and refuses any DTD or entity declaration outright (XXE, billion laughs) before
 * the parser sees it.
 */
export function parseGatewayReply(body: Uint8Array | string, contentType?: string | null): GatewayReply {
  const raw = decodeBody(body, contentType);
  if (/<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i.test(raw)) {
    throw new AlipayProtocolError("reply: XML with a DTD or entity declaration is refused");
  }
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(raw, true) as Record<string, unknown>;
  } catch (error) {
    throw new AlipayProtocolError(`reply: malformed XML (${(error as Error).message.split("\n")[0]}); got ${snippet(raw)}`, { raw, cause: error });
  }
  const root = doc.alipay as Record<string, unknown> | undefined;
  if (!root || typeof root !== "object") {
    throw new AlipayProtocolError(`reply: expected an <alipay> XML envelope, got ${snippet(raw)}`, { raw });
  }
  const isSuccessText = text(root.is_success);
  if (isSuccessText !== "T" && isSuccessText !== "F") {
    throw new AlipayProtocolError(`reply: expected <is_success> T or F, got ${snippet(String(isSuccessText))}`, { raw });
  }
  const request: Record<string, string> = {};
  const requestNode = root.request as { param?: Array<Record<string, unknown>> } | undefined;
  for (const param of requestNode?.param ?? []) {
    const name = param["@_name"];
    if (typeof name === "string") request[name] = text(param) ?? "";
  }
  const response: Record<string, string> = {};
  const responseNode = (root.response as Record<string, unknown> | undefined)?.alipay;
  if (responseNode && typeof responseNode === "object") {
    for (const [name, value] of Object.entries(responseNode as Record<string, unknown>)) {
      if (name.startsWith("@_") || name === "#text") continue;
      // Business fields are flat and unique: a repeated or nested one could be read two ways.
      if (Array.isArray(value)) throw new AlipayProtocolError(`reply: response field <${name}> appears more than once`, { raw });
      if (value !== null && typeof value === "object" && Object.keys(value).some((k) => k !== "#text" && !k.startsWith("@_"))) {
        throw new AlipayProtocolError(`reply: response field <${name}> holds nested elements`, { raw });
      }
      const value_ = text(value);
      if (value_ !== undefined) response[name] = value_;
    }
  }
  return {
    isSuccess: isSuccessText === "T",
    error: text(root.error) || undefined,
    request,
    response,
    sign: text(root.sign) || undefined,
    signType: text(root.sign_type) || undefined,
    raw,
  };
}

/**
 * The exact string a reply's `sign` covers (spec §4.3): the canonical form of the children of
 * `response/alipay`, or `error=<code>` for a signed `is_success=F`.
 */
export function responseSignContent(reply: Pick<GatewayReply, "isSuccess" | "error" | "response">): string {
  return reply.isSuccess ? canonicalize(reply.response) : `error=${reply.error ?? ""}`;
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

export interface RenderReplyInput {
  isSuccess: boolean;
  error?: string;
  request?: Record<string, string>;
  response?: Record<string, string>;
  sign?: string;
  signType?: string;
}

/**
 * Renders a reply envelope the way the gateway does: `is_success`, the request echo, the business
 * fields in alphabetical order, then `sign` and `sign_type`. Used by the sandbox and test helpers.
 */
export function renderGatewayReply(reply: RenderReplyInput, options: { encoding?: string } = {}): string {
  const parts = [`<?xml version="1.0" encoding="${options.encoding ?? "UTF-8"}"?>`, "<alipay>", `<is_success>${reply.isSuccess ? "T" : "F"}</is_success>`];
  if (reply.error) parts.push(`<error>${escapeXml(reply.error)}</error>`);
  if (reply.request && Object.keys(reply.request).length > 0) {
    parts.push("<request>");
    for (const [name, value] of Object.entries(reply.request)) parts.push(`<param name="${escapeXml(name)}">${escapeXml(value)}</param>`);
    parts.push("</request>");
  }
  if (reply.response) {
    parts.push("<response><alipay>");
    for (const name of Object.keys(reply.response).sort()) {
      const value = reply.response[name];
      if (value !== undefined && value !== "") parts.push(`<${name}>${escapeXml(value)}</${name}>`);
    }
    parts.push("</alipay></response>");
  }
  if (reply.sign) parts.push(`<sign>${escapeXml(reply.sign)}</sign>`);
  if (reply.signType) parts.push(`<sign_type>${escapeXml(reply.signType)}</sign_type>`);
  parts.push("</alipay>");
  return parts.join("");
}
