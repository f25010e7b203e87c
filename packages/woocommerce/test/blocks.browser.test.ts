import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The Blocks checkout script. It is built with @wordpress/scripts and WooCommerce's dependency
 * extraction (`pnpm --filter @alipayhk/woocommerce build:blocks`) and committed inside the plugin
 * folder, so the plugin works as copied. This test builds it afresh and requires the result to
 * equal the committed files byte for byte, then loads the committed script in headless Chromium
 * with the globals WooCommerce Blocks and WordPress provide, and checks what it registers.
 */
const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const buildDir = join(pkgDir, "wordpress-plugin/alipayhk-woocommerce/build");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is required for this test and was not found at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe("the Blocks checkout script", () => {
  it("builds reproducibly: a fresh build equals the committed build/blocks.js and build/blocks.asset.php", () => {
    const out = mkdtempSync(join(tmpdir(), "alipayhk-blocks-"));
    try {
      execFileSync(join(pkgDir, "node_modules/.bin/wp-scripts"), ["build", "--config", "webpack.blocks.cjs"], {
        cwd: pkgDir,
        env: { ...process.env, BLOCKS_OUT_DIR: out, NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(readdirSync(out).sort()).toEqual(["blocks.asset.php", "blocks.js"]);
      for (const name of ["blocks.js", "blocks.asset.php"]) {
        expect(
          readFileSync(join(out, name), "utf8"),
          `${name} differs from a fresh build: run pnpm --filter @alipayhk/woocommerce build:blocks and commit`,
        ).toBe(readFileSync(join(buildDir, name), "utf8"));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("depends only on WooCommerce Blocks and WordPress script handles, and registers alipayhk with a label and a working canMakePayment", async () => {
    const asset = readFileSync(join(buildDir, "blocks.asset.php"), "utf8");
    const list = /'dependencies' => array\(([^)]*)\)/.exec(asset)?.[1] ?? "";
    const deps = [...list.matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1]);
    expect(deps.sort()).toEqual(["wc-blocks-registry", "wc-settings", "wp-element", "wp-html-entities", "wp-i18n"]);
    // No react-jsx-runtime: that handle exists only since WordPress 6.6, the plugin supports 6.1+.
    expect(asset).not.toContain("react-jsx-runtime");

    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.setContent("<!doctype html><html><body></body></html>");
      // What wc-blocks-registry, wc-settings, wp-element, wp-html-entities and wp-i18n put on window.
      await page.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        const calls: unknown[] = [];
        w.__registered = calls;
        w.wc = {
          wcBlocksRegistry: { registerPaymentMethod: (config: unknown) => calls.push(config) },
          wcSettings: {
            getSetting: (name: string, fallback: unknown) =>
              name === "alipayhk_data"
                ? { title: "Alipay HK &amp; AlipayHK", description: "Scan a QR code", supports: ["products", "refunds"], currencies: ["HKD"] }
                : fallback,
          },
        };
        w.wp = {
          element: { createElement: (type: unknown, props: unknown, ...children: unknown[]) => ({ type, props, children }) },
          htmlEntities: { decodeEntities: (s: string) => s.replace(/&amp;/g, "&") },
          i18n: { __: (s: string) => s },
        };
      });
      await page.addScriptTag({ content: readFileSync(join(buildDir, "blocks.js"), "utf8") });
      const result = await page.evaluate(() => {
        const calls = (window as unknown as { __registered: Array<Record<string, unknown>> }).__registered;
        const c = calls[0]!;
        const can = c.canMakePayment as (a: unknown) => boolean;
        const label = c.label as { type: (p: unknown) => { type: unknown; props: { text?: string }; children: unknown[] }; props: unknown };
        const rendered = label.type({ components: { PaymentMethodLabel: "PML" } });
        const content = c.content as { type: () => { children: unknown[] } };
        return {
          count: calls.length,
          name: c.name,
          ariaLabel: c.ariaLabel,
          supports: c.supports,
          labelText: rendered.props.text,
          content: content.type().children,
          hkd: can({ cartTotals: { currency_code: "HKD" } }),
          usd: can({ cartTotals: { currency_code: "USD" } }),
        };
      });
      expect(errors).toEqual([]);
      expect(result).toEqual({
        count: 1,
        name: "alipayhk",
        ariaLabel: "Alipay HK & AlipayHK",
        supports: { features: ["products", "refunds"] },
        labelText: "Alipay HK & AlipayHK",
        content: ["Scan a QR code"],
        hkd: true,
        usd: false,
      });
    } finally {
      await page.close();
    }
  });
});
