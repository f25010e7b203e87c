import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpHandler } from "./router";

/** A server that is listening. */
export interface Listening {
  server: Server;
  /** `http://host:port`, with the port actually bound (for port 0). */
  url: string;
  host: string;
  port: number;
  /**
   * Stops accepting connections, waits for the requests being handled, then closes every
   * connection still open (idle keep-alives, event streams) after at most `graceMs`.
   */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (port 0 = any free port); rejects with the listen error (`EADDRINUSE`).
 * `keepAliveTimeoutMs`: how long an idle keep-alive connection stays open (Node's default 5 s; a
 * service behind a load balancer wants it above the balancer's idle timeout).
 */
export async function listen(
  handler: HttpHandler,
  options: { port: number; host?: string; graceMs?: number; keepAliveTimeoutMs?: number },
): Promise<Listening> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(options.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeoutMs }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await handler.drain();
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 1000);
        grace.unref();
        await closed;
        clearTimeout(grace);
      })();
      return closing;
    },
  };
}
