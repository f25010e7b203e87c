import type { IncomingMessage, ServerResponse } from "node:http";
import FindMyWay from "find-my-way";
import { readBody } from "./body";
import { badRequest, HttpError } from "./errors";
import { errorReply, STREAMED, type Reply, type Streamed } from "./reply";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** What a route gets to answer one request. */
export interface RequestContext {
  req: IncomingMessage;
  /** For routes that write the response themselves (return {@link STREAMED}). */
  res: ServerResponse;
  url: URL;
  /** Decoded path parameters by name: `{ id: "a/b" }` for `/orders/:id` and `/orders/a%2Fb`. */
  params: Record<string, string>;
  /** The route's path template, e.g. `/v1/orders/:id` (for logs and metrics). */
  route: string;
  /** The raw body, read once and kept; 413 beyond the route's limit. */
  body(): Promise<Buffer>;
}

/** One route: a method, a find-my-way path template (`/v1/orders/:id`) and its handler. */
export interface Route {
  method: Method;
  path: string;
  /** Largest body this route accepts; default the server's `maxBodyBytes`. */
  maxBodyBytes?: number;
  handle(context: RequestContext): Promise<Reply | Streamed> | Reply | Streamed;
}

/** How one server's HTTP layer behaves. */
export interface HttpLayerOptions {
  routes: readonly Route[];
  /** Default largest body, in bytes. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Called for a failure that is not an {@link HttpError}; the client gets a 500 `internal`. */
  onUnexpected?(error: unknown, request: { method: string; path: string; route: string }): void;
  /** Called after every response (metrics, access logs). */
  onResponse?(info: { route: string; method: string; status: number; seconds: number }): void;
  /** Appended to a 404's message, e.g. `; see GET /openapi.json`. */
  notFoundHint?: string;
  /** The 500's message. */
  internalMessage?: string;
}

/** A `node:http` request listener that can wait for the requests it is handling. */
export interface HttpHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Resolves when every request being handled has been answered (for a clean shutdown). */
  drain(): Promise<void>;
}

function requestUrl(req: IncomingMessage): URL {
  const raw = req.url ?? "/";
  return new URL(raw.startsWith("/") ? `http://localhost${raw}` : `http://localhost/${raw}`);
}

/** Writes a reply; HEAD gets the headers only. */
export function sendReply(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { "content-type": reply.contentType, ...reply.headers });
  res.end(req.method === "HEAD" ? undefined : reply.body);
}

/**
 * The HTTP layer every alipayhk server runs on: routes matched by find-my-way, raw bodies with a
 * size limit, one error type ({@link HttpError}) answered as JSON, 404/405 for unknown paths and
 * methods, HEAD answered by GET routes, and a `drain()` for shutdown.
 */
export function createHttpHandler(options: HttpLayerOptions): HttpHandler {
  const router = FindMyWay<FindMyWay.HTTPVersion.V1>({ caseSensitive: true, ignoreTrailingSlash: false, maxParamLength: 1000 });
  const limit = options.maxBodyBytes ?? 64 * 1024;
  for (const route of options.routes) router.on(route.method, route.path, () => {}, route);
  const internalMessage = options.internalMessage ?? "server: the request failed unexpectedly; retry later";

  function find(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const found = router.find(method as Method, path);
    if (!found) return undefined;
    return { route: found.store as Route, params: { ...(found.params as Record<string, string>) } };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, url: URL, route: Route, params: Record<string, string>): Promise<Reply | Streamed> {
    let body: Promise<Buffer> | undefined;
    const context: RequestContext = {
      req,
      res,
      url,
      params,
      route: route.path,
      body: () => (body ??= readBody(req, route.maxBodyBytes ?? limit)),
    };
    return route.handle(context);
  }

  const inFlight = new Set<Promise<unknown>>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    let routeName = "unmatched";
    const finish = (reply: Reply | Streamed) => {
      if (reply !== STREAMED) sendReply(req, res, reply);
      options.onResponse?.({ route: routeName, method, status: res.statusCode, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    };
    let url: URL;
    try {
      url = requestUrl(req);
      decodeURIComponent(url.pathname);
    } catch {
      req.resume();
      finish(errorReply(badRequest("invalid_request", "path: malformed URL or percent-encoding")));
      return;
    }
    const found = find(method, url.pathname) ?? (method === "HEAD" ? find("GET", url.pathname) : undefined);
    if (!found) {
      req.resume();
      const allowed = METHODS.filter((other) => find(other, url.pathname));
      finish(
        errorReply(
          allowed.length > 0
            ? new HttpError(405, "method_not_allowed", `method: ${method} is not allowed on ${url.pathname}; expected ${allowed.join(" or ")}`, {
                allow: allowed.join(", "),
              })
            : new HttpError(404, "route_not_found", `path: no route ${method} ${url.pathname}${options.notFoundHint ?? ""}`),
        ),
      );
      return;
    }
    routeName = found.route.path;
    const handled = Promise.resolve()
      .then(() => answer(req, res, url, found.route, found.params))
      .then(finish, (error: unknown) => {
        if (res.headersSent) {
          res.end();
          if (!(error instanceof HttpError)) options.onUnexpected?.(error, { method, path: url.pathname, route: routeName });
          return;
        }
        if (error instanceof HttpError) return finish(errorReply(error));
        options.onUnexpected?.(error, { method, path: url.pathname, route: routeName });
        finish(errorReply(new HttpError(500, "internal", internalMessage)));
      });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  };
  return Object.assign(handler, {
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  });
}
