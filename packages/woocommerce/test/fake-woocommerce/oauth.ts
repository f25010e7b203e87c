import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * WooCommerce's server-side OAuth 1.0a one-legged check (`WC_REST_Authentication`, HTTP only),
 * ported closely: parameters from the query, a form body and an `Authorization: OAuth` header,
 * PHP-style parsing (last duplicate wins, `a[0]=x` nests), top-level keys sorted with strcmp, keys
 * and values RFC 3986-encoded, then each `k=v` encoded again and joined with `%26`; the base URL
 * is the site's home URL plus the request path; key `consumer_secret&`; HMAC-SHA1 or -SHA256;
 * 15-minute timestamp window; nonces never reused.
 */
export type PhpParams = { [key: string]: string | PhpParams };

export class OAuthFailure extends Error {}

export interface OAuthKey {
  consumerKey: string;
  consumerSecret: string;
}

export class OAuthVerifier {
  private readonly usedNonces = new Map<string, Set<string>>();

  constructor(
    private readonly findKey: (consumerKey: string) => OAuthKey | undefined,
    private readonly now: () => Date,
  ) {}

  /** Returns the key that signed the request, or throws {@link OAuthFailure} with WooCommerce's message. */
  verify(input: { method: string; homeUrl: string; path: string; params: PhpParams }): OAuthKey {
    const params: PhpParams = { ...input.params };
    for (const name of ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"]) {
      if (typeof params[name] !== "string" || params[name] === "") throw new OAuthFailure(`Missing OAuth parameter ${name}`);
    }
    const key = this.findKey(params.oauth_consumer_key as string);
    if (!key) throw new OAuthFailure("Consumer key is invalid.");

    const consumerSignature = decodeURIComponent(String(params.oauth_signature).replace(/ /g, "+"));
    delete params.oauth_signature;
    const method = String(params.oauth_signature_method);
    const sorted = Object.keys(params).sort(strcmp);
    const normalized: Array<[string, string | PhpParams]> = sorted.map((k) => [rfc3986(k), encodeValues(params[k]!)]);
    const queryString = joinWithEquals(normalized).join("%26");
    const base = `${input.method.toUpperCase()}&${rfc3986(`${input.homeUrl.replace(/\/$/, "")}/${input.path.replace(/^\//, "")}`)}&${queryString}`;
    if (method !== "HMAC-SHA1" && method !== "HMAC-SHA256") throw new OAuthFailure("Invalid signature - signature method is invalid.");
    const expected = createHmac(method === "HMAC-SHA1" ? "sha1" : "sha256", `${key.consumerSecret}&`)
      .update(base)
      .digest("base64");
    const a = Buffer.from(expected);
    const b = Buffer.from(consumerSignature);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new OAuthFailure("Invalid signature - provided signature does not match.");

    const ts = Number(params.oauth_timestamp);
    const nowSec = Math.floor(this.now().getTime() / 1000);
    if (!Number.isFinite(ts) || ts < nowSec - 15 * 60 || ts > nowSec + 15 * 60) throw new OAuthFailure("Invalid timestamp.");
    const used = this.usedNonces.get(key.consumerKey) ?? new Set<string>();
    const nonce = String(params.oauth_nonce);
    if (used.has(nonce)) throw new OAuthFailure("Invalid nonce - nonce has already been used.");
    used.add(nonce);
    this.usedNonces.set(key.consumerKey, used);
    return key;
  }
}

/** PHP's `rawurlencode` with `~` left alone (`wc_rest_urlencode_rfc3986`). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodeValues(v: string | PhpParams): string | PhpParams {
  if (typeof v === "string") return rfc3986(v);
  const out: PhpParams = {};
  for (const [k, inner] of Object.entries(v)) out[k] = encodeValues(inner);
  return out;
}

function joinWithEquals(entries: Array<[string, string | PhpParams]>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [rawKey, value] of entries) {
    const key = prefix ? `${prefix}%5B${rawKey}%5D` : rawKey;
    if (typeof value === "string") out.push(rfc3986(`${key}=${value}`));
    else out.push(...joinWithEquals(Object.entries(value), key));
  }
  return out;
}

function strcmp(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** PHP `parse_str` for what clients send here: last duplicate wins, `a[]`/`a[k]` nest. */
export function phpParseQuery(qs: string, into: PhpParams = {}): PhpParams {
  for (const part of qs.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawName = decodeForm(eq === -1 ? part : part.slice(0, eq));
    const value = decodeForm(eq === -1 ? "" : part.slice(eq + 1));
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(rawName);
    if (!m?.[2]) {
      into[rawName] = value;
      continue;
    }
    const path = [...m[2].matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!);
    let node = into;
    let key = m[1]!;
    for (const seg of path) {
      const child = typeof node[key] === "object" ? (node[key] as PhpParams) : {};
      node[key] = child;
      node = child;
      key = seg === "" ? String(Object.keys(child).length) : seg;
    }
    node[key] = value;
  }
  return into;
}

function decodeForm(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** Parameters of an `Authorization: OAuth k="v", ...` header. */
export function parseOAuthHeader(header: string | undefined): PhpParams {
  const out: PhpParams = {};
  if (!header || !/^OAuth\s/i.test(header)) return out;
  for (const m of header.slice(6).matchAll(/([A-Za-z0-9_]+)="([^"]*)"/g)) out[m[1]!] = decodeURIComponent(m[2]!);
  return out;
}
