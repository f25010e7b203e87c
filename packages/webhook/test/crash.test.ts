import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, ApiClient, eventually, newSecret, SANDBOX_DEFAULTS, startReceiver, startSandbox, type Receiver, type RunningSandbox } from "./helpers";
import { freePort, loadStats, runLoad, spawnService } from "./load";

const ORDERS = 90;

describe("kill -9 under load, then restart: nothing lost, every event delivered", () => {
  let sandbox: RunningSandbox;
  let receiver: Receiver;
  let dataDir: string;
  let service: ReturnType<typeof spawnService> | undefined;
  let env: Record<string, string>;
  let api: ApiClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ ...SANDBOX_DEFAULTS });
    const endpointSecret = newSecret();
    const webhookSecret = newSecret();
    receiver = await startReceiver(endpointSecret);
    dataDir = mkdtempSync(join(tmpdir(), "alipayhk-webhook-crash-"));
    const port = await freePort();
    env = {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      WEBHOOK_SECRET: webhookSecret,
      API_TOKEN,
      WEBHOOK_ENDPOINTS: receiver.url,
      WEBHOOK_ENDPOINT_SECRET: endpointSecret,
      ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
      ALIPAYHK_PARTNER: sandbox.partner,
      ALIPAYHK_SIGN_TYPE: "MD5",
      ALIPAYHK_MD5_KEY: sandbox.md5Key,
      ALIPAYHK_TIMEOUT_MS: "2000",
      BARCODE_MAX_POLL_MS: "500",
      SWEEP_INTERVAL_MS: "500",
      IDEMPOTENCY_STALE_MS: "1000",
      WEBHOOK_RETRY_TIME_SCALE: "0.001",
      WEBHOOK_TIMEOUT_MS: "1000",
      LOG_LEVEL: "warn",
    };
    api = new ApiClient(`http://127.0.0.1:${port}`, webhookSecret);
  });

  afterAll(async () => {
    service?.child.kill("SIGKILL");
    await receiver?.close();
    await sandbox?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    service = spawnService(env);
    const current = service;
    await eventually("the service is up", async () => {
      if (current.child.exitCode !== null) throw new Error(`exited ${current.child.exitCode}: ${current.output()}`);
      return (await fetch(`${api.baseUrl}/healthz`)).ok;
    });
  };

  it("orders, payments and refunds all land, and every event reaches the endpoint", async () => {
    await start();
    let killed = false;
    const load = runLoad(ORDERS, 8, "crash", { api: () => api, sandbox }, (done) => {
      if (!killed && done >= ORDERS / 3) {
        killed = true;
        // Mid-load: requests, notifications and deliveries are in flight.
        service!.child.kill("SIGKILL");
        void service!.exited.then(() => setTimeout(() => void start(), 300));
      }
    });
    const ids = await load;
    expect(killed).toBe(true);
    // The kill hit requests in flight: the platform had to retry them.
    expect(loadStats.networkErrors).toBeGreaterThan(0);
    console.log(`crash test: ${JSON.stringify(loadStats)}`);

    // Every acknowledged order is there, paid, with its refund settled.
    for (const id of ids) {
      const order = await eventually(
        `${id} settled`,
        async () => {
          const body = (await api.get(`/v1/orders/${id}`)).body;
          return body.refunds?.[0]?.status === "succeeded" ? body : undefined;
        },
        60_000,
      );
      expect(order).toMatchObject({ status: "paid", refunded_amount: "1.00" });
    }
    // Every event the service recorded was delivered (at least once), and the endpoint saw each order's two facts.
    await eventually(
      "every payment.succeeded and refund.succeeded delivered",
      () =>
        ids.every((id) =>
          ["payment.succeeded", "refund.succeeded"].every((type) => receiver.deliveries.some((e) => e.type === type && e.data.order_id === id)),
        ),
      60_000,
      100,
    );
    const events = (await api.get("/v1/events?limit=200")).body.data;
    expect(events).toHaveLength(ORDERS * 2);
    await eventually("no delivery left pending", async () => (await api.get("/v1/events?status=pending")).body.data.length === 0, 30_000, 100);
    expect((await api.get("/v1/events?status=dead")).body.data).toHaveLength(0);
    expect(new Set(receiver.deliveries.map((e) => e.id))).toEqual(new Set(events.map((e: { id: string }) => e.id)));
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.maxConcurrentPerId).toBe(1);
    // No order was charged twice: one Alipay trade per order.
    const trades = (await (await fetch(`${sandbox.url}/sandbox/trades`)).json()) as Array<{ out_trade_no: string; status: string }>;
    expect(trades.filter((t) => t.out_trade_no.startsWith("crash-"))).toHaveLength(ORDERS);
  }, 180_000);
});
