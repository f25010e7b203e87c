/**
 * Test harness: the sandbox as the Alipay side over real HTTP, the service on a real store, and a
 * receiver that verifies every outbound signature the way a platform would.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox, type RunningSandbox, type SandboxOptions } from "@alipayhk/sandbox";
import { Webhook } from "standardwebhooks";
import { createWebhookService, type WebhookService, type WebhookServiceConfig } from "../src/index";

export const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
export const API_TOKEN = "test-token-0123456789abcdef";

/** Waits (polling) until `check` returns a value; fails with `what` after `timeoutMs`. Not a timing assertion. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  receivedAt: number;
}

export interface Receiver {
  url: string;
  /** Every verified delivery, in arrival order (retries included). */
  deliveries: ReceivedEvent[];
  /** Deliveries refused because the signature did not verify (must stay 0). */
  badSignatures: number;
  /** Most deliveries of one id in flight at the same moment. */
  maxConcurrentPerId: number;
  /** Decides the HTTP status of each verified delivery (default 204). */
  respond: (event: ReceivedEvent) => number;
  byType(type: string): ReceivedEvent[];
  /** Distinct event ids received. */
  ids(): Set<string>;
  close(): Promise<void>;
}

/** A platform's webhook endpoint: verifies each delivery (Standard Webhooks) with `secret`. */
export async function startReceiver(secret: string, port = 0): Promise<Receiver> {
  const webhook = new Webhook(secret);
  const inFlight = new Map<string, number>();
  const receiver: Receiver = {
    url: "",
    deliveries: [],
    badSignatures: 0,
    maxConcurrentPerId: 0,
    respond: () => 204,
    byType: (type) => receiver.deliveries.filter((d) => d.type === type),
    ids: () => new Set(receiver.deliveries.map((d) => d.id)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers = req.headers as IncomingHttpHeaders & Record<string, string>;
      let payload: { type: string; timestamp: string; data: Record<string, unknown> };
      try {
        payload = webhook.verify(body, headers) as typeof payload;
      } catch {
        receiver.badSignatures += 1;
        res.writeHead(400).end();
        return;
      }
      const id = String(headers["webhook-id"]);
      const now = (inFlight.get(id) ?? 0) + 1;
      inFlight.set(id, now);
      receiver.maxConcurrentPerId = Math.max(receiver.maxConcurrentPerId, now);
      const event: ReceivedEvent = { id, type: payload.type, timestamp: payload.timestamp, data: payload.data, receivedAt: Date.now() };
      const status = receiver.respond(event);
      if (status >= 200 && status < 300) receiver.deliveries.push(event);
      // Hold the reply a moment so overlapping deliveries of one id would be seen.
      setTimeout(() => {
        inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
        res.writeHead(status).end();
      }, 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

export const SANDBOX_DEFAULTS: SandboxOptions = {
  notifyTimeScale: 0.001,
  barcodeWaitMs: 300,
};

export { startSandbox, type RunningSandbox };

/** The service's clock, movable so expiry and sweep schedules pass without waiting. */
export class MovableClock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface Harness {
  sandbox: RunningSandbox;
  clock: MovableClock;
  receiver: Receiver;
  service: WebhookService;
  url: string;
  webhookSecret: string;
  endpointSecret: string;
  api: ApiClient;
  dataDir: string;
  close(): Promise<void>;
}

/** The sandbox, a receiver and the service on a fresh SQLite file (or `storage`). */
export async function startHarness(
  options: {
    sandbox?: SandboxOptions;
    service?: Partial<WebhookServiceConfig>;
    /** Merged into the default outbox settings (the harness's receiver, a fast ladder). */
    webhooks?: Partial<NonNullable<WebhookServiceConfig["webhooks"]>>;
    sandboxInstance?: RunningSandbox;
  } = {},
): Promise<Harness> {
  const sandbox = options.sandboxInstance ?? (await startSandbox({ ...SANDBOX_DEFAULTS, ...options.sandbox }));
  const endpointSecret = newSecret();
  const webhookSecret = newSecret();
  const receiver = await startReceiver(endpointSecret);
  const dataDir = mkdtempSync(join(tmpdir(), "alipayhk-webhook-"));
  const clock = new MovableClock();
  const service = await createWebhookService({
    clock,
    alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl, timeoutMs: 5_000 },
    auth: { webhookSecret, apiToken: API_TOKEN },
    webhooks: { endpoints: [receiver.url], secret: endpointSecret, timeScale: 0.001, timeoutMs: 2_000, pollIntervalMs: 50, ...options.webhooks },
    storage: { dataDir },
    sweepIntervalMs: 0,
    barcodeRecovery: { pollIntervalMs: 100, maxPollMs: 1_000, cancelRetryMs: 50 },
    refundRetry: { retryBaseMs: 20, cancelRetryMs: 50 },
    logger: false,
    ...options.service,
  });
  const url = await service.listen(0);
  const api = new ApiClient(url, webhookSecret);
  return {
    sandbox,
    clock,
    receiver,
    service,
    url,
    webhookSecret,
    endpointSecret,
    api,
    dataDir,
    async close() {
      await service.close();
      await receiver.close();
      if (!options.sandboxInstance) await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** The platform side of the API: signs requests (Standard Webhooks) or uses the bearer token. */
export class ApiClient {
  private readonly webhook: Webhook;
  constructor(
    readonly baseUrl: string,
    secret: string,
  ) {
    this.webhook = new Webhook(secret);
  }

  /** A signed request; `id` is the webhook-id (the idempotency key), `at` the signing time. */
  async signed<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: { id?: string; at?: Date; raw?: string; signature?: string } = {},
  ): Promise<ApiResponse<T>> {
    const payload = options.raw ?? (body === undefined ? "" : JSON.stringify(body));
    const id = options.id ?? `msg_${randomBytes(12).toString("hex")}`;
    const at = options.at ?? new Date();
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": options.signature ?? this.webhook.sign(id, at, payload),
    };
    return this.send(method, path, headers, payload);
  }

  async bearer<T = any>(method: string, path: string, body?: unknown, options: { idempotencyKey?: string; token?: string } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${options.token ?? API_TOKEN}` };
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    return this.send(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  }

  async get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.bearer<T>("GET", path);
  }

  private async send(method: string, path: string, headers: Record<string, string>, payload: string | undefined): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: method === "GET" ? undefined : payload });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (SVG, text)
    }
    return { status: response.status, body, headers: response.headers };
  }
}

/** The sandbox's admin API over HTTP, as a test drives the buyer and the clock. */
export async function sandboxPost(sandbox: RunningSandbox, path: string, body: unknown = {}): Promise<any> {
  const response = await fetch(`${sandbox.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(`sandbox ${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function sandboxTrades(sandbox: RunningSandbox): Promise<any[]> {
  return (await fetch(`${sandbox.url}/sandbox/trades`)).json() as Promise<any[]>;
}

/** The buyer pays the QR trade in their wallet. */
export function buyerPays(sandbox: RunningSandbox, outTradeNo: string, wallet: "ALIPAYHK" | "ALIPAYCN" = "ALIPAYHK") {
  return sandboxPost(sandbox, `/sandbox/trades/${encodeURIComponent(outTradeNo)}/pay`, { wallet });
}
