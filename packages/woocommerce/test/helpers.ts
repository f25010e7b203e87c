import { Agent } from "node:https";
import { WooClient, type WooClientOptions } from "../src/woo/client.js";
import type { FakeWooCommerce } from "./fake-woocommerce/index.js";

/** A WooClient for the fake, trusting only the fake's throwaway CA over HTTPS. */
export function clientFor(fake: FakeWooCommerce, overrides: Partial<WooClientOptions> = {}): WooClient {
  return new WooClient({
    url: fake.url,
    ...fake.key,
    ...(fake.caPem ? { httpsAgent: new Agent({ ca: fake.caPem, keepAlive: false }) } : {}),
    timeoutMs: 10_000,
    ...overrides,
  });
}

/** Resolves once `check()` is truthy; polls the event loop (no wall-clock assertions). */
export async function eventually<T>(check: () => T | Promise<T>, what: string, tries = 400): Promise<NonNullable<T>> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}
