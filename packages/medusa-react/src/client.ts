/** The providers `@alipayhk/medusa` registers (with the provider `id: "alipayhk"` its README uses). */
export const ALIPAYHK_QR_PROVIDER_ID = "pp_alipayhk-qr_alipayhk";
export const ALIPAYHK_BARCODE_PROVIDER_ID = "pp_alipayhk-barcode_alipayhk";

/** Whether a payment provider id is one of the Alipay HK providers (any registration `id`). */
export function isAlipayHkProvider(providerId: string | null | undefined): boolean {
  return typeof providerId === "string" && /^pp_alipayhk-(qr|barcode)_/.test(providerId);
}

/** Whether a payment provider id is the Alipay HK QR provider (any registration `id`). */
export function isAlipayHkQr(providerId: string | null | undefined): boolean {
  return typeof providerId === "string" && providerId.startsWith("pp_alipayhk-qr_");
}

/** The part of a Medusa payment session these components read. */
export interface AlipayHkSessionLike {
  id: string;
  provider_id?: string;
  status?: string;
  data?: Record<string, unknown> | null;
}

/** The Alipay HK session of a cart (or of a payment collection), if it has one. */
export function findAlipayHkSession(
  cartOrCollection:
    | { payment_collection?: { payment_sessions?: AlipayHkSessionLike[] | null } | null; payment_sessions?: AlipayHkSessionLike[] | null }
    | null
    | undefined,
): AlipayHkSessionLike | undefined {
  const sessions = cartOrCollection?.payment_sessions ?? cartOrCollection?.payment_collection?.payment_sessions ?? [];
  return sessions.find((s) => isAlipayHkProvider(s.provider_id) && s.status !== "canceled") ?? sessions.find((s) => isAlipayHkProvider(s.provider_id));
}

/** What `GET /store/alipayhk/payment-sessions/:id` answers. */
export interface AlipayHkSessionStatus {
  id: string;
  /** Medusa's session status: `pending`, `authorized`, `captured`, `error`, `canceled`. */
  status: string;
  method: "qr" | "barcode" | null;
  /** The trade as Alipay reports it: `pending`, `paid`, `closed`, `failed`, `unresolved`, `unknown`. */
  trade_status: "pending" | "paid" | "closed" | "failed" | "unresolved" | "unknown";
  expires_at: string | null;
  qr_code: string | null;
  /** Only when asked for (`qrImage: true`) and while the QR can be paid: an SVG data URL. */
  qr_image?: string | null;
  /** Why a barcode charge was refused (`BUYER_BALANCE_NOT_ENOUGH`, ...). */
  failure_code: string | null;
  /** The wallet that paid (`ALIPAYHK`, `ALIPAYCN`). */
  payment_inst: string | null;
}

/** Reads the plugin's store route. Make one with {@link createAlipayHkStoreClient}. */
export interface AlipayHkStoreClient {
  getPaymentSession(id: string, options?: { qrImage?: boolean; signal?: AbortSignal }): Promise<AlipayHkSessionStatus>;
}

export interface AlipayHkStoreClientOptions {
  /** The Medusa backend, e.g. `http://localhost:9000` (the starter's `NEXT_PUBLIC_MEDUSA_BACKEND_URL`). */
  baseUrl: string;
  /** The publishable API key (`NEXT_PUBLIC_MEDUSA_PUBLISHABLE_KEY`). */
  publishableKey: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** An error from the store route, with the HTTP status (0: the backend could not be reached). */
export class AlipayHkStoreError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "AlipayHkStoreError";
  }
}

/**
 * A client for `GET /store/alipayhk/payment-sessions/:id` over plain `fetch`, with the publishable
 * key header every store route needs. It works in the browser (the backend's `STORE_CORS` must list
 * the storefront's origin) and on a server.
 */
export function createAlipayHkStoreClient(options: AlipayHkStoreClientOptions): AlipayHkStoreClient {
  if (!options?.baseUrl) throw new TypeError("createAlipayHkStoreClient: baseUrl is required (the Medusa backend URL)");
  if (!options.publishableKey) throw new TypeError("createAlipayHkStoreClient: publishableKey is required (a publishable API key, pk_...)");
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  return {
    async getPaymentSession(id, { qrImage, signal } = {}) {
      const url = `${base}/store/alipayhk/payment-sessions/${encodeURIComponent(id)}${qrImage ? "?qr_image=true" : ""}`;
      let response: Response;
      try {
        response = await doFetch(url, { headers: { "x-publishable-api-key": options.publishableKey, accept: "application/json" }, signal });
      } catch (error) {
        if ((error as Error).name === "AbortError") throw error;
        throw new AlipayHkStoreError(`could not reach the shop (${(error as Error).message})`, 0);
      }
      const body = (await response.json().catch(() => undefined)) as { payment_session?: AlipayHkSessionStatus; message?: string } | undefined;
      if (!response.ok || !body?.payment_session) {
        throw new AlipayHkStoreError(body?.message ?? `the shop answered HTTP ${response.status}`, response.status);
      }
      return body.payment_session;
    },
  };
}
