import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import jsQR from "jsqr";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startMainJob, type MainJob } from "./main-job";

/**
 * The README's main job, end to end, as a newcomer would meet it: `npm start` from the
 * repository root (install, build, then the sandbox + adapter + shop), and a real headless
 * Chromium (Debian's, driven by playwright-core; nothing is downloaded) clicking through the
 * shop, the sandbox wallet, the admin page and the reconciliation page.
 *
 * `UPDATE_SCREENSHOT=1` also writes the checkout screenshot to docs/demo-checkout.png (the
 * README shows it); it always goes to apps/demo-shop/test-results/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const RESULTS = fileURLToPath(new URL("../test-results", import.meta.url));
/** `npm start` installs and builds first; on a busy machine without a turbo cache that takes minutes. */
const START_TIMEOUT_MS = 15 * 60_000;
/** How long the page may take to learn of something that happened elsewhere (a wait, not an assertion on speed). */
const LIVE = { timeout: 30_000 };

let job: MainJob;
let browser: Browser;
let context: BrowserContext;
let dataDir: string;

/** Without Chromium every test fails with this (a failure, not a skip: the suite must not pass without it). */
const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : new Error(
      `Chromium is required for the demo's e2e test and was not found at ${CHROMIUM} (Debian: apt-get install -y chromium; "npm test" installs it when run as root; or set CHROMIUM_PATH)`,
    );

function needChromium(): void {
  if (chromiumMissing) throw chromiumMissing;
}

beforeAll(async () => {
  if (chromiumMissing) return;
  dataDir = mkdtempSync(join(tmpdir(), "alipayhk-demo-shop-"));
  job = await startMainJob(["--port", "0", "--sandbox-port", "0", "--adapter-port", "0", "--data-dir", dataDir], START_TIMEOUT_MS);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
}, START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await job?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

async function sandboxTrade(orderId: string): Promise<{ qr_code: string; status: string; total_fee: string }> {
  const response = await fetch(`${job.sandboxUrl}/sandbox/trades/${encodeURIComponent(orderId)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { qr_code: string; status: string; total_fee: string };
}

async function decodeQr(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator("#qr").screenshot());
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data;
}

async function addToCart(page: Page, sku: string): Promise<void> {
  await page.getByRole("link", { name: "Shop", exact: true }).click();
  await page.locator(`.product[data-sku="${sku}"] button`).click();
  await page.waitForURL((url) => url.pathname === "/cart");
}

/** The admin page's row of an order, after a reload (the page also reloads itself on events). */
async function adminRow(page: Page, orderId: string) {
  await page.goto(`${job.shopUrl}/admin`);
  return page.locator(`tr.order-row[data-order="${orderId}"]`);
}

describe("the demo shop (npm start) in Chromium", () => {
  it("QR checkout → pay in the sandbox wallet → paid live → partial refund → reconciliation lists the payment and the refund", async () => {
    needChromium();
    const page = await context.newPage();
    await page.goto(job.shopUrl);
    expect(await page.locator(".product").count()).toBeGreaterThanOrEqual(3);

    await addToCart(page, "milk-tea");
    await addToCart(page, "egg-tart");
    expect(await page.locator("#cart-total").textContent()).toBe("HKD 86.50");
    await expect.poll(() => page.getByLabel("Alipay HK QR").isChecked()).toBe(true);
    await page.locator("#checkout").click();
    await page.waitForURL((url) => url.pathname.startsWith("/orders/"));

    // The QR is on screen and is the sandbox trade's code.
    const orderId = (await page.locator("#order-id").textContent())!;
    expect(await page.locator("#status").textContent()).toBe("Waiting for payment");
    expect(await page.locator("#amount").textContent()).toBe("HKD 86.50");
    await expect.poll(() => page.locator("#qr").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), LIVE).toBe(true);
    const trade = await sandboxTrade(orderId);
    expect(trade).toMatchObject({ status: "WAIT_BUYER_PAY", total_fee: "86.50" });
    expect(await decodeQr(page)).toBe(trade.qr_code);

    mkdirSync(RESULTS, { recursive: true });
    const shot = { clip: { x: 0, y: 0, width: 1100, height: 540 } };
    await page.screenshot({ ...shot, path: join(RESULTS, "demo-checkout.png") });
    if (process.env.UPDATE_SCREENSHOT === "1") await page.screenshot({ ...shot, path: join(REPO_ROOT, "docs", "demo-checkout.png") });

    // Pay in the wallet page (a new tab, as the link opens it); the checkout page must not reload.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const [wallet] = await Promise.all([context.waitForEvent("page"), page.locator("#wallet-link").click()]);
    await wallet.waitForLoadState();
    await wallet.locator(`[id="${orderId}"]`).getByRole("button", { name: "Pay (AlipayHK)" }).click();
    await expect.poll(() => wallet.locator(".message").textContent(), LIVE).toContain(`Paid ${orderId}`);
    await wallet.close();

    await expect.poll(() => page.locator("#status").textContent(), LIVE).toBe("Paid — thank you!");
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await page.locator("#qr-box").isHidden()).toBe(true);
    expect(await page.locator("#status-detail").textContent()).toContain("ALIPAYHK");

    // Partial refund from the admin page, through the adapter.
    let row = await adminRow(page, orderId);
    expect(await row.getAttribute("data-status")).toBe("paid");
    await row.getByLabel("refund amount").fill("10.00");
    await row.getByRole("button", { name: "Refund" }).click();
    await page.waitForURL((url) => url.pathname === "/admin" && url.search.includes("message"));
    expect(await page.locator("#notice").textContent()).toContain(`HKD 10.00 on ${orderId}`);
    await expect
      .poll(async () => {
        await adminRow(page, orderId);
        return page.locator(`tr.refund-row[data-order="${orderId}"] .status`).textContent();
      }, LIVE)
      .toBe("refund succeeded");
    row = await adminRow(page, orderId);
    expect(await row.locator("td.refunded").textContent()).toBe("10.00");
    expect((await sandboxTrade(orderId)).status).toBe("TRADE_SUCCESS");

    // The reconciliation page: the sandbox's files for the day, matched by core against the shop's orders.
    await page.getByRole("link", { name: "Reconciliation", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/admin/reconciliation");
    const payment = page.locator(`tr.matched[data-subject="order"][data-id="${orderId}"]`);
    expect(await payment.locator("td").allTextContents()).toEqual(["payment", orderId, orderId, "86.50", "paid", expect.stringMatching(/^\d{28}$/)]);
    const refund = page.locator(`tr.matched[data-subject="refund"]`).filter({ hasText: orderId });
    expect(await refund.count()).toBe(1);
    const refundCells = await refund.locator("td").allTextContents();
    expect(refundCells[0]).toBe("refund");
    expect(refundCells[2]).toMatch(new RegExp(`^${orderId} return rf-[0-9a-f]{8}$`));
    expect(refundCells.slice(3, 5)).toEqual(["10.00", "refunded"]);
    expect(await page.locator("#discrepancy-count").textContent()).toBe("0");
    expect(await page.locator("#files li").count()).toBe(2);
    await page.close();
  }, 180_000);

  it("barcode checkout → paid → cancel from the admin page reverses it; the order page follows live; reconciliation agrees", async () => {
    needChromium();
    const page = await context.newPage();
    await page.goto(job.shopUrl);
    await addToCart(page, "tote");
    await page.getByLabel("Alipay HK barcode").check();
    await page.getByLabel("buyer's payment code").fill("280000000000000001");
    await page.locator("#checkout").click();
    await page.waitForURL((url) => url.pathname.startsWith("/orders/"));
    const orderId = (await page.locator("#order-id").textContent())!;
    await expect.poll(() => page.locator("#status").textContent(), LIVE).toBe("Paid — thank you!");

    const admin = await context.newPage();
    const row = await adminRow(admin, orderId);
    await row.getByRole("button", { name: "Cancel" }).click();
    await admin.waitForURL((url) => url.pathname === "/admin" && url.search.includes("message"));
    expect(await admin.locator("#notice").textContent()).toBe(`Order ${orderId} is canceled (payment reversed).`);

    await expect.poll(() => page.locator("#status").textContent(), LIVE).toBe("Cancelled");
    expect(await page.locator("#status-detail").textContent()).toBe("The payment went back to the buyer.");
    expect((await sandboxTrade(orderId)).status).toBe("TRADE_CLOSED");

    await admin.goto(`${job.shopUrl}/admin/reconciliation`);
    expect(await admin.locator(`tr.matched[data-subject="order"][data-id="${orderId}"] td`).allTextContents()).toEqual([
      "payment",
      orderId,
      orderId,
      "129.00",
      "reversed",
      expect.stringMatching(/^\d{28}$/),
    ]);
    expect(await admin.locator("#discrepancy-count").textContent()).toBe("0");
    await admin.close();
    await page.close();
  }, 180_000);
});
