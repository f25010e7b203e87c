import type { IncomingMessage, ServerResponse } from "node:http";

/** A small router over `node:http`: the bridge has a handful of routes and needs raw bodies. */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Named path segments, e.g. `{ orderId: "727" }` for `/pay/:orderId`. */
  params: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `/pay/:orderId`; segments starting with `:` capture. */
  path: string;
  handler: Handler;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "error",
  ) {
    super(message);
  }
}

export function createRouter(routes: Route[], onError: (err: unknown, ctx: RequestContext) => void = () => {}) {
  const compiled = routes.map((r) => ({ ...r, parts: r.path.split("/").filter(Boolean) }));
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://bridge.invalid");
    const segs = url.pathname.split("/").filter(Boolean).map(safeDecode);
    let pathMatched = false;
    for (const route of compiled) {
      const params = match(route.parts, segs);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === "GET" && req.method === "HEAD")) continue;
      const ctx: RequestContext = { req, res, url, params };
      try {
        await route.handler(ctx);
      } catch (err) {
        if (!res.headersSent) {
          if (err instanceof HttpError) sendJson(res, err.status, { error: err.code, message: err.message });
          else sendJson(res, 500, { error: "internal", message: "internal error" });
        } else res.end();
        if (!(err instanceof HttpError) || err.status >= 500) onError(err, ctx);
      }
      return;
    }
    sendJson(res, pathMatched ? 405 : 404, { error: pathMatched ? "method_not_allowed" : "not_found", message: `${req.method} ${url.pathname}` });
  };
}

function match(parts: string[], segs: string[]): Record<string, string> | null {
  if (parts.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = segs[i]!;
    else if (p !== segs[i]) return null;
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads the raw request body, refusing more than `limit` bytes (413). */
export async function readRawBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new HttpError(413, `body over ${limit} bytes`, "too_large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  const raw = await readRawBody(req, limit);
  if (!raw.length) return {};
  try {
    const parsed = JSON.parse(raw.toString("utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "body: expected a JSON object", "invalid_body");
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}
