/**
 * What the shop's pages share on top of the service kit's HTTP layer: a notice carried to the
 * next page, and the Server-Sent Events stream of the live pages.
 */
import type { RequestContext } from "@alipayhk/service-kit";

/** `location` with a one-line notice for the next page to show. */
export function withMessage(location: string, text: string, kind: "info" | "error" = "info"): string {
  const query = new URLSearchParams(kind === "error" ? { error: text } : { message: text });
  return `${location}${location.includes("?") ? "&" : "?"}${query}`;
}

/**
 * Opens a Server-Sent Events stream on the request's response (the route then returns the kit's
 * `STREAMED`); `send` writes one event, and the stream ends with the connection.
 */
export function eventStream({ req, res }: RequestContext, onClose: () => void): (event: string, data: unknown) => void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  res.write("retry: 1000\n\n");
  // A comment now and then keeps proxies from closing an idle stream.
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  heartbeat.unref();
  req.on("close", () => {
    clearInterval(heartbeat);
    onClose();
  });
  return (event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}
