/**
 * One error type for everything that goes wrong talking to WooCommerce. The raw AxiosError is never
 * kept: its `config.auth` holds the consumer key and secret (HTTPS), and its URL holds them with
 * query-string auth or OAuth. Only `status`, WooCommerce's `code` and `message` survive.
 */
export class WooError extends Error {
  override readonly name = "WooError";
  /** HTTP status; 0 when no response arrived (network error, timeout). */
  readonly status: number;
  /** WooCommerce's error code (`woocommerce_rest_shop_order_invalid_id`), or a bridge code (`network_error`, `unexpected_shape`). */
  readonly code: string;
  /** `GET orders/12`: what was asked, without the query string (which may carry keys). */
  readonly request: string;

  constructor(init: { status: number; code: string; message: string; request: string }) {
    super(`[${init.request}] ${init.status || "no response"} ${init.code}: ${init.message}`);
    this.status = init.status;
    this.code = init.code;
    this.request = init.request;
  }

  /** WooCommerce's own message, without the request prefix. */
  get detail(): string {
    return this.message.slice(this.message.indexOf(": ") + 2);
  }

  toJSON() {
    return { name: this.name, status: this.status, code: this.code, message: this.message, request: this.request };
  }
}

const SECRET_PATTERNS: RegExp[] = [/\bck_[A-Za-z0-9]+/g, /\bcs_[A-Za-z0-9]+/g, /(consumer_key|consumer_secret|oauth_signature|oauth_consumer_key)=[^&\s"]*/g];

/** Removes anything that looks like a WooCommerce key from a message we did not write ourselves. */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const secret of extra) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (m) => (m.includes("=") ? `${m.split("=")[0]}=[redacted]` : "[redacted]"));
  return out;
}

interface AxiosLikeError {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status?: number; data?: unknown };
}

/**
 * Maps whatever the WooCommerce client threw into a {@link WooError}. Handles WooCommerce's error
 * body `{code, message, data: {status}}`, its odd refund variant where `data` is the bare number
 * `500`, non-JSON bodies (a proxy's HTML page), and network failures.
 */
export function toWooError(err: unknown, request: string, secrets: readonly string[] = []): WooError {
  if (err instanceof WooError) return err;
  const e = (err ?? {}) as AxiosLikeError;
  const response = e.response;
  if (response && typeof response.status === "number") {
    const body = response.data;
    if (body && typeof body === "object" && typeof (body as { code?: unknown }).code === "string") {
      const b = body as { code: string; message?: unknown; data?: unknown };
      const dataStatus =
        typeof b.data === "number" ? b.data : typeof (b.data as { status?: unknown })?.status === "number" ? (b.data as { status: number }).status : undefined;
      return new WooError({
        status: dataStatus ?? response.status,
        code: b.code,
        message: redactSecrets(typeof b.message === "string" ? b.message : "(no message)", secrets),
        request,
      });
    }
    const text = typeof body === "string" ? body : "";
    return new WooError({
      status: response.status,
      code: "unexpected_response",
      message: `not a WooCommerce error body${text ? `: ${JSON.stringify(redactSecrets(text.slice(0, 120), secrets))}` : ""}`,
      request,
    });
  }
  const code = typeof e.code === "string" && e.code ? e.code : "network_error";
  const message = e.message ?? (err instanceof Error ? err.message : String(err));
  return new WooError({ status: 0, code: code === "ECONNABORTED" ? "timeout" : code, message: redactSecrets(message, secrets), request });
}
