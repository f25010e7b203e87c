import iconv from "iconv-lite";
import { AlipayProtocolError } from "./errors";

/**
 * Decodes an `application/x-www-form-urlencoded` body into a flat map, percent-decoding to bytes
 * first and then decoding those bytes in `charset` (UTF-8 or GBK), so GBK forms come out right.
 * A repeated name keeps its first value. `+` becomes a space, as form decoding requires; RSA
 * signature verification repairs spaces in `sign` itself.
 */
export function parseForm(body: string | Uint8Array, charset = "UTF-8"): Record<string, string> {
  if (!/^utf-?8$/i.test(charset) && !iconv.encodingExists(charset)) {
    throw new AlipayProtocolError(`form: unsupported charset ${JSON.stringify(String(charset).slice(0, 20))}`, { code: "BAD_CHARSET" });
  }
  const text = typeof body === "string" ? body : Buffer.from(body).toString("latin1");
  const out: Record<string, string> = {};
  if (text.trim() === "") return out;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), charset);
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1), charset);
    if (!(name in out)) out[name] = value;
  }
  return out;
}

function decodeComponent(component: string, charset: string): string {
  const bytes: number[] = [];
  const s = component.replace(/\+/g, " ");
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x25 && i + 2 < s.length + 0 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      // A raw non-ASCII character in an already-decoded string: keep its UTF-8 bytes.
      for (const b of Buffer.from(s[i]!, "utf8")) bytes.push(b);
    }
  }
  const buf = Buffer.from(bytes);
  return /^utf-?8$/i.test(charset) ? buf.toString("utf8") : iconv.decode(buf, charset);
}

/** Encodes a parameter map as a form body in `charset` (empty and undefined values are left out). */
export function encodeForm(params: Record<string, string | undefined | null>, charset = "UTF-8"): string {
  const utf8 = /^utf-?8$/i.test(charset);
  const enc = (value: string) =>
    utf8
      ? encodeURIComponent(value)
      : Array.from(iconv.encode(value, charset))
          .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
          .join("");
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${enc(k)}=${enc(v as string)}`)
    .join("&");
}
