import type { IncomingMessage, ServerResponse } from "node:http";

/** A request body bigger than any form or event the shop expects. */
const MAX_BODY_BYTES = 256 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `body: expected at most ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req)).toString("utf8"));
}

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

export function html(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** 303 See Other: after a form post, the browser GETs the next page. */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, ...headers });
  res.end();
}

/** `location` with a one-line notice for the next page to show. */
export function withMessage(location: string, text: string, kind: "info" | "error" = "info"): string {
  const query = new URLSearchParams(kind === "error" ? { error: text } : { message: text });
  return `${location}${location.includes("?") ? "&" : "?"}${query}`;
}

/** A Server-Sent Events stream; `send` writes one event, the stream ends with the connection. */
export function eventStream(req: IncomingMessage, res: ServerResponse, onClose: () => void): (event: string, data: unknown) => void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  res.write("retry: 1000\n\n");
  // A comment now and then keeps proxies from closing an idle stream.
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  heartbeat.unref();
  req.on("close", () => {
    clearInterval(heartbeat);
    onClose();
  });
  return (event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}
