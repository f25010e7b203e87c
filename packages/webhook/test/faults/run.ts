/**
 * One run of the fault suite: the sandbox, the fault proxy in front of its gateway, a receiver for
 * the adapter's events, the adapter (in process on SQLite or PostgreSQL, one or two instances, or
 * the built bin as a child process that is killed with SIGKILL mid-way and restarted on the same
 * store), the seeded order mix, a bounded settle phase, then the reconciliation.
 *
 * The faults are on while the orders are sent; for the settle phase they are turned off so the
 * adapter's sweep can finish every open trade and refund in bounded time (a held late charge is
 * still released only by its cancel, or at the end of its hold).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWebhookService, type WebhookService, type WebhookServiceConfig } from "../../src/index";
import { API_TOKEN, ApiClient, newSecret, startReceiver, startSandbox, type Receiver, type RunningSandbox } from "../helpers";
import { freePort, spawnService } from "../load";
import { driveOrders, generateOrders, type DriverStats } from "./driver";
import { startFaultProxy, type FaultProxy, type FaultRates } from "./proxy";
import { allZero, problems, reconcile, type Figures } from "./reconcile";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The adapter's client timeout in the suite; the proxy's `delay` waits past it. */
export const CLIENT_TIMEOUT_MS = 400;

export interface RunOptions {
  name: string;
  orders: number;
  seed: number;
  adapter: "sqlite" | "postgres" | "bin-kill9";
  /** In-process instances on the same store (PostgreSQL: 2). */
  instances?: number;
  /** `postgres`: the database URL (the caller creates and drops it). */
  databaseUrl?: string;
  rates?: Partial<FaultRates>;
  lanes?: number;
  /** Longest settle phase (ms). */
  settleMs?: number;
}

export interface RunResult {
  name: string;
  seed: number;
  figures: Figures;
  problems: Record<string, number>;
  proxy: Record<string, number>;
  lateChargesForwardedAfterCancel: number;
  driver: Omit<DriverStats, "duplicateReturnAnswers" | "flowErrors"> & { flowErrors: number };
  /** The requests that ended without a final answer (order id, route, last answer). */
  flowErrors: string[];
  duplicateReturn: { orderId: string; answers: number[]; refundsAtGateway: number; refundsAtAdapter: number };
  kills: number;
  driveMs: number;
  settleMs: number;
  logFile: string;
}

interface Adapter {
  api(): ApiClient;
  /** Every instance's API (reconcile reads one). */
  primary: ApiClient;
  close(): Promise<void>;
  kills: number;
  onProgress?(done: number, total: number): void;
}

async function inProcess(options: RunOptions, sandbox: RunningSandbox, proxy: FaultProxy, receiver: Receiver, endpointSecret: string): Promise<Adapter> {
  const webhookSecret = newSecret();
  const dataDir = options.adapter === "sqlite" ? mkdtempSync(join(tmpdir(), `alipayhk-faults-${options.name}-`)) : undefined;
  const port = await freePort();
  const config = (): WebhookServiceConfig => ({
    // Behind one public URL, as instances behind a load balancer: one notify URL for Alipay.
    publicUrl: `http://127.0.0.1:${port}`,
    alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: proxy.gatewayUrl, timeoutMs: CLIENT_TIMEOUT_MS },
    auth: { webhookSecret, apiToken: API_TOKEN },
    webhooks: { endpoints: [receiver.url], secret: endpointSecret, timeScale: 0.001, timeoutMs: 2_000, pollIntervalMs: 50 },
    storage: options.adapter === "postgres" && options.databaseUrl ? { databaseUrl: options.databaseUrl, poolSize: 5 } : { dataDir },
    sweepIntervalMs: 300,
    barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 800, cancelRetryMs: 50 },
    refundRetry: { retryBaseMs: 20, cancelRetryMs: 50 },
    logger: false,
  });
  const services: WebhookService[] = await Promise.all(Array.from({ length: options.instances ?? 1 }, () => createWebhookService(config())));
  await services[0]!.listen(port, "127.0.0.1");
  for (const s of services.slice(1)) await s.listen(0, "127.0.0.1");
  const apis = services.map((s, i) => new ApiClient(i === 0 ? `http://127.0.0.1:${port}` : s.listenUrl, webhookSecret));
  let turn = 0;
  return {
    api: () => apis[turn++ % apis.length]!,
    primary: apis[0]!,
    kills: 0,
    async close() {
      for (const s of services) await s.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function binKill9(options: RunOptions, sandbox: RunningSandbox, proxy: FaultProxy, receiver: Receiver, endpointSecret: string): Promise<Adapter> {
  const webhookSecret = newSecret();
  const dataDir = mkdtempSync(join(tmpdir(), `alipayhk-faults-${options.name}-`));
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    WEBHOOK_SECRET: webhookSecret,
    API_TOKEN,
    WEBHOOK_ENDPOINTS: receiver.url,
    WEBHOOK_ENDPOINT_SECRET: endpointSecret,
    ALIPAYHK_GATEWAY: proxy.gatewayUrl,
    ALIPAYHK_PARTNER: sandbox.partner,
    ALIPAYHK_SIGN_TYPE: "MD5",
    ALIPAYHK_MD5_KEY: sandbox.md5Key,
    ALIPAYHK_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
    BARCODE_MAX_POLL_MS: "800",
    SWEEP_INTERVAL_MS: "300",
    IDEMPOTENCY_STALE_MS: "1000",
    WEBHOOK_RETRY_TIME_SCALE: "0.001",
    WEBHOOK_TIMEOUT_MS: "1000",
    LOG_LEVEL: "error",
  };
  const api = new ApiClient(`http://127.0.0.1:${port}`, webhookSecret);
  let service: ReturnType<typeof spawnService> | undefined;
  const start = async () => {
    service = spawnService(env);
    const current = service;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (current.child.exitCode !== null) throw new Error(`the adapter exited ${current.child.exitCode}: ${current.output().slice(-2000)}`);
      try {
        if ((await fetch(`${api.baseUrl}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`the adapter did not start: ${current.output().slice(-2000)}`);
      await sleep(50);
    }
  };
  await start();
  const adapter: Adapter = {
    api: () => api,
    primary: api,
    kills: 0,
    onProgress(done, total) {
      if (adapter.kills === 0 && done >= Math.floor(total / 3)) {
        adapter.kills = 1;
        // Mid-run: requests, gateway calls, notifications and deliveries are in flight.
        service!.child.kill("SIGKILL");
        void service!.exited.then(() => sleep(300)).then(start);
      }
    },
    async close() {
      service?.child.kill("SIGKILL");
      await service?.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return adapter;
}

export async function runFaultSuite(options: RunOptions): Promise<RunResult> {
  const prefix = `f${options.seed.toString(36)}${options.name.replace(/[^a-z0-9]/gi, "").slice(0, 6)}`;
  const sandbox = await startSandbox({ notifyTimeScale: 0.001, barcodeWaitMs: 300, asyncRefundDelayMs: 200 });
  const proxy = await startFaultProxy({
    target: sandbox.url,
    seed: options.seed,
    rates: options.rates,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    lateChargeMaxHoldMs: 15_000,
  });
  const endpointSecret = newSecret();
  const receiver = await startReceiver(endpointSecret);
  const adapter =
    options.adapter === "bin-kill9"
      ? await binKill9(options, sandbox, proxy, receiver, endpointSecret)
      : await inProcess(options, sandbox, proxy, receiver, endpointSecret);
  const logFile = join(tmpdir(), `alipayhk-faults-${options.name}-seed${options.seed}.json`);
  try {
    const plans = generateOrders(options.orders, options.seed, prefix);
    const t0 = Date.now();
    const stats = await driveOrders(plans, {
      api: adapter.api,
      sandboxUrl: sandbox.url,
      lanes: options.lanes ?? 16,
      onDone: (done) => adapter.onProgress?.(done, plans.length),
    });
    const driveMs = Date.now() - t0;

    // Settle: faults off, the sweep finishes what is open; bounded.
    proxy.setEnabled(false);
    const orderIds = plans.map((p) => p.orderId);
    const settleDeadline = Date.now() + (options.settleMs ?? 60_000);
    let figures: Figures;
    for (;;) {
      figures = await reconcile({ api: adapter.primary, sandboxUrl: sandbox.url, receiver, orderIds, prefix });
      if ((allZero(figures) && proxy.held() === 0) || Date.now() > settleDeadline) break;
      await sleep(500);
    }
    const settleMs = Date.now() - t0 - driveMs;

    const dup = plans.find((p) => p.duplicateReturn)!;
    const dupTrades = (
      (await (await fetch(`${sandbox.url}/sandbox/trades`)).json()) as Array<{ out_trade_no: string; refunds: Array<{ partner_refund_id: string }> }>
    ).filter((t) => t.out_trade_no === dup.orderId);
    const dupOrder = (await adapter.primary.get(`/v1/orders/${dup.orderId}`)).body as { refunds?: Array<{ return_id: string; partner_refund_id: string }> };
    const dupRefundIds = new Set((dupOrder.refunds ?? []).filter((r) => r.return_id === "ret-1").map((r) => r.partner_refund_id));
    const result: RunResult = {
      name: options.name,
      seed: options.seed,
      figures,
      problems: problems(figures),
      proxy: proxy.counts(),
      lateChargesForwardedAfterCancel: proxy.log.filter((e) => e.decision === "late_charge" && e.outcome?.startsWith("forwarded after cancel")).length,
      driver: {
        requests: stats.requests,
        networkRetries: stats.networkRetries,
        retriedAnswers: stats.retriedAnswers,
        answers: stats.answers,
        flowErrors: stats.flowErrors.length,
      },
      duplicateReturn: {
        orderId: dup.orderId,
        answers: stats.duplicateReturnAnswers.map((a) => a.status),
        refundsAtGateway: dupTrades.flatMap((t) => t.refunds).filter((r) => dupRefundIds.has(r.partner_refund_id)).length,
        refundsAtAdapter: (dupOrder.refunds ?? []).filter((r) => r.return_id === "ret-1").length,
      },
      flowErrors: stats.flowErrors,
      kills: adapter.kills,
      driveMs,
      settleMs,
      logFile,
    };
    writeFileSync(logFile, JSON.stringify({ result, flowErrors: stats.flowErrors, proxyLog: proxy.log }, null, 1));
    return result;
  } finally {
    await adapter.close();
    await proxy.close();
    await receiver.close();
    await sandbox.close();
  }
}

/** One line per figure, for the test output and the closing note. */
export function formatResult(r: RunResult): string {
  return [
    `fault suite ${r.name} (seed ${r.seed}): ${r.figures.orders} orders, ${r.figures.sandboxTrades} gateway trades, statuses ${JSON.stringify(r.figures.statuses)}`,
    `  must be 0: ${JSON.stringify(r.problems)}`,
    `  proxy decisions: ${JSON.stringify(r.proxy)}; late charges forwarded after their cancel: ${r.lateChargesForwardedAfterCancel}; late charges given back: ${r.figures.lateChargesReturned}, of them without order.late_charge: ${r.figures.lateChargesUnreported}`,
    `  duplicate return ${r.duplicateReturn.orderId}: answers ${r.duplicateReturn.answers.join("/")}, refunds at gateway ${r.duplicateReturn.refundsAtGateway}, at adapter ${r.duplicateReturn.refundsAtAdapter}`,
    `  driver: ${r.driver.requests} requests, ${r.driver.networkRetries} network retries, ${r.driver.retriedAnswers} retried answers, ${r.driver.flowErrors} requests without a final answer in 15 s; kills ${r.kills}`,
    ...r.flowErrors.slice(0, 10).map((e) => `  ! ${e}`),
    `  drive ${(r.driveMs / 1000).toFixed(1)} s, settle ${(r.settleMs / 1000).toFixed(1)} s; log ${r.logFile}`,
    ...r.figures.details.slice(0, 15).map((d) => `  - ${d}`),
  ].join("\n");
}
