import { afterEach, describe, expect, it } from "vitest";
import { conflict, HttpError } from "./errors";
import { listen, type Listening } from "./listen";
import { json, STREAMED } from "./reply";
import { createHttpHandler, type Route } from "./router";

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(routes: Route[], options: { maxBodyBytes?: number; unexpected?: unknown[] } = {}): Promise<string> {
  const handler = createHttpHandler({
    routes,
    maxBodyBytes: options.maxBodyBytes,
    notFoundHint: "; see GET /openapi.json",
    onUnexpected: (error) => options.unexpected?.push(error),
  });
  server = await listen(handler, { port: 0 });
  return server.url;
}

describe("the HTTP layer", () => {
  it("routes by method and path and decodes named parameters", async () => {
    const url = await serve([{ method: "GET", path: "/orders/:id", handle: ({ params, url }) => json(200, { id: params.id, q: url.searchParams.get("q") }) }]);
    const res = await fetch(`${url}/orders/a%2Fb?q=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "a/b", q: "1" });
  });

  it("answers 404 naming the path, and 405 with Allow for a known path and another method", async () => {
    const url = await serve([{ method: "POST", path: "/orders", handle: () => json(201, {}) }]);
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "route_not_found", message: "path: no route GET /nope; see GET /openapi.json" } });
    const wrong = await fetch(`${url}/orders`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  it("answers an HttpError as its status, headers and one JSON error body", async () => {
    const url = await serve([
      { method: "POST", path: "/x", handle: () => Promise.reject(conflict("busy", "order: still being processed", { "retry-after": "1" })) },
    ]);
    const res = await fetch(`${url}/x`, { method: "POST" });
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual({ error: { code: "busy", message: "order: still being processed" }, message: "order: still being processed" });
  });

  it("hides an unexpected failure behind a 500 and reports it", async () => {
    const unexpected: unknown[] = [];
    const url = await serve(
      [
        {
          method: "GET",
          path: "/boom",
          handle: () => {
            throw new Error("secret detail");
          },
        },
      ],
      { unexpected },
    );
    const res = await fetch(`${url}/boom`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain("secret detail");
    expect(unexpected).toHaveLength(1);
  });

  it("gives the raw body bytes once, and refuses a body over the limit with 413", async () => {
    const url = await serve(
      [
        {
          method: "POST",
          path: "/echo",
          handle: async ({ body }) => {
            const first = await body();
            const again = await body();
            return json(200, { same: first === again, hex: first.toString("hex") });
          },
        },
      ],
      { maxBodyBytes: 8 },
    );
    const ok = await fetch(`${url}/echo`, { method: "POST", body: new Uint8Array([0xff, 0x00, 0x41]) });
    expect(await ok.json()).toEqual({ same: true, hex: "ff0041" });
    const big = await fetch(`${url}/echo`, { method: "POST", body: "123456789" });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
  });

  it("refuses a malformed percent-encoding with 400", async () => {
    const url = await serve([{ method: "GET", path: "/orders/:id", handle: () => json(200, {}) }]);
    const res = await fetch(`${url}/orders/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^path: /);
  });

  it("answers HEAD with a GET route's headers and no body", async () => {
    const url = await serve([{ method: "GET", path: "/health", handle: () => json(200, { ok: true }) }]);
    const res = await fetch(`${url}/health`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.text()).toBe("");
  });

  it("leaves a streamed response to its route, and close() ends it", async () => {
    const url = await serve([
      {
        method: "GET",
        path: "/events",
        handle: ({ res }) => {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write("data: hello\n\n");
          return STREAMED;
        },
      },
    ]);
    const res = await fetch(`${url}/events`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: hello\n\n");
    await server!.close();
    server = undefined;
    const next = await reader.read().catch(() => ({ done: true }));
    expect(next.done).toBe(true);
  });

  it("keeps an idle connection open for keepAliveTimeoutMs when asked", async () => {
    server = await listen(createHttpHandler({ routes: [] }), { port: 0, keepAliveTimeoutMs: 65_000 });
    expect(server.server.keepAliveTimeout).toBe(65_000);
  });

  it("close() waits for a request being handled", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const url = await serve([
      {
        method: "GET",
        path: "/slow",
        handle: async () => {
          await gate;
          return json(200, { done: true });
        },
      },
    ]);
    const pending = fetch(`${url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = server!.close();
    server = undefined;
    release();
    expect(await (await pending).json()).toEqual({ done: true });
    await closed;
  });

  it("keeps HttpError one type with its status", () => {
    expect(new HttpError(422, "x", "amount: expected more")).toBeInstanceOf(Error);
  });
});
