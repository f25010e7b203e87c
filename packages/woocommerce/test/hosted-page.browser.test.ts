import { existsSync } from "node:fs";
import jsQR from "jsqr";
import { chromium, type Browser } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, tradesOf, type Harness } from "./harness.js";

/**
 * The hosted page in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded): the QR on screen decodes to the trade's qr_code,
 * the sandbox buyer pays, and the page moves to WooCommerce's thank-you page by itself.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is required for this test and was not found at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
  }
  h = await startHarness();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe("hosted payment page in Chromium", () => {
  it("shows a QR that decodes to the trade's qr_code, and moves to the thank-you page once the buyer pays", async () => {
    const order = h.order({ total: "123.40" });
    // The thank-you page is on the shop (the fake, with its throwaway certificate).
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 480, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(h.payUrl(order));
      await expect.poll(() => page.locator("#status").textContent()).toContain("Waiting for payment");
      expect(await page.locator(".amount").textContent()).toContain("HKD 123.40");

      const [trade] = tradesOf(h, order);
      const png = PNG.sync.read(await page.locator("#qr").screenshot());
      const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
      expect(decoded?.data).toBe(trade!.qrCode);
      expect(decoded?.data).toBe(h.sandbox.trades().find((t) => t.out_trade_no === trade!.partnerTransId)!.qr_code);

      h.sandbox.payTrade(trade!.partnerTransId);
      await page.waitForURL((url) => url.pathname === `/checkout/order-received/${order.id}/`, { timeout: 20_000 });
      expect(page.url()).toBe(h.woo.thankYouUrl(h.woo.shop.orders.get(order.id)!));
      expect(await page.locator("h1").textContent()).toBe("Order received");
      expect(await page.locator("#order-status").textContent()).toBe("processing");
    } finally {
      await context.close();
    }
  });

  it("an expired QR says so and offers a new one", async () => {
    const order = h.order();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(h.payUrl(order));
      const [first] = tradesOf(h, order);
      h.clock.advance(16 * 60_000);
      try {
        await expect.poll(() => page.locator("#status").textContent(), { timeout: 15_000 }).toBe("This QR code has expired.");
        await page.locator("#refresh").click();
        await page.waitForLoadState();
        await expect.poll(() => tradesOf(h, order).length).toBe(2);
      } finally {
        h.clock.advance(-16 * 60_000);
      }
      expect(h.bridge.store.getTrade(first!.partnerTransId)?.status).toBe("closed");
      const png = PNG.sync.read(await page.locator("#qr").screenshot());
      const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
      expect(decoded?.data).toBe(tradesOf(h, order)[1]!.qrCode);
    } finally {
      await context.close();
    }
  });
});
