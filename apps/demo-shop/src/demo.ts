import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startSandbox, type RunningSandbox, type SandboxOptions } from "@alipayhk/sandbox";
import { errorReply, listen, sendReply, unavailable, type HttpHandler, type Listening } from "@alipayhk/service-kit";
import { createWebhookService, jsonLogger, type WebhookService, type WebhookServiceConfig } from "@alipayhk/webhook";
import { AdapterClient } from "./adapter-client";
import type { DemoOptions } from "./options";
import { createShopHandler, EVENTS_PATH } from "./shop";
import { ShopOrders } from "./shop-orders";

export interface RunningDemo {
  shopUrl: string;
  walletUrl: string;
  sandboxUrl: string;
  adapterUrl: string;
  dataDir: string;
  sandbox: RunningSandbox;
  service: WebhookService;
  close(): Promise<void>;
}

/** A port that could not be had, named by the flag that sets it. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

function portError(error: unknown, flag: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE") return new PortInUseError(`${flag}: port ${port} is in use; pass another (or 0 for any free port)`);
  if (code === "EACCES") return new PortInUseError(`${flag}: port ${port} needs privileges; pass a port above 1023`);
  return error;
}

export interface StartDemoOverrides {
  /** Extra sandbox options (tests squeeze its clock). */
  sandbox?: SandboxOptions;
  /** Extra adapter options. */
  service?: Partial<WebhookServiceConfig>;
  /** Where the shop's one-line log goes; default stdout. */
  log?: (line: string) => void;
}

/**
 * Starts the whole demo in one process: the sandbox gateway (wallet page, notifications,
 * reconciliation files), the webhook adapter on an embedded SQLite store, and the shop, which
 * talks to the adapter only over its HTTP API and receives its signed events.
 */
export async function startDemo(options: DemoOptions, overrides: StartDemoOverrides = {}): Promise<RunningDemo> {
  const log = overrides.log ?? ((line: string) => process.stdout.write(`[shop] ${line}\n`));
  mkdirSync(options.dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const sandbox = await startSandbox({
      port: options.sandboxPort,
      host: options.host,
      // The ledger survives a restart, as the adapter's SQLite store and the shop's orders do.
      stateFile: join(options.dataDir, "sandbox-state.json"),
      ...overrides.sandbox,
    }).catch((error: unknown) => {
      throw portError(error, "--sandbox-port", options.sandboxPort);
    });
    stops.push(() => sandbox.close());

    // The shop listens first: the adapter needs its URL to deliver events to. Until the shop is
    // wired up, a request gets a 503.
    let shop: HttpHandler | undefined;
    const handler: HttpHandler = Object.assign(
      (req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1]) => {
        if (shop) return shop(req, res);
        req.resume();
        sendReply(req, res, errorReply(unavailable("starting", "shop: still starting; retry in a moment", { "retry-after": "1" })));
      },
      { drain: () => shop?.drain() ?? Promise.resolve() },
    );
    // Live pages hold event streams open: close() ends them after a short grace.
    const listening: Listening = await listen(handler, { port: options.port, host: options.host, graceMs: 250, keepAliveTimeoutMs: 5_000 }).catch(
      (error: unknown) => {
        throw portError(error, "--port", options.port);
      },
    );
    stops.push(() => listening.close());
    const shopUrl = listening.url;

    const shopSecret = secret();
    const eventSecret = secret();
    const service = await createWebhookService({
      alipay: { partner: sandbox.partner, signType: sandbox.signType, md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl },
      auth: { webhookSecret: shopSecret },
      webhooks: { endpoints: [`${shopUrl}${EVENTS_PATH}`], secret: eventSecret },
      storage: { dataDir: options.dataDir },
      // Everything runs on this machine (127.0.0.1): per-order notify URLs may point here too.
      allowPrivateNotifyUrls: true,
      logger: jsonLogger("warn"),
      ...overrides.service,
    });
    let adapterUrl: string;
    try {
      adapterUrl = await service.listen(options.adapterPort, options.host);
    } catch (error) {
      await service.close();
      throw portError(error, "--adapter-port", options.adapterPort);
    }
    stops.push(() => service.close());

    shop = createShopHandler({
      adapter: new AdapterClient(adapterUrl, shopSecret),
      orders: new ShopOrders(join(options.dataDir, "shop-orders.json")),
      eventSecret,
      sandboxUrl: sandbox.url,
      walletUrl: sandbox.walletUrl,
      partner: sandbox.partner,
      log,
    });
    return { shopUrl, walletUrl: sandbox.walletUrl, sandboxUrl: sandbox.url, adapterUrl, dataDir: options.dataDir, sandbox, service, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** What the demo prints once everything is up. */
export function banner(demo: RunningDemo): string {
  return `
Alipay HK demo shop is running (sandbox gateway, test keys: nothing here moves real money)
  Shop:            ${demo.shopUrl}
  Sandbox wallet:  ${demo.walletUrl}
  Shop admin:      ${demo.shopUrl}/admin  (refunds, cancel, reconciliation)
  Adapter API:     ${demo.adapterUrl}  (@alipayhk/webhook; ${demo.adapterUrl}/openapi.json)
  Sandbox gateway: ${demo.sandboxUrl}/gateway.do
  Data:            ${demo.dataDir}  (delete it to start afresh)

Add something to the cart, check out with "Alipay HK QR", then press Pay on the wallet page:
the checkout page turns to "Paid" by itself. Ctrl+C stops everything.
`;
}
