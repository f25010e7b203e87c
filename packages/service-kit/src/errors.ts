/**
 * The one HTTP error every alipayhk server answers with: a status, a stable machine `code`, and one
 * line naming the field at fault (`amount: expected ...`). Rendered as
 * `{"error":{"code","message"},"message"}`; the top-level `message` is kept for clients that read
 * it there (older WordPress plugins).
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body of this refusal. */
  toJSON(): HttpErrorBody {
    return { error: { code: this.code, message: this.message }, message: this.message };
  }
}

/** The body of every JSON error response. */
export interface HttpErrorBody {
  error: { code: string; message: string };
  /** The same as `error.message`. */
  message: string;
}

/** 400: the request is malformed. */
export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
/** 401: the caller is not authenticated. */
export const unauthorized = (code: string, message: string, headers?: Record<string, string>): HttpError => new HttpError(401, code, message, headers);
/** 403: authenticated, but not allowed. */
export const forbidden = (code: string, message: string): HttpError => new HttpError(403, code, message);
/** 404: no such resource. */
export const notFound = (code: string, message: string): HttpError => new HttpError(404, code, message);
/** 409: the resource's state does not allow it. */
export const conflict = (code: string, message: string, headers?: Record<string, string>): HttpError => new HttpError(409, code, message, headers);
/** 413: the body is larger than the route accepts. */
export const tooLarge = (limit: number): HttpError => new HttpError(413, "body_too_large", `body: expected at most ${limit} bytes`, { connection: "close" });
/** 422: well-formed but refused. */
export const unprocessable = (code: string, message: string): HttpError => new HttpError(422, code, message);
/** 502: an upstream (the gateway, WooCommerce) failed. */
export const badGateway = (code: string, message: string): HttpError => new HttpError(502, code, message);
/** 503: not available now; retry. */
export const unavailable = (code: string, message: string, headers?: Record<string, string>): HttpError => new HttpError(503, code, message, headers);
