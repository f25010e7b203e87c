import { createReadStream, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";

/** The built example storefront (`apps/medusa-storefront`, `vite build`). */
export const STOREFRONT_DIST = resolve(__dirname, "../../../medusa-storefront/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".json": "application/json",
};

export interface ServedStorefront {
  url: string;
  /** What `/config.json` answers: the backend and the publishable key, set once the store is seeded. */
  config: { backendUrl?: string; publishableKey?: string };
  close(): Promise<void>;
}

/** A static server for the built storefront on a random port, with `/config.json` from memory. */
export async function serveStorefront(dir = STOREFRONT_DIST): Promise<ServedStorefront> {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`the storefront is not built: ${dir}/index.html is missing (pnpm --filter @alipayhk/medusa-storefront build)`);
  }
  const config: ServedStorefront["config"] = {};
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(config));
      return;
    }
    const file = normalize(join(dir, path));
    const target = file.startsWith(dir) && existsSync(file) && extname(file) ? file : join(dir, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(target)] ?? "application/octet-stream" });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    config,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
