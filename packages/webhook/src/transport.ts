import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { AlipayNetworkError, AlipayTimeoutError, type Transport } from "@alipayhk/core";

export interface HttpPostResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Keep-alive HTTP for the service's two outbound streams (the gateway and the webhook endpoints).
 * On this workload node:http costs a fraction of `fetch` per request (see the benchmark notes in
 * the README), and the service makes one or two outbound requests for each inbound one.
 */
export class KeepAliveClient {
  private readonly agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 }),
  };

  /**
   * One request. Rejects with `{ timedOut: true }` on the deadline. A keep-alive socket the server
   * had just closed (reset before any reply) is retried once on a new socket, as Node's docs advise:
   * the server was closing an idle connection, not handling the request. Even otherwise nothing
   * happens twice: every gateway call is idempotent on its id, and deliveries on the event id.
   */
  request(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string | Buffer; timeoutMs: number; signal?: AbortSignal; lookup?: LookupFunction },
  ): Promise<HttpPostResult> {
    const attempt = (retried: boolean): Promise<HttpPostResult> =>
      new Promise((resolve, reject) => {
        const target = new URL(url);
        const lib = target.protocol === "https:" ? https : http;
        const agent = this.agents[target.protocol as "http:" | "https:"];
        const headers: Record<string, string | number> = { ...init.headers };
        if (init.body !== undefined) headers["content-length"] = Buffer.byteLength(init.body);
        let settled = false;
        let timedOut = false;
        const request = lib.request(target, { method: init.method, headers, agent, ...(init.lookup ? { lookup: init.lookup } : {}) }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            init.signal?.removeEventListener("abort", onAbort);
            const flat: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
            resolve({ status: response.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
          });
          response.on("error", fail);
        });
        const timer = setTimeout(() => {
          timedOut = true;
          request.destroy(new Error("timeout"));
        }, init.timeoutMs);
        const onAbort = () => request.destroy(new Error("aborted"));
        init.signal?.addEventListener("abort", onAbort, { once: true });
        function fail(error: NodeJS.ErrnoException) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          init.signal?.removeEventListener("abort", onAbort);
          if (!retried && !timedOut && request.reusedSocket && error.code === "ECONNRESET") {
            attempt(true).then(resolve, reject);
            return;
          }
          reject(Object.assign(error, { timedOut }));
        }
        request.on("error", fail);
        request.end(init.body);
      });
    return attempt(false);
  }

  close(): void {
    this.agents["http:"].destroy();
    this.agents["https:"].destroy();
  }
}

/** core's `Transport` on {@link KeepAliveClient}: the same contract as `fetchTransport` (timeout and network errors). */
export function keepAliveTransport(client: KeepAliveClient): Transport {
  return async (request) => {
    try {
      return await client.request(request.url, { method: request.method, headers: request.headers, body: request.body, timeoutMs: request.timeoutMs });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { timedOut?: boolean };
      if (e.timedOut) throw new AlipayTimeoutError(`no reply from the gateway within ${request.timeoutMs} ms`, { cause: error });
      throw new AlipayNetworkError(`gateway request failed: ${e.code ?? e.message}`, { cause: error });
    }
  };
}
