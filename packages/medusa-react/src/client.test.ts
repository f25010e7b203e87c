import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayHkStoreError, createAlipayHkStoreClient } from "./client";

// A real HTTP server standing in for the Medusa store route (the route itself is tested against a
// booted Medusa in apps/medusa-store).
let server: Server;
let baseUrl: string;
const seen: IncomingMessage[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    res.setHeader("content-type", "application/json");
    if (req.headers["x-publishable-api-key"] !== "pk_test") {
      res.statusCode = 400;
      res.end(JSON.stringify({ type: "not_allowed", message: "Publishable API key required in the request header" }));
      return;
    }
    const url = new URL(req.url!, "http://x");
    if (url.pathname !== "/store/alipayhk/payment-sessions/payses_1") {
      res.statusCode = 404;
      res.end(JSON.stringify({ type: "not_found", message: "Alipay HK payment session payses_2 not found" }));
      return;
    }
    res.end(
      JSON.stringify({
        payment_session: { id: "payses_1", trade_status: "pending", qr_image: url.searchParams.get("qr_image") ? "data:image/svg+xml;base64,AA" : undefined },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("createAlipayHkStoreClient", () => {
  it("sends the publishable key and asks for the image only when told", async () => {
    const client = createAlipayHkStoreClient({ baseUrl, publishableKey: "pk_test" });
    expect((await client.getPaymentSession("payses_1", { qrImage: true })).qr_image).toBe("data:image/svg+xml;base64,AA");
    expect((await client.getPaymentSession("payses_1")).qr_image).toBeUndefined();
    expect(seen.at(-1)!.url).toBe("/store/alipayhk/payment-sessions/payses_1");
  });

  it("turns an error answer into an error carrying the store's message and status", async () => {
    const client = createAlipayHkStoreClient({ baseUrl, publishableKey: "pk_test" });
    const error = await client.getPaymentSession("payses_2").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayHkStoreError);
    expect(error).toMatchObject({ status: 404, message: "Alipay HK payment session payses_2 not found" });
    const wrongKey = createAlipayHkStoreClient({ baseUrl, publishableKey: "pk_other" });
    await expect(wrongKey.getPaymentSession("payses_1")).rejects.toMatchObject({ status: 400 });
  });

  it("names what is missing", () => {
    expect(() => createAlipayHkStoreClient({ baseUrl: "", publishableKey: "pk" })).toThrow(/baseUrl is required/);
    expect(() => createAlipayHkStoreClient({ baseUrl, publishableKey: "" })).toThrow(/publishableKey is required/);
  });
});
