import type { HttpError } from "./errors";

/** What a route answers: the HTTP layer writes it. */
export interface Reply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string | string[]>;
}

/**
 * A route that wrote the response itself (a Server-Sent Events stream, a piped file) returns this
 * so the HTTP layer leaves the response alone.
 */
export const STREAMED = Symbol("alipayhk.streamed");
export type Streamed = typeof STREAMED;

const NO_STORE = { "cache-control": "no-store" };

/** A JSON reply. */
export function json(status: number, value: unknown, headers?: Record<string, string | string[]>): Reply {
  return { status, body: JSON.stringify(value), contentType: "application/json; charset=utf-8", headers: { ...NO_STORE, ...headers } };
}

/** An HTML page. */
export function html(status: number, body: string, headers?: Record<string, string | string[]>): Reply {
  return { status, body, contentType: "text/html; charset=utf-8", headers: { ...NO_STORE, ...headers } };
}

/** Plain text. */
export function text(status: number, body: string, headers?: Record<string, string | string[]>): Reply {
  return { status, body, contentType: "text/plain; charset=utf-8", headers: { ...NO_STORE, ...headers } };
}

/** Bytes of any type (an image, an XML reply, a file). */
export function bytes(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string | string[]>): Reply {
  return { status, body, contentType, headers };
}

/** 303 See Other: after a form post, the browser GETs `location`. */
export function redirect(location: string, headers?: Record<string, string | string[]>): Reply {
  return { status: 303, body: "", contentType: "text/plain; charset=utf-8", headers: { location, ...headers } };
}

/** The JSON reply of an {@link HttpError}. */
export function errorReply(error: HttpError): Reply {
  return json(error.status, error.toJSON(), error.headers);
}
