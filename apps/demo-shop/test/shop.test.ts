import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal } from "../src/adapter-client";
import { cartTotal, changeCart, describeCart, parseCart, serializeCart } from "../src/catalog";
import { PortInUseError, startDemo, type RunningDemo } from "../src/demo";
import { SettingError } from "@alipayhk/service-kit";
import { DEFAULT_DATA_DIR, parseDemoArgs, USAGE, type DemoOptions } from "../src/options";

/**
 * The shop in-process on real servers: the sandbox, the adapter on SQLite and the shop over
 * HTTP (no browser; the e2e test drives the pages in Chromium through `npm start`).
 */

const FREE: Omit<DemoOptions, "dataDir"> = { port: 0, sandboxPort: 0, adapterPort: 0, host: "127.0.0.1" };

/** A shop customer without a browser: keeps the cart cookie, never follows redirects. */
class Customer {
  private cookie = "";
  constructor(private readonly shopUrl: string) {}
  async post(path: string, form: Record<string, string>): Promise<Response> {
    const response = await fetch(`${this.shopUrl}${path}`, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { cookie: this.cookie },
      redirect: "manual",
    });
    const set = response.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0]!;
    return response;
  }
  async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.shopUrl}${path}`, { headers: { cookie: this.cookie } });
    return { status: response.status, text: await response.text() };
  }
  /** Buys `skus` with `method`; resolves with the order id from the redirect. */
  async checkout(skus: string[], method: "qr" | "barcode", buyerCode?: string): Promise<string> {
    for (const sku of skus) await this.post("/cart/add", { sku });
    const response = await this.post("/checkout", buyerCode ? { method, buyer_code: buyerCode } : { method });
    expect(response.status).toBe(303);
    return decodeURIComponent(/\/orders\/([^/?]+)$/.exec(response.headers.get("location")!)![1]!);
  }
}

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const unescapeHtml = (html: string) =>
  html
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
/** The order page's live status: `[status, label]`. */
const statusOf = (page: string) => /<span id="status" class="status [a-z]+" data-status="([a-z]+)">([^<]*)<\/span>/.exec(page)?.slice(1).map(unescapeHtml);

describe("options", () => {
  it("defaults to 3000 / 4010 / 3001 on 127.0.0.1 and apps/demo-shop/.data", () => {
    expect(parseDemoArgs([], {})).toEqual({ port: 3000, sandboxPort: 4010, adapterPort: 3001, host: "127.0.0.1", dataDir: DEFAULT_DATA_DIR });
    expect(DEFAULT_DATA_DIR).toMatch(/apps[\\/]demo-shop[\\/]\.data$/);
  });

  it("reads DEMO_* variables, and flags win over them", () => {
    const env = { DEMO_SHOP_PORT: "8000", DEMO_SANDBOX_PORT: "8001", DEMO_ADAPTER_PORT: "8002", DEMO_DATA_DIR: "/tmp/x" };
    expect(parseDemoArgs([], env)).toMatchObject({ port: 8000, sandboxPort: 8001, adapterPort: 8002, dataDir: "/tmp/x" });
    expect(parseDemoArgs(["--port", "0", "--data-dir", "/tmp/y"], env)).toMatchObject({ port: 0, sandboxPort: 8001, dataDir: "/tmp/y" });
    expect(parseDemoArgs(["--help"], {})).toBe("help");
    expect(parseDemoArgs(["--", "--port", "8080"], {})).toMatchObject({ port: 8080 });
  });

  it("names the flag or variable that is wrong", () => {
    expect(() => parseDemoArgs(["--port", "70000"], {})).toThrow('--port: expected an integer from 0 to 65535, got "70000"');
    expect(() => parseDemoArgs(["--port", "70000"], {})).toThrow(SettingError);
    expect(() => parseDemoArgs([], { DEMO_SANDBOX_PORT: "x" })).toThrow(/^DEMO_SANDBOX_PORT: expected an integer from 0 to 65535, got "x"$/);
    expect(() => parseDemoArgs(["--sandbox-port", "3000"], {})).toThrow("--sandbox-port: port 3000 is already taken by --port; expected three different ports");
    expect(() => parseDemoArgs(["--colour"], {})).toThrow(/^--colour: unknown option \(see --help\)$/);
  });

  it("generates --help from the same declarations, each flag with its variable and default", () => {
    expect(USAGE).toContain("--sandbox-port <value>, DEMO_SANDBOX_PORT");
    expect(USAGE).toContain("the sandbox gateway's port (default 4010)");
    expect(USAGE).toMatch(/\(default\s+apps\/demo-shop\/\.data\)/);
    expect(parseDemoArgs(["-h"], {})).toBe("help");
  });
});

describe("the adapter's refusals", () => {
  it("reads error.code and error.message, with or without the top-level message", () => {
    const line = "amount: expected at most 38.00, got 38.01";
    expect(refusal(422, { error: { code: "amount_exceeds_refundable", message: line }, message: line }, "x")).toMatchObject({
      status: 422,
      code: "amount_exceeds_refundable",
      message: line,
    });
    expect(refusal(404, { error: { code: "order_not_found", message: 'order_id: no order "a"' } }, "x")).toMatchObject({
      code: "order_not_found",
      message: 'order_id: no order "a"',
    });
    expect(refusal(502, { error: "bad_gateway", message: "upstream" }, "x")).toMatchObject({ code: "bad_gateway", message: "upstream" });
    expect(refusal(500, [], "GET /v1/orders: HTTP 500")).toMatchObject({ code: "unknown", message: "GET /v1/orders: HTTP 500" });
  });
});

describe("cart", () => {
  it("lives in a cookie, in integer cents, and shrugs off a tampered cookie", () => {
    let cart = changeCart([], "milk-tea", 1, "add");
    cart = changeCart(cart, "milk-tea", 1, "add");
    cart = changeCart(cart, "egg-tart", 1, "add");
    expect(serializeCart(cart)).toBe("milk-tea:2,egg-tart:1");
    expect(cartTotal(cart)).toBe(2 * 3800 + 4850);
    expect(describeCart(cart)).toBe("2 x Hong Kong milk tea, 1 x Egg tarts (box of 4)");
    expect(serializeCart(changeCart(cart, "milk-tea", 0, "set"))).toBe("egg-tart:1");
    expect(serializeCart(parseCart("milk-tea:2,nope:1,egg-tart:-3,tote:1.5,tote:999,milk-tea:1"))).toBe("milk-tea:2,tote:20");
  });
});

describe("the shop on the sandbox and the adapter", () => {
  let demo: RunningDemo;
  let dataDir: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "alipayhk-demo-shop-test-"));
    demo = await startDemo(
      { ...FREE, dataDir },
      {
        log: (line) => logs.push(line),
        sandbox: { notifyTimeScale: 0.001, asyncRefundDelayMs: 50 },
        service: { barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 15_000 } },
      },
    );
  });
  afterAll(async () => {
    await demo?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("a QR order is paid when the buyer pays: the signed event reaches the shop, which asks the adapter", async () => {
    const customer = new Customer(demo.shopUrl);
    const orderId = await customer.checkout(["pineapple-bun", "pineapple-bun"], "qr");
    const page = await customer.get(`/orders/${orderId}`);
    expect(statusOf(page.text)).toEqual(["pending", "Waiting for payment"]);
    expect(page.text).toContain(`${demo.adapterUrl}/v1/orders/${orderId}/qr.svg`);
    expect(page.text).toContain("HKD 33.00");

    const paid = await fetch(`${demo.sandboxUrl}/sandbox/trades/${orderId}/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(paid.status).toBe(200);
    await eventually("paid", async () => statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0] === "paid");
    expect(logs).toContain(`event payment.succeeded for order ${orderId}`);
  });

  it("refuses an event whose signature does not verify, and changes nothing", async () => {
    const customer = new Customer(demo.shopUrl);
    const orderId = await customer.checkout(["tote"], "qr");
    const body = JSON.stringify({ type: "payment.succeeded", timestamp: new Date().toISOString(), data: { order_id: orderId, status: "paid" } });
    const forged = new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`);
    const at = new Date();
    const response = await fetch(`${demo.shopUrl}/webhooks/alipayhk`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_forged",
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": forged.sign("msg_forged", at, body),
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    const unsigned = await fetch(`${demo.shopUrl}/webhooks/alipayhk`, { method: "POST", body });
    expect(unsigned.status).toBe(400);
    expect(statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0]).toBe("pending");
  });

  it("answers a browser's mistakes with the shop's pages: 404 for an unknown path or order, 400 naming the field", async () => {
    const customer = new Customer(demo.shopUrl);
    const nowhere = await customer.get("/nowhere");
    expect([nowhere.status, nowhere.text.includes("Nothing at /nowhere.")]).toEqual([404, true]);
    const order = await customer.get("/orders/DS-none");
    expect([order.status, order.text.includes("No such order in this shop.")]).toEqual([404, true]);
    const day = await customer.get("/admin/reconciliation?day=yesterday");
    expect(day.status).toBe(400);
    expect(day.text).toContain("Something went wrong (400)");
    expect(day.text).toContain("day: expected YYYY-MM-DD, got &quot;yesterday&quot;");
  });

  it("a declined barcode charge shows Alipay's reason; nothing is charged", async () => {
    const customer = new Customer(demo.shopUrl);
    const orderId = await customer.checkout(["egg-tart"], "barcode", "280000000000000003");
    const status = await eventually("failed", async () => {
      const parsed = statusOf((await customer.get(`/orders/${orderId}`)).text);
      return parsed?.[0] === "failed" && parsed;
    });
    expect(status).toEqual(["failed", "The payment failed"]);
    expect((await customer.get(`/orders/${orderId}`)).text).toContain("Alipay said BUYER_BALANCE_NOT_ENOUGH; nothing was charged.");
  });

  it("a barcode charge that waits for the buyer: the order page says so at once and turns paid when the buyer presses Pay", async () => {
    const customer = new Customer(demo.shopUrl);
    const orderId = await customer.checkout(["pineapple-bun"], "barcode", "280000000000000010");
    const page = (await customer.get(`/orders/${orderId}`)).text;
    expect(statusOf(page)).toEqual(["creating", "Charging the buyer's payment code…"]);
    expect(page).toContain("press Pay on the sandbox wallet page");
    // The buyer confirms in the wallet while the adapter's charge request is still polling.
    await eventually("the charge waiting in the sandbox", async () => {
      const response = await fetch(`${demo.sandboxUrl}/sandbox/trades/${orderId}/pay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return response.status === 200;
    });
    await eventually("paid", async () => statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0] === "paid");
  });

  it("the admin page shows the adapter's refusal of a refund above what is left", async () => {
    const customer = new Customer(demo.shopUrl);
    const orderId = await customer.checkout(["milk-tea"], "barcode", "280000000000000002");
    await eventually("paid", async () => statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0] === "paid");
    const refused = await customer.post(`/admin/orders/${orderId}/refund`, { amount: "38.01" });
    const location = new URL(refused.headers.get("location")!, demo.shopUrl);
    expect(location.searchParams.get("error")).toBe(
      `Refund of ${orderId} refused: amount: expected at most 38.00 (what is left to refund of order ${orderId}), got 38.01`,
    );
    const bad = await customer.post(`/admin/orders/${orderId}/refund`, { amount: "1.234" });
    expect(new URL(bad.headers.get("location")!, demo.shopUrl).searchParams.get("error")).toMatch(/^Refund of .* refused: amount: /);
  });

  it("reconciles the day's sandbox files with the shop's orders: payments, a partial refund, a reversal; pending and failed orders are no discrepancy", async () => {
    const customer = new Customer(demo.shopUrl);
    const refunded = await customer.checkout(["tote"], "barcode", "280000000000000001");
    const reversed = await customer.checkout(["milk-tea"], "barcode", "280000000000000001");
    await eventually("both paid", async () => {
      const pages = await Promise.all([refunded, reversed].map((id) => customer.get(`/orders/${id}`)));
      return pages.every((page) => statusOf(page.text)?.[0] === "paid");
    });
    expect((await customer.post(`/admin/orders/${refunded}/refund`, { amount: "29.90" })).status).toBe(303);
    expect((await customer.post(`/admin/orders/${reversed}/cancel`, {})).status).toBe(303);
    await eventually("refund succeeded", async () => (await customer.get("/admin")).text.includes("refund succeeded"));

    const page = (await customer.get("/admin/reconciliation")).text;
    const rows = [...page.matchAll(/<tr class="matched" data-id="([^"]+)" data-subject="([a-z]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
      id: m[1],
      subject: m[2],
      cells: [...m[3]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, "")),
    }));
    expect(rows.find((row) => row.id === refunded)?.cells.slice(3, 5)).toEqual(["129.00", "paid"]);
    expect(rows.find((row) => row.id === reversed)?.cells.slice(3, 5)).toEqual(["38.00", "reversed"]);
    const refund = rows.find((row) => row.subject === "refund" && row.cells[2]!.startsWith(`${refunded} return rf-`));
    expect(refund?.cells.slice(3, 5)).toEqual(["29.90", "refunded"]);
    expect(/id="discrepancy-count">(\d+)</.exec(page)?.[1]).toBe("0");
    expect(page).toContain("None: the shop and Alipay agree.");
  });

  it("names the flag of a port that is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-demo-shop-port-"));
    try {
      await expect(startDemo({ ...FREE, adapterPort: port, dataDir: dir }, { log: () => {} })).rejects.toThrow(
        new PortInUseError(`--adapter-port: port ${port} is in use; pass another (or 0 for any free port)`),
      );
      await expect(startDemo({ ...FREE, port, dataDir: dir }, { log: () => {} })).rejects.toThrow(/^--port: port \d+ is in use/);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a restart on the same data dir", () => {
  it("keeps the orders, the sandbox's ledger and so a clean reconciliation", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "alipayhk-demo-shop-restart-"));
    try {
      let demo = await startDemo({ ...FREE, dataDir }, { log: () => {} });
      let customer = new Customer(demo.shopUrl);
      const orderId = await customer.checkout(["egg-tart"], "barcode", "280000000000000001");
      await eventually("paid", async () => statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0] === "paid");
      await demo.close();

      demo = await startDemo({ ...FREE, dataDir }, { log: () => {} });
      try {
        customer = new Customer(demo.shopUrl);
        expect(statusOf((await customer.get(`/orders/${orderId}`)).text)?.[0]).toBe("paid");
        const page = (await customer.get("/admin/reconciliation")).text;
        expect(page).toContain(`<tr class="matched" data-id="${orderId}" data-subject="order">`);
        expect(/id="discrepancy-count">(\d+)</.exec(page)?.[1]).toBe("0");
      } finally {
        await demo.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
