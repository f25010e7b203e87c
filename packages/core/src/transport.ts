import { AlipayNetworkError, AlipayTimeoutError } from "./errors";

/** One HTTP exchange with the gateway. */
export interface TransportRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The network seam: inject a scripted transport in tests, or another HTTP stack. It must throw
 * `AlipayTimeoutError` when no reply came in time and `AlipayNetworkError` when the exchange broke.
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** The default transport on the global `fetch`. */
export const fetchTransport: Transport = async (request) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const body = Buffer.from(await response.arrayBuffer());
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body };
  } catch (error) {
    if (controller.signal.aborted) {
      throw new AlipayTimeoutError(`no reply from the gateway within ${request.timeoutMs} ms`, { cause: error });
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new AlipayNetworkError(`gateway request failed: ${cause?.code ?? (error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
};
