// Real WordPress + WooCommerce check for issues 11/13 (manual, beside the project; see README.md here).
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
const require = createRequire(new URL("../../package.json", import.meta.url));
const { chromium } = require("playwright-core");

const W = process.env.WORK_DIR ?? "/tmp/woo-real-woo";
const envOf = (f) =>
  Object.fromEntries(
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
const woo = envOf(`${W}/woo.env`);
const blocks = envOf(`${W}/blocks.env`);
const secret = envOf(`${W}/plugin-secret.env`).WOO_PLUGIN_SECRET;
const WP = woo.WOO_URL,
  BRIDGE = new URL(process.env.PUBLIC_URL ?? "http://127.0.0.1:80").origin,
  SANDBOX = "http://127.0.0.1:4010";
const OUT = process.env.OUT ?? "/tmp/woo-e2e/out";
mkdirSync(OUT, { recursive: true });
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

function rest(method, path, body) {
  let out;
  try {
    out = execFileSync("python3", ["/work/shared/woo-real/woo_req.py", method, path, ...(body ? [JSON.stringify(body)] : [])], {
      env: { ...process.env, WOO_ENV_FILE: `${W}/woo.env` },
      encoding: "utf8",
    });
  } catch (e) {
    out = e.stdout;
  }
  const lines = out.trim().split("\n");
  const status = Number(lines[0].split(" ")[1]);
  return { status, headers: lines.slice(1, -1), body: JSON.parse(lines[lines.length - 1]) };
}
function _save(name, request, r) {
  writeFileSync(`${OUT}/${name}.json`, `${JSON.stringify({ request, status: r.status, headers: r.headers, body: r.body }, null, 2)}\n`);
}
async function json(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json().catch(() => null) };
}
function _signed(path, bodyObj, key = secret) {
  const body = JSON.stringify(bodyObj);
  const ts = Math.floor(Date.now() / 1000);
  const text = ["v1", String(ts), "POST", path, createHash("sha256").update(body).digest("hex")].join("\n");
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-alipayhk-timestamp": String(ts),
      "x-alipayhk-signature": createHmac("sha256", key).update(text).digest("hex"),
    },
    body,
  };
}
const results = [];
const check = (name, ok, detail = "") => {
  results.push({ name, ok });
  log(ok ? "PASS" : "FAIL", name, detail);
};

async function payOnHostedPage(page, label) {
  await page.waitForURL((u) => u.toString().startsWith(`${BRIDGE}/pay/`), { timeout: 60_000 });
  const orderId = Number(new URL(page.url()).pathname.split("/")[2]);
  const trade = await page.locator("#qr").getAttribute("data-trade");
  await page.screenshot({ path: `${OUT}/${label}-qr.png` });
  log(label, "hosted QR page for order", orderId, "trade", trade);
  const paid = await json(`${SANDBOX}/sandbox/trades/${encodeURIComponent(trade)}/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  check(`${label}: sandbox payment accepted`, paid.status === 200, `HTTP ${paid.status}`);
  await page.waitForURL((u) => u.toString().includes("order-received"), { timeout: 60_000 });
  await page.screenshot({ path: `${OUT}/${label}-thankyou.png` });
  const order = rest("GET", `/wp-json/wc/v3/orders/${orderId}`).body;
  check(
    `${label}: order ${orderId} processing, paid with alipayhk, transaction id set`,
    order.status === "processing" && order.payment_method === "alipayhk" && !!order.transaction_id,
    `${order.status} ${order.payment_method} ${order.transaction_id}`,
  );
  return { orderId, trade, order };
}

async function fillBlocksCheckout(page) {
  await page.locator("#email").fill("buyer@example.com");
  const country = page.locator("#billing-country");
  if (await country.count()) {
    const tag = await country.evaluate((el) => el.tagName);
    if (tag === "SELECT") await country.selectOption("HK");
  }
  await page.locator("#billing-first_name").fill("Chan");
  await page.locator("#billing-last_name").fill("Tai Man");
  await page.locator("#billing-address_1").fill("1 Queen's Road Central");
  await page.locator("#billing-city").fill("Central");
  const state = page.locator("#billing-state");
  if (await state.count()) {
    const tag = await state.evaluate((el) => el.tagName);
    if (tag === "SELECT") await state.selectOption("HONG KONG");
    else {
      // WooCommerce Blocks 10.x (WooCommerce 7.8): a combobox; type and pick "Hong Kong Island".
      const input = tag === "INPUT" ? state : state.locator("input").first();
      await input.click();
      await input.fill("Hong Kong Island");
      await page.getByRole("option", { name: "Hong Kong Island" }).first().click();
    }
  }
  const phone = page.locator("#billing-phone");
  if (await phone.count()) await phone.fill("21234567");
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  // 1. The block-based checkout offers Alipay HK, ends on the hosted QR page, paid -> processing.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const jsErrors = [];
    page.on("pageerror", (e) => jsErrors.push(e.message));
    page.on("console", (m) => m.type() === "error" && log("console:", m.text().slice(0, 300)));
    page.on("response", async (r) => {
      if (r.url().includes("wc/store") && r.request().method() !== "GET")
        log("store api", r.request().method(), r.url().replace(WP, ""), r.status(), r.status() >= 300 ? (await r.text().catch(() => "")).slice(0, 400) : "");
    });
    await page.goto(`${WP}/?add-to-cart=${woo.WOO_PRODUCT_ID}`);
    await page.goto(blocks.CHECKOUT_URL);
    await page.locator(".wp-block-woocommerce-checkout").waitFor({ timeout: 30_000 });
    await page.locator("#email").waitFor({ timeout: 30_000 });
    const registered = await page.evaluate(() => Object.keys(window.wc?.wcBlocksRegistry?.getPaymentMethods?.() ?? {}));
    check("blocks: payment methods registered in wc.wcBlocksRegistry include alipayhk", registered.includes("alipayhk"), registered.join(","));
    const radio = page.locator("#radio-control-wc-payment-method-options-alipayhk");
    await radio.waitFor({ state: "attached", timeout: 30_000 });
    check(
      "blocks: Alipay HK offered as a payment option",
      (await radio.count()) === 1,
      await page
        .locator("label[for='radio-control-wc-payment-method-options-alipayhk']")
        .innerText()
        .catch(() => "?"),
    );
    await fillBlocksCheckout(page);
    if (await radio.isVisible()) await radio.check(); // the only method: WooCommerce shows it without a radio
    check("blocks: Alipay HK is the selected method", await radio.isChecked());
    await page.screenshot({ path: `${OUT}/blocks-checkout.png`, fullPage: true });
    await page.keyboard.press("Tab");
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(3000);
    let cr = null;
    for (let attempt = 1; attempt <= 3 && !cr; attempt++) {
      const checkoutPost = page.waitForRequest((r) => r.url().includes("wc/store/v1/checkout") && r.method() === "POST", { timeout: 15_000 });
      await page.locator(".wc-block-components-checkout-place-order-button").click();
      cr = await checkoutPost.catch(() => null);
      log("blocks: place order click", attempt, cr ? "sent the Store API checkout" : "sent nothing");
    }

    try {
      await payOnHostedPage(page, "blocks");
    } catch (e) {
      await page.screenshot({ path: `${OUT}/blocks-fail.png`, fullPage: true });
      throw e;
    }
    check("blocks: no JavaScript errors on the checkout", jsErrors.length === 0, jsErrors.join(" | "));
    await ctx.close();
  }

  // 2. The classic (shortcode) checkout.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${WP}/?add-to-cart=${woo.WOO_PRODUCT_ID}`);
    await page.goto(process.env.CLASSIC_URL ?? `${WP}/classic-checkout/`);
    await page.locator("form.checkout").waitFor({ timeout: 30_000 });
    await page.locator("#billing_first_name").fill("Chan");
    await page.locator("#billing_last_name").fill("Siu Ming");
    await page
      .locator("#billing_country")
      .selectOption("HK", { force: true })
      .catch(() => {});
    await page.locator("#billing_address_1").fill("2 Nathan Road");
    await page.locator("#billing_city").fill("Kowloon");
    await page
      .locator("#billing_state")
      .selectOption("KOWLOON", { force: true })
      .catch(async () => page.locator("#billing_state").fill("KOWLOON"));
    await page.locator("#billing_phone").fill("21234568");
    await page.locator("#billing_email").fill("buyer2@example.com");
    await page.locator("#payment_method_alipayhk").waitFor({ state: "attached", timeout: 30_000 });
    await page.waitForTimeout(1500); // the classic checkout re-renders payment methods after update_order_review
    await page.locator("#payment_method_alipayhk").check({ force: true });
    check("classic: Alipay HK selected", await page.locator("#payment_method_alipayhk").isChecked());
    await page.screenshot({ path: `${OUT}/classic-checkout.png`, fullPage: true });
    await page.locator("#place_order").click();
    try {
      await payOnHostedPage(page, "classic");
    } catch (e) {
      await page.screenshot({ path: `${OUT}/classic-fail.png`, fullPage: true });
      throw e;
    }
    await ctx.close();
  }
} finally {
  await browser.close();
}
writeFileSync(`${OUT}/results.json`, JSON.stringify(results, null, 2));
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
