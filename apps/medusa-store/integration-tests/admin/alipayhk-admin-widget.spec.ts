import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { startSandbox, type RunningSandbox } from "@alipayhk/sandbox";

// The Alipay HK order widget in the real admin: this store built for production with the admin
// (`medusa build`), served by `medusa start` on its own PostgreSQL database, an order paid through
// the sandbox gateway and refunded twice, then headless Chromium logs in and reads the card, once
// with the admin's default session login (behind X-Forwarded-Proto: https, so Medusa's Secure
// session cookie is set as in a real deployment) and once built with ADMIN_AUTH_TYPE=jwt.

jest.setTimeout(900_000);

const APP = path.resolve(__dirname, "../..");
const SERVER = path.join(APP, ".medusa/server");
const MEDUSA = path.join(APP, "node_modules/.bin/medusa");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = path.join(APP, "test-results/medusa-admin-widget.png");
const QR = "pp_alipayhk-qr_alipayhk";
const EMAIL = "owner@alipayhk.test";
const PASSWORD = "a-long-test-password";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TIME_ZONE = "Asia/Hong_Kong";

const dbUser = process.env.DB_USERNAME ?? "postgres";
const dbPassword = process.env.DB_PASSWORD ? `:${encodeURIComponent(process.env.DB_PASSWORD)}` : "";
const dbHost = !process.env.DB_HOST || process.env.DB_HOST === "localhost" ? "127.0.0.1" : process.env.DB_HOST;
const dbName = `alipayhk_medusa_admin_${process.pid}_${Date.now().toString(36)}`;
const dbUrl = (name: string) => `postgres://${dbUser}${dbPassword}@${dbHost}:5432/${name}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs a command to the end; its output, or an error carrying the output's tail. */
function run(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(MEDUSA, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`medusa ${args.join(" ")} exited ${code}:\n${output.slice(-4000)}`))));
  });
}

/** "01 Dec, 2026, 22:47:50" in the browser's time zone: how Medusa's order page writes times. */
function medusaDate(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE,
      year: "numeric",
      month: "numeric",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day} ${MONTHS[Number(parts.month) - 1]}, ${parts.year}, ${parts.hour}:${parts.minute}:${parts.second}`;
}

const hkd = (amount: number | string) =>
  new Intl.NumberFormat("en-US", { style: "currency", currencyDisplay: "narrowSymbol", currency: "HKD" }).format(Number(amount));

let sandbox: RunningSandbox;
let browser: Browser;
let server: ChildProcess | undefined;
let serverOutput = "";
let port: number;
let baseUrl: string;
let env: NodeJS.ProcessEnv;
let orderId: string;
let expected: {
  payment: Record<string, any>;
  trade: { trade_no?: string; buyer_login_id?: string };
};

const backendOrigin = () => `http://127.0.0.1:${port}`;

/** The build's environment: the app's, without the runtime NODE_ENV. */
function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env, ...extra };
  delete copy.NODE_ENV;
  return copy;
}

async function api<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function startServer(): Promise<void> {
  const child = spawn(MEDUSA, ["start", "--port", String(port)], { cwd: SERVER, env, stdio: ["ignore", "pipe", "pipe"] });
  serverOutput = "";
  child.stdout!.on("data", (chunk) => (serverOutput += chunk));
  child.stderr!.on("data", (chunk) => (serverOutput += chunk));
  server = child;
  try {
    // Both names the browser uses: the admin's page (localhost) and its backend (127.0.0.1).
    await eventually(
      "medusa start to answer /health",
      async () => {
        if (child.exitCode !== null) throw new Error(`medusa start exited ${child.exitCode}`);
        const [page, backend] = await Promise.all([fetch(`${baseUrl}/health`), fetch(`${backendOrigin()}/health`)]);
        return page.ok && backend.ok ? true : undefined;
      },
      120_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${serverOutput.slice(-4000)}`);
  }
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the admin widget test and was not found at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`,
    );
  }
  sandbox = await startSandbox({ timeScale: 0.01 });
  port = await freePort();
  baseUrl = `http://localhost:${port}`;

  const admin = new pg.Client({ connectionString: dbUrl("postgres") });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  await admin.end();

  env = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    DATABASE_URL: dbUrl(dbName),
    MEDUSA_ADMIN: "true",
    ADMIN_CORS: baseUrl,
    AUTH_CORS: baseUrl,
    ALIPAYHK_PARTNER: sandbox.partner,
    ALIPAYHK_SIGN_TYPE: "MD5",
    ALIPAYHK_MD5_KEY: sandbox.md5Key,
    ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
    ALIPAYHK_NOTIFY_URL: `http://127.0.0.1:${port}/hooks/alipayhk/alipayhk-qr_alipayhk`,
    MEDUSA_DISABLE_TELEMETRY: "true",
  };
  delete env.ADMIN_AUTH_TYPE;
  delete env.TEST_TYPE;

  // The production build with the admin (default session login), then the database and a store.
  await run(["build"], { cwd: APP, env: buildEnv() });
  await run(["db:migrate"], { cwd: SERVER, env });
  const seeded = await run(["exec", "./src/scripts/seed.js"], { cwd: SERVER, env });
  await run(["user", "-e", EMAIL, "-p", PASSWORD], { cwd: SERVER, env });
  const publishableKey = seeded.match(/\bpk_[0-9a-f]+/)?.[0];
  const regionId = seeded.match(/\breg_[0-9A-Z]+/)?.[0];
  const variantId = seeded.match(/\bvariant_[0-9A-Z]+/)?.[0];
  if (!publishableKey || !regionId || !variantId) throw new Error(`the seed printed no key, region or variant:\n${seeded}`);
  await startServer();

  // A shopper pays 2 x HKD 100 with the QR, the notification places the order; the owner refunds twice.
  const store = { "x-publishable-api-key": publishableKey };
  const { cart } = await api(
    "POST",
    "/store/carts",
    {
      region_id: regionId,
      email: "shopper@alipayhk.test",
      items: [{ variant_id: variantId, quantity: 2 }],
      shipping_address: { first_name: "Chan", last_name: "Tai Man", address_1: "1 Nathan Road", city: "Hong Kong", country_code: "hk" },
    },
    store,
  );
  const { shipping_options } = await api("GET", `/store/shipping-options?cart_id=${cart.id}`, undefined, store);
  await api("POST", `/store/carts/${cart.id}/shipping-methods`, { option_id: shipping_options[0].id }, store);
  const { payment_collection } = await api("POST", "/store/payment-collections", { cart_id: cart.id }, store);
  const withSession = await api("POST", `/store/payment-collections/${payment_collection.id}/payment-sessions`, { provider_id: QR }, store);
  const session = withSession.payment_collection.payment_sessions[0];
  sandbox.payTrade(session.id);

  const { token } = await api("POST", "/auth/user/emailpass", { email: EMAIL, password: PASSWORD });
  const bearer = { authorization: `Bearer ${token}` };
  orderId = await eventually("the order placed by the notification", async () => {
    const { orders } = await api("GET", "/admin/orders?fields=id", undefined, bearer);
    return orders[0]?.id as string | undefined;
  });
  const payments = async () => (await api("GET", `/admin/alipayhk/orders/${orderId}/payments`, undefined, bearer)).payments;
  const [paid] = await payments();
  await api("POST", `/admin/payments/${paid.id}/refund`, { amount: 50 }, bearer);
  await api("POST", `/admin/payments/${paid.id}/refund`, { amount: 30 }, bearer);
  const [payment] = await payments();
  const trade = sandbox.trades().find((t) => t.out_trade_no === session.id)!;
  expect(trade.refunded).toBe("80.00");
  expect(payment.refunds.map((r: { amount: string; status: string }) => [r.amount, r.status])).toEqual([
    ["50.00", "succeeded"],
    ["30.00", "succeeded"],
  ]);
  expected = { payment, trade: { trade_no: trade.trade_no, buyer_login_id: trade.buyer_login_id } };

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await stopServer();
  await sandbox?.close();
  const admin = new pg.Client({ connectionString: dbUrl("postgres") });
  await admin.connect();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
});

/** Logs in through the admin's login form and opens the order; every widget request is recorded. */
async function openOrder(context: BrowserContext): Promise<{ page: Page; widgetRequests: Request[] }> {
  const page = await context.newPage();
  const widgetRequests: Request[] = [];
  const problems: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/admin/alipayhk/")) widgetRequests.push(request);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.request().method()} ${response.url()}: HTTP ${response.status()}`);
  });
  try {
    await logInAndOpen(page);
  } catch (error) {
    const body = await page
      .locator("body")
      .innerText()
      .catch(() => "");
    throw new Error(
      `${(error as Error).message}\nat ${page.url()}\n${problems.join("\n")}\npage: ${body.slice(0, 1500)}\nserver (${server?.exitCode ?? "running"}): ${serverOutput.slice(-3000)}`,
    );
  }
  return { page, widgetRequests };
}

async function logInAndOpen(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/app/login`);
  await page.locator('input[name="email"]').fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/\/app\/orders/, { timeout: 60_000 });
  await page.goto(`${baseUrl}/app/orders/${orderId}`);
  await page.locator("[data-alipayhk-widget]").waitFor({ timeout: 60_000 });
  await page.waitForLoadState("networkidle");
}

/** The card's content: status, amount, wallet, buyer, paid time, ids with copy buttons, refunds. */
async function checkCard(page: Page): Promise<void> {
  const card = page.locator("[data-alipayhk-widget]");
  const { payment, trade } = expected;
  const row = async (label: string) => (await card.locator("div.grid", { has: page.getByText(label, { exact: true }) }).innerText()).replace(label, "").trim();

  // The heading and the trade's status badge.
  expect(await card.locator(":scope > div").first().innerText()).toMatch(/^Alipay HK\s+Paid$/);
  expect(await row("Amount")).toBe(hkd(payment.amount));
  expect(await row("Method")).toBe("QR code");
  expect(await row("Wallet")).toBe("AlipayHK");
  expect(trade.buyer_login_id).toBeTruthy();
  expect(await row("Buyer")).toBe(trade.buyer_login_id);
  expect(await row("Paid at")).toBe(medusaDate(payment.paid_at));
  expect(await row("Paid at")).toMatch(/^\d{2} [A-Z][a-z]{2}, \d{4}, \d{2}:\d{2}:\d{2}$/);
  expect(await row("Merchant trade id")).toBe(payment.partner_trans_id);
  expect(await row("Alipay trade id")).toBe(trade.trade_no);

  const refunds = card.locator("[data-alipayhk-refund]");
  await expect(refunds.count()).resolves.toBe(2);
  for (const [i, refund] of (payment.refunds as Array<{ refund_id: string; amount: string; at: string }>).entries()) {
    const text = await refunds.nth(i).innerText();
    expect(await refunds.nth(i).getAttribute("data-alipayhk-refund")).toBe(refund.refund_id);
    expect(text).toContain(refund.refund_id);
    expect(text).toContain(medusaDate(refund.at));
    expect(text).toContain(`- ${hkd(refund.amount)}`);
    expect(text).toContain("Refunded");
  }
  // A copy button beside each trade id and each refund id.
  await expect(card.locator("button").count()).resolves.toBe(4);
  expect(await card.innerText()).not.toMatch(/Could not load/);
}

describe("the Alipay HK order widget in the production admin", () => {
  it("session login (Secure cookie behind X-Forwarded-Proto: https): the card shows the trade, refunds, one request", async () => {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
      locale: "en-US",
      timezoneId: TIME_ZONE,
      extraHTTPHeaders: { "x-forwarded-proto": "https" },
    });
    try {
      const { page, widgetRequests } = await openOrder(context);
      await checkCard(page);
      expect(widgetRequests.map((r) => r.url())).toEqual([`${baseUrl}/admin/alipayhk/orders/${orderId}/payments`]);
      expect(await widgetRequests[0]!.headerValue("authorization")).toBeNull();
      const session = (await context.cookies()).find((c) => c.name === "connect.sid");
      expect(session).toMatchObject({ secure: true, httpOnly: true });

      // In the main column with the order's own cards, after Payments; on a narrow screen (768 px,
      // the sidebar goes below the main column) above Customer and Activity, not at the very bottom.
      const card = page.locator("[data-alipayhk-widget]");
      const heading = async (name: string) => (await page.getByRole("heading", { name, exact: true }).first().boundingBox())!;
      const cardHeading = (await card.getByRole("heading", { level: 2 }).boundingBox())!;
      expect(Math.round(cardHeading.x)).toBe(Math.round((await heading("Summary")).x));
      expect(cardHeading.y).toBeGreaterThan((await heading("Payments")).y);

      // The screenshot for the docs: the page down to the card, at a height that shows it all.
      await page.setViewportSize({ width: 1440, height: 2400 });
      const box = (await card.boundingBox())!;
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1440, height: Math.ceil(box.y + box.height + 24) } });

      await page.setViewportSize({ width: 768, height: 1000 });
      const cardTop = (await card.boundingBox())!.y;
      expect(cardTop).toBeLessThan((await heading("Customer")).y);
      expect(cardTop).toBeLessThan((await heading("Activity")).y);
      expect(widgetRequests).toHaveLength(1);
    } finally {
      await context.close();
    }
  });

  it("token login (admin built with ADMIN_AUTH_TYPE=jwt, backend on another origin): the same card, the request carries the bearer token to the backend", async () => {
    // This admin is also hosted apart from the backend: it is opened at http://localhost:<port> and
    // built with the backend at http://127.0.0.1:<port> (another origin: CORS, no shared cookie).
    await run(["build", "--admin-only"], { cwd: APP, env: buildEnv({ ADMIN_AUTH_TYPE: "jwt", MEDUSA_BACKEND_URL: backendOrigin() }) });
    await stopServer();
    rmSync(path.join(SERVER, "public/admin"), { recursive: true, force: true });
    renameSync(path.join(APP, ".medusa/admin"), path.join(SERVER, "public/admin"));
    await startServer();

    // No X-Forwarded-Proto: token login needs no cookie at all.
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: "en-US", timezoneId: TIME_ZONE });
    try {
      const { page, widgetRequests } = await openOrder(context);
      await checkCard(page);
      expect(widgetRequests.map((r) => r.url())).toEqual([`${backendOrigin()}/admin/alipayhk/orders/${orderId}/payments`]);
      expect(await widgetRequests[0]!.headerValue("authorization")).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect((await context.cookies()).find((c) => c.name === "connect.sid")).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
