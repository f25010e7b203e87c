import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { medusaIntegrationTestRunner } from "@medusajs/test-utils";
import type { MedusaContainer } from "@medusajs/framework/types";
import { startSandbox, type RunningSandbox } from "@alipayhk/sandbox";
import jsQR from "jsqr";
import { chromium, type Browser, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { seedAlipayHkStore } from "../../src/scripts/seed-store";
import { eventually, freePort } from "./helpers";
import { serveStorefront, type ServedStorefront } from "./storefront";

jest.setTimeout(240_000);

/**
 * The example storefront (apps/medusa-storefront, built with Vite, using @alipayhk/medusa-react) in
 * headless Chromium, against this store booted on a fresh database and the sandbox gateway over
 * HTTP: a buyer adds to cart, scans the QR (decoded from the page's pixels) and pays it on the
 * sandbox's wallet page; a cashier enters a declined code, then a good one; a QR expires and a
 * fresh one is paid. Nothing is faked between the browser, Medusa and the gateway.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const SCREENSHOT = resolve(__dirname, "../../../../docs/medusa-storefront-checkout.png");

let sandbox: RunningSandbox;
let storefront: ServedStorefront;
let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the storefront browser test and was not found at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`,
    );
  }
  sandbox = await startSandbox({ timeScale: 0.01 });
  storefront = await serveStorefront();
  const port = await freePort();
  process.env.PORT = String(port);
  process.env.STORE_CORS = storefront.url;
  process.env.ALIPAYHK_PARTNER = sandbox.partner;
  process.env.ALIPAYHK_SIGN_TYPE = "MD5";
  process.env.ALIPAYHK_MD5_KEY = sandbox.md5Key;
  process.env.ALIPAYHK_GATEWAY = sandbox.gatewayUrl;
  process.env.ALIPAYHK_NOTIFY_URL = `http://127.0.0.1:${port}/hooks/alipayhk/alipayhk-qr_alipayhk`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await storefront?.close();
  await sandbox?.close();
});

/** The QR's payload, read from the rendered image the way a phone camera would. */
async function scanQr(page: Page): Promise<string> {
  const png = PNG.sync.read(await page.locator('[data-alipayhk="qr-image"]').screenshot());
  const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!decoded?.data) throw new Error("the QR on the checkout page could not be decoded");
  return decoded.data;
}

medusaIntegrationTestRunner({
  dbName: `alipayhk-medusa-storefront-${process.pid}-${Date.now()}`,
  testSuite: ({ api, getContainer }) => {
    let page: Page;

    beforeAll(async () => {
      const seeded = await seedAlipayHkStore(getContainer() as MedusaContainer);
      storefront.config.backendUrl = String(api.defaults.baseURL);
      storefront.config.publishableKey = seeded.publishableKey;
    });
    beforeEach(async () => {
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
      page = await context.newPage();
      page.setDefaultTimeout(60_000);
    });
    afterEach(async () => {
      await page.context().close();
    });

    async function orderOfCart(cartId: string): Promise<string | undefined> {
      const query = (getContainer() as MedusaContainer).resolve("query");
      const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } });
      return (data[0] as { order_id?: string } | undefined)?.order_id;
    }

    /** Add to cart, delivery details, and the payment step; returns the cart id. */
    async function toPayment(): Promise<string> {
      await page.goto(storefront.url);
      await page.getByTestId("add-milk-tea-set").click();
      await page.getByTestId("checkout").click();
      await page.getByLabel("Email").fill("shopper@alipayhk.test");
      await page.getByLabel("First name").fill("Tai Man");
      await page.getByLabel("Last name").fill("Chan");
      await page.getByLabel("Address").fill("1 Nathan Road");
      await page.getByTestId("to-payment").click();
      await page.getByText("Order summary").waitFor();
      const cartId = await page.evaluate(() => localStorage.getItem("alipayhk-demo-cart"));
      expect(cartId).toMatch(/^cart_/);
      return cartId!;
    }

    /** The current Alipay HK QR session's id, from the trade the sandbox holds for the scanned code. */
    function tradeOfQr(qr: string) {
      const trade = sandbox.trades().find((t) => t.qr_code === qr);
      expect(trade).toBeDefined();
      return trade!;
    }

    it("QR: add to cart, scan the code, pay on the wallet page, see the order confirmation", async () => {
      const cartId = await toPayment();
      await page.getByTestId("method-pp_alipayhk-qr_alipayhk").check();
      await page.locator('[data-alipayhk="qr-image"]').waitFor();
      await expect(page.locator('[data-alipayhk="countdown"]').textContent()).resolves.toMatch(/^This code expires in 1[45]:\d\d$/);
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      const qr = await scanQr(page);
      const trade = tradeOfQr(qr);
      expect(trade).toMatchObject({ status: "WAIT_BUYER_PAY", total_fee: "100.00" });

      // The buyer's phone: the sandbox wallet page, the scanned code, Pay.
      const wallet = await page.context().newPage();
      await wallet.goto(`${sandbox.walletUrl}?qr=${encodeURIComponent(qr)}`);
      await expect(wallet.locator(".found").textContent()).resolves.toContain(trade.out_trade_no);
      await wallet.locator(`[id="${trade.out_trade_no}"] button[value="ALIPAYHK"]`).click();
      await expect(wallet.locator(".message").textContent()).resolves.toContain(`Paid ${trade.out_trade_no} with ALIPAYHK`);
      await wallet.close();

      const confirmation = page.getByTestId("order-confirmation");
      await confirmation.waitFor();
      await expect(confirmation.textContent()).resolves.toMatch(/Order #\d+ is placed\.HK\$100\.00 paid with Alipay HK/);
      const orderId = await eventually("the order of the cart", () => orderOfCart(cartId));
      const { data } = await api.get(`/store/alipayhk/payment-sessions/${trade.out_trade_no}`, {
        headers: { "x-publishable-api-key": storefront.config.publishableKey },
      });
      expect(data.payment_session).toMatchObject({ trade_status: "paid", payment_inst: "ALIPAYHK" });
      expect(orderId).toMatch(/^order_/);
    });

    it("barcode at the till: a declined code says why in words, then a good code places the order", async () => {
      const cartId = await toPayment();
      await page.getByTestId("method-pp_alipayhk-barcode_alipayhk").check();
      await page.getByLabel("Buyer's payment code").fill("2800 0000 0000 0000 03");
      await page.locator('[data-alipayhk="charge"]').click();
      const failure = page.locator('[data-alipayhk="failure"]');
      await failure.waitFor();
      await expect(failure.textContent()).resolves.toBe(
        "The wallet balance is not enough for this payment. Top up the wallet or pay another way. (BUYER_BALANCE_NOT_ENOUGH)",
      );
      expect(await orderOfCart(cartId)).toBeUndefined();
      const declined = sandbox.trades().filter((t) => t.product === "barcode" && t.failure === "BUYER_BALANCE_NOT_ENOUGH");
      expect(declined).toHaveLength(1);
      expect(declined[0]!.status).toBe("TRADE_CLOSED");

      await page.getByLabel("Buyer's payment code").fill("280000000000000002");
      await page.locator('[data-alipayhk="charge"]').click();
      const confirmation = page.getByTestId("order-confirmation");
      await confirmation.waitFor();
      await expect(confirmation.textContent()).resolves.toMatch(/Order #\d+ is placed\.HK\$100\.00 paid with Alipay HK/);
      await eventually("the order of the cart", () => orderOfCart(cartId));
      const paid = sandbox.trades().filter((t) => t.product === "barcode" && t.status === "TRADE_SUCCESS");
      expect(paid.map((t) => [t.total_fee, t.payment_inst])).toEqual([["100.00", "ALIPAYCN"]]);
    });

    it("QR expiry: the expired code is replaced by a fresh one, which is paid", async () => {
      const cartId = await toPayment();
      await page.getByTestId("method-pp_alipayhk-qr_alipayhk").check();
      await page.locator('[data-alipayhk="qr-image"]').waitFor();
      const first = tradeOfQr(await scanQr(page));

      // The QR's 15 minutes pass at the gateway: the page notices at its next poll.
      sandbox.advanceClock("20m");
      await page.locator('[data-alipayhk="expired"]').waitFor();
      await expect(page.locator('[data-alipayhk="expired"]').textContent()).resolves.toBe("This QR code has expired. Nothing was charged.");
      expect(await page.locator('[data-alipayhk="qr-image"]').count()).toBe(0);
      expect(tradeOfQr(first.qr_code!).status).toBe("TRADE_CLOSED");

      await page.locator('[data-alipayhk="renew"]').click();
      await page.locator('[data-alipayhk="qr-image"]').waitFor();
      const second = tradeOfQr(await scanQr(page));
      expect(second.out_trade_no).not.toBe(first.out_trade_no);
      expect(second.status).toBe("WAIT_BUYER_PAY");

      sandbox.payTrade(second.out_trade_no);
      await page.getByTestId("order-confirmation").waitFor();
      await eventually("the order of the cart", () => orderOfCart(cartId));
      expect(tradeOfQr(first.qr_code!).status).toBe("TRADE_CLOSED");
      expect(tradeOfQr(second.qr_code!).status).toBe("TRADE_SUCCESS");
    });
  },
});
