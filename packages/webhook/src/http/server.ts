import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Store } from "../store/store";
import { ApiError } from "./errors";
import type { Authenticated, InboundAuth } from "./auth";

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  /** Decoded path parameters, in order. */
  params: string[];
  body: Buffer;
  auth?: Authenticated;
}

export interface RouteResult {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST";
  /** Anchored; capture groups are the path parameters. */
  pattern: RegExp;
  /** For metrics and logs: the path template. */
  name: string;
  /** Needs the platform's signature or bearer token. */
  auth: boolean;
  /** Replays its first successful response for a repeated `webhook-id` / `Idempotency-Key`. */
  idempotent?: boolean;
  handle(context: RouteContext): Promise<RouteResult>;
}

export function json(status: number, value: unknown, headers?: Record<string, string>): RouteResult {
  return { status, body: JSON.stringify(value), contentType: "application/json", headers };
}

export interface HttpOptions {
  routes: Route[];
  auth: InboundAuth;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Largest body accepted. Default 64 KiB. */
  maxBodyBytes?: number;
  /** An idempotency key left in progress this long (its instance died) may be taken over. */
  idempotencyStaleMs: number;
  now: () => number;
}

function send(res: ServerResponse, result: RouteResult): void {
  const headers: Record<string, string> = { "content-type": result.contentType ?? "application/json", ...result.headers };
  res.writeHead(result.status, headers);
  res.end(result.body);
}

function errorResult(error: ApiError): RouteResult {
  return json(error.status, error.toJSON(), error.headers);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new ApiError(413, "body_too_large", `body: expected at most ${limit} bytes, got ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, "body_too_large", `body: expected at most ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * The request pipeline on plain node:http: route, read the raw body, authenticate it, take the
 * idempotency key, run the route, keep its response for replays, and answer JSON errors.
 */
export interface RequestListener {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Resolves when every request being handled has finished (for a clean shutdown). */
  drain(): Promise<void>;
}

export function createRequestListener(options: HttpOptions): RequestListener {
  const limit = options.maxBodyBytes ?? 64 * 1024;
  const { routes, metrics, logger } = options;

  async function run(req: IncomingMessage, url: URL, route: Route, params: string[]): Promise<RouteResult> {
    params = params.map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new ApiError(400, "invalid_request", `path: malformed percent-encoding in ${JSON.stringify(part.slice(0, 60))}`);
      }
    });
    const body = await readBody(req, limit);
    const auth = route.auth ? options.auth.check(req.headers, body) : undefined;
    const context: RouteContext = { req, url, params, body, auth };
    const key = route.idempotent ? auth?.idempotencyKey : undefined;
    if (!key) return route.handle(context);
    const fingerprint = createHash("sha256").update(`${req.method} ${url.pathname}\n`).update(body).digest("base64url");
    const begun = await options.store.beginIdempotent(key, fingerprint, options.now(), options.idempotencyStaleMs);
    if (begun.kind === "replay") return { status: begun.statusCode, body: begun.body, contentType: "application/json", headers: { "idempotent-replayed": "true" } };
    if (begun.kind === "in_progress") {
      throw new ApiError(409, "idempotency_in_progress", "idempotency-key: a request with this key is still being processed; retry shortly", { "retry-after": "1" });
    }
    if (begun.kind === "mismatch") throw new ApiError(422, "idempotency_key_reused", "idempotency-key: already used for a different request (method, path or body)");
    let result: RouteResult;
    try {
      result = await route.handle(context);
    } catch (error) {
      await options.store.releaseIdempotent(key).catch(() => {});
      throw error;
    }
    if (result.status >= 200 && result.status < 300) await options.store.finishIdempotent(key, result.status, result.body.toString());
    else await options.store.releaseIdempotent(key);
    return result;
  }

  const inFlight = new Set<Promise<unknown>>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://localhost");
    let route: Route | undefined;
    let params: string[] = [];
    let pathMatched = false;
    for (const candidate of routes) {
      const match = candidate.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (candidate.method !== req.method) continue;
      route = candidate;
      params = match.slice(1);
      break;
    }
    const finish = (result: RouteResult) => {
      send(res, result);
      const name = route?.name ?? "unmatched";
      metrics.httpRequests.inc({ route: name, method: req.method ?? "", status: String(result.status) });
      metrics.httpDuration.observe({ route: name }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    if (!route) {
      req.resume();
      finish(
        errorResult(
          pathMatched
            ? new ApiError(405, "method_not_allowed", `method: ${req.method} is not allowed on ${url.pathname}`)
            : new ApiError(404, "route_not_found", `path: no route ${req.method} ${url.pathname}; see GET /openapi.json`),
        ),
      );
      return;
    }
    const handled = run(req, url, route, params).then(finish, (error: unknown) => {
      if (error instanceof ApiError) {
        if (error.status === 413) res.setHeader("connection", "close");
        finish(errorResult(error));
        return;
      }
      logger.log("error", "request failed", { route: route!.name, method: req.method, error: (error as Error).message });
      finish(errorResult(new ApiError(500, "internal", "server: the request failed unexpectedly; it is safe to retry with the same idempotency key")));
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  };
  return Object.assign(listener, {
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  });
}
