import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookService, type WebhookService } from "../src/index";
import {
  ApiClient,
  API_TOKEN,
  eventually,
  newSecret,
  SANDBOX_DEFAULTS,
  sandboxTrades,
  startReceiver,
  startSandbox,
  type Receiver,
  type RunningSandbox,
} from "./helpers";
import { freePort, runLoad } from "./load";

/** The test server: 127.0.0.1:5432, user postgres, trust auth. Each run makes its own database and drops it. */
const SERVER = process.env.WEBHOOK_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const ORDERS = 60;

function delivered(service: WebhookService): number {
  const text = service.metrics.render([]);
  return Number(/alipayhk_webhook_delivery_attempts_total\{result="delivered"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe("two instances on one PostgreSQL database share the work", () => {
  const database = `alipayhk_webhook_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER });
  let sandbox: RunningSandbox;
  let receiver: Receiver;
  let a: WebhookService;
  let b: WebhookService;
  let apiA: ApiClient;
  let apiB: ApiClient;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(SERVER);
    url.pathname = `/${database}`;
    sandbox = await startSandbox({ ...SANDBOX_DEFAULTS });
    const endpointSecret = newSecret();
    const webhookSecret = newSecret();
    receiver = await startReceiver(endpointSecret);
    // Behind one public URL, as instances behind a load balancer: one notify URL for Alipay.
    const portA = await freePort();
    const instance = () =>
      createWebhookService({
        publicUrl: `http://127.0.0.1:${portA}`,
        alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl, timeoutMs: 5_000 },
        auth: { webhookSecret, apiToken: API_TOKEN },
        webhooks: { endpoints: [receiver.url], secret: endpointSecret, timeScale: 0.001, timeoutMs: 2_000, pollIntervalMs: 50 },
        storage: { databaseUrl: url.toString(), poolSize: 5 },
        sweepIntervalMs: 300,
        barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 1_000 },
        logger: false,
      });
    // Both start (and migrate) at once: the advisory lock makes one of them do it.
    [a, b] = await Promise.all([instance(), instance()]);
    await a.listen(portA);
    apiA = new ApiClient(`http://127.0.0.1:${portA}`, webhookSecret);
    await b.listen(0);
    apiB = new ApiClient(b.listenUrl, webhookSecret);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await receiver?.close();
    await sandbox?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it("the same new order sent to both at once makes one Alipay trade", async () => {
    const body = { order_id: "pg-same", amount: "5.00", mode: "qr" };
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? apiA : apiB).bearer("POST", "/v1/orders", body)));
    expect(responses.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.partner_trans_id))).toEqual(new Set(["pg-same"]));
    expect(new Set(responses.map((r) => r.body.qr_code)).size).toBe(1);
    expect((await sandboxTrades(sandbox)).filter((t) => t.out_trade_no === "pg-same")).toHaveLength(1);
  });

  it("orders, payments and refunds spread over both: every event delivered once, none lost", async () => {
    let turn = 0;
    const ids = await runLoad(ORDERS, 8, "pg", { api: () => (turn++ % 2 ? apiA : apiB), sandbox });
    for (const id of ids) {
      const order = await eventually(`${id} refunded`, async () => {
        const body = (await apiA.get(`/v1/orders/${id}`)).body;
        return body.refunds?.[0]?.status === "succeeded" ? body : undefined;
      });
      expect(order).toMatchObject({ status: "paid", refunded_amount: "1.00" });
    }
    const events = await eventually("all events recorded", async () => {
      const data = (await apiB.get("/v1/events?limit=200")).body.data.filter((e: { order_id: string }) => e.order_id.startsWith("pg-0"));
      return data.length === ORDERS * 2 ? data : undefined;
    });
    await eventually("every event delivered", () => events.every((e: { id: string }) => receiver.deliveries.some((d) => d.id === e.id)), 30_000, 50);
    const counts = new Map<string, number>();
    for (const delivery of receiver.deliveries) counts.set(delivery.id, (counts.get(delivery.id) ?? 0) + 1);
    // Claimed with FOR UPDATE SKIP LOCKED: no event was sent twice.
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(receiver.maxConcurrentPerId).toBe(1);
    expect(receiver.badSignatures).toBe(0);
    // Both instances delivered part of the outbox.
    expect(delivered(a)).toBeGreaterThan(0);
    expect(delivered(b)).toBeGreaterThan(0);
    expect(delivered(a) + delivered(b)).toBe(receiver.deliveries.length);
  }, 120_000);

  it("cancel and the refund limit hold across instances", async () => {
    await apiA.signed("POST", "/v1/orders", { order_id: "pg-cancel", amount: "20.00", mode: "barcode", buyer_code: "280000000000000001" });
    const tooMuch = await Promise.all([
      apiA.signed("POST", "/v1/returns", { order_id: "pg-cancel", return_id: "x1", amount: "15.00" }),
      apiB.signed("POST", "/v1/returns", { order_id: "pg-cancel", return_id: "x2", amount: "15.00" }),
    ]);
    // Row locks on the order: one refund goes through, the other would exceed the paid amount.
    expect(tooMuch.map((r) => r.status).sort()).toEqual([201, 422]);
    const canceled = await apiB.signed("POST", "/v1/orders/pg-cancel/cancel");
    expect(canceled.body).toMatchObject({ status: "canceled", refunded_amount: "20.00" });
    const health = (await (await fetch(`${apiA.baseUrl}/healthz`)).json()) as { store: string };
    expect(health.store).toBe("postgres");
  });
});
