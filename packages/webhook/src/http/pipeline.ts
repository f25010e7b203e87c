import { createHash } from "node:crypto";
import {
  bytes,
  conflict,
  createHttpHandler,
  HttpError,
  type HttpHandler,
  type Method,
  type Reply,
  type RequestContext,
  type Route,
} from "@alipayhk/service-kit";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Store } from "../store/store";
import type { Authenticated, InboundAuth } from "./auth";

/** What an API route gets: the kit's request context, the raw body and who sent it. */
export interface ApiRequest extends RequestContext {
  /** The raw body, already read (the signature was checked over these bytes). */
  raw: Buffer;
  /** Set on routes with `auth`. */
  auth?: Authenticated;
}

/** A kit route with the webhook's own steps: authentication over the raw body, and idempotent replays. */
export interface ApiRoute {
  method: Method;
  /** A find-my-way path template: `/v1/orders/:order_id`. */
  path: string;
  /** Needs the platform's signature or bearer token. */
  auth: boolean;
  /** Replays its first successful response for a repeated `webhook-id` / `Idempotency-Key`. */
  idempotent?: boolean;
  handle(request: ApiRequest): Promise<Reply> | Reply;
}

export interface ApiHandlerOptions {
  routes: readonly ApiRoute[];
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

/** `/v1/orders/:order_id` → `/v1/orders/{order_id}`: the metric label, as the OpenAPI document names the route. */
const routeLabel = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * Runs a route once per idempotency key: a repeat gets the first successful response again
 * (`idempotent-replayed: true`); a refusal or failure frees the key for a corrected request.
 */
async function once(route: ApiRoute, request: ApiRequest, key: string, options: ApiHandlerOptions): Promise<Reply> {
  const { store } = options;
  const fingerprint = createHash("sha256").update(`${request.req.method} ${request.url.pathname}\n`).update(request.raw).digest("base64url");
  const begun = await store.beginIdempotent(key, fingerprint, options.now(), options.idempotencyStaleMs);
  switch (begun.kind) {
    case "replay":
      return bytes(begun.statusCode, begun.body, "application/json; charset=utf-8", { "cache-control": "no-store", "idempotent-replayed": "true" });
    case "in_progress":
      throw conflict("idempotency_in_progress", "idempotency-key: a request with this key is still being processed; retry shortly", { "retry-after": "1" });
    case "mismatch":
      throw new HttpError(422, "idempotency_key_reused", "idempotency-key: already used for a different request (method, path or body)");
    case "new":
      break;
  }
  let reply: Reply;
  try {
    reply = await route.handle(request);
  } catch (error) {
    await store.releaseIdempotent(key).catch(() => {});
    throw error;
  }
  if (reply.status >= 200 && reply.status < 300) await store.finishIdempotent(key, reply.status, reply.body.toString());
  else await store.releaseIdempotent(key);
  return reply;
}

function toKitRoute(route: ApiRoute, options: ApiHandlerOptions): Route {
  return {
    method: route.method,
    path: route.path,
    async handle(context) {
      const raw = await context.body();
      const auth = route.auth ? options.auth.check(context.req.headers, raw) : undefined;
      const request: ApiRequest = { ...context, raw, auth };
      const key = route.idempotent ? auth?.idempotencyKey : undefined;
      return key ? once(route, request, key, options) : route.handle(request);
    },
  };
}

/**
 * The API on the kit's HTTP layer: each route reads the raw body, authenticates it, takes the
 * idempotency key and runs; every response is counted per route, and unexpected failures are
 * logged and answered as a 500 that is safe to retry.
 */
export function createApiHandler(options: ApiHandlerOptions): HttpHandler {
  const { metrics, logger } = options;
  // Labels computed once per route, not per request.
  const labels = new Map(options.routes.map((route) => [route.path, routeLabel(route.path)]));
  const labelOf = (path: string) => labels.get(path) ?? path;
  return createHttpHandler({
    routes: options.routes.map((route) => toKitRoute(route, options)),
    maxBodyBytes: options.maxBodyBytes,
    notFoundHint: "; see GET /openapi.json",
    internalMessage: "server: the request failed unexpectedly; it is safe to retry with the same idempotency key",
    onUnexpected: (error, request) =>
      logger.log("error", "request failed", { route: labelOf(request.route), method: request.method, error: (error as Error).message }),
    onResponse: ({ route, method, status, seconds }) => {
      const label = labelOf(route);
      metrics.httpRequests.inc({ route: label, method, status: String(status) });
      metrics.httpDuration.observe({ route: label }, seconds);
    },
  });
}
