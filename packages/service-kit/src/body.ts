import type { IncomingMessage } from "node:http";
import { badRequest, tooLarge } from "./errors";

/**
 * The raw request body, refused with 413 beyond `limit` bytes (checked against `content-length`
 * first, then while reading). Signatures are checked over these bytes, so nothing decodes them here.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * A JSON body of any shape, for a schema to judge; an empty (or blank) body is `{}` where
 * `emptyIsObject`, else refused. Text that is not JSON is a 400 `invalid_json` naming `body`.
 */
export function parseJson(body: Buffer, options: { emptyIsObject?: boolean } = {}): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") {
    if (options.emptyIsObject) return {};
    throw badRequest("invalid_json", "body: expected a JSON object, got an empty body");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest("invalid_json", `body: expected a JSON object, got malformed JSON (${(error as Error).message.slice(0, 80)})`);
  }
}

/** A JSON object body; an empty body is `{}`. Anything else is a 400 `invalid_json` naming `body`. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest("invalid_json", "body: expected a JSON object");
  return value as Record<string, unknown>;
}

/** A form (`application/x-www-form-urlencoded`) body. */
export function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString("utf8"));
}

/** The request's cookies; a mangled value is skipped. */
export function cookies(req: IncomingMessage): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 1) continue;
    try {
      jar[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // a cookie another site's code mangled: ignore it
    }
  }
  return jar;
}
