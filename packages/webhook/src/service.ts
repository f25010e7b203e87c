import { join } from "node:path";
import {
  AlipayHkClient,
  systemClock,
  type AlipayHkClientOptions,
  type BarcodeRecovery,
  type CancelRetry,
  type Clock,
  type RefundRetry,
  type TradeEvent,
} from "@alipayhk/core";
import { type HttpHandler, type Listening, listen } from "@alipayhk/service-kit";
import { apiRoutes } from "./api/routes";
import { systemRoutes } from "./api/system-routes";
import { InboundAuth } from "./http/auth";
import { createApiHandler } from "./http/pipeline";
import { jsonLogger, silentLogger, type Logger } from "./log";
import { Metrics } from "./metrics";
import { OutboxWorker, type OutboxOptions } from "./outbox";
import { Payments } from "./payments";
import type { Db } from "./store/db";
import { OutboxStore } from "./store/outbox-store";
import { openPostgres } from "./store/postgres";
import { migrate } from "./store/schema";
import { openSqlite } from "./store/sqlite";
import { Store } from "./store/store";
import { KeepAliveClient, keepAliveTransport } from "./transport";

export interface WebhookServiceConfig {
  /** The Alipay client, or its options (partner, sign type, keys, gateway). */
  alipay: AlipayHkClient | AlipayHkClientOptions;
  /** Where state lives: PostgreSQL when `databaseUrl` is set, else SQLite at `sqliteFile` (default `<dataDir>/alipayhk-webhook.sqlite`). */
  storage?: { databaseUrl?: string; dataDir?: string; sqliteFile?: string; poolSize?: number };
  /** Inbound authentication: at least one of them. */
  auth: { webhookSecret?: string; apiToken?: string };
  /** Outbound events: endpoints, the signing secret (`whsec_...`) and the retry ladder. */
  webhooks?: { endpoints?: string[] } & OutboxOptions;
  /** The service's public base URL: the notify URL sent to Alipay and the QR image URLs derive from it. Default: the listening address. */
  publicUrl?: string;
  /** Overrides `<publicUrl>/alipay/notify`. */
  notifyUrl?: string;
  /** Minutes a QR code stays payable. Default 15. */
  qrExpiresInMinutes?: number;
  /** Background sweep period (open trades, expired QR codes, open refunds). Default 60 s; 0 turns it off. */
  sweepIntervalMs?: number;
  /** Barcode recovery timing (core's defaults: poll every 5 s for 30 s, then cancel). */
  barcodeRecovery?: BarcodeRecovery;
  /** Refund and cancel retry timing in a request (core's defaults). */
  refundRetry?: RefundRetry & CancelRetry;
  /**
   * Accept per-order `notify` URLs whose host is loopback, private, link-local or unique-local
   * (`localhost`, `127.0.0.1`, `10.x`, `[::1]`, `fc00::/7`, ...). Default false: such URLs are
   * refused with 400, so a platform request cannot make the service post into its own network.
   * Literal addresses are refused at the API; a DNS name is checked when each delivery connects
   * (every resolved address must be public).
   */
  allowPrivateNotifyUrls?: boolean;
  /** Prefix of every Alipay trade id (to share a partner id between shops). Default none. */
  partnerTransIdPrefix?: string;
  /** An idempotency key left in progress this long (its instance died mid-request) may be taken over. Default 60 s. */
  idempotencyStaleMs?: number;
  /** Idempotency keys are kept this long. Default 24 h. */
  idempotencyRetentionMs?: number;
  /** The service's time (expiry, sweep and retry schedules). Default: the Alipay client's clock, else the system clock. */
  clock?: Clock;
  /** A logger, or false for none. Default JSON lines on stdout at `info`. */
  logger?: Logger | false;
}

export interface WebhookService {
  /** Starts the HTTP server and the background work; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking requests, finishes the ones in flight, stops the workers and closes the store. */
  close(): Promise<void>;
  /** The public base URL (`publicUrl`, else the listening address). */
  readonly url: string;
  /** The address the server listens on, once listening. */
  readonly listenUrl: string;
  /**
   * The request listener, to mount the API in another node:http server (then call `startWorkers()`
   * and set `publicUrl`: Alipay's notify URL and the QR image URLs are built from it).
   */
  readonly handler: HttpHandler;
  /** Runs one sweep pass now. */
  sweep(): Promise<TradeEvent[]>;
  /** Starts the outbox and sweep without listening (when mounted via `handler`). */
  startWorkers(): void;
  readonly client: AlipayHkClient;
  readonly store: Store;
  readonly outbox: OutboxStore;
  readonly metrics: Metrics;
}

async function openStore(config: WebhookServiceConfig): Promise<Db> {
  const storage = config.storage ?? {};
  if (storage.databaseUrl) return openPostgres(storage.databaseUrl, { max: storage.poolSize });
  return openSqlite(storage.sqliteFile ?? join(storage.dataDir ?? "data", "alipayhk-webhook.sqlite"));
}

/** The store, migrated; closed again when the migration or a late check fails. */
async function openMigratedStore(config: WebhookServiceConfig, clock: Clock): Promise<Db> {
  const db = await openStore(config);
  try {
    await migrate(db, clock.now().getTime());
    if ((config.webhooks?.endpoints ?? []).length > 0 && !config.webhooks?.secret) throw new TypeError("webhooks.secret: required with endpoints (whsec_...)");
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

/** The Alipay client: the one given, or one built on the service's clock and keep-alive transport. */
function alipayClient(config: WebhookServiceConfig, clock: Clock, http: KeepAliveClient): AlipayHkClient {
  if (config.alipay instanceof AlipayHkClient) return config.alipay;
  return new AlipayHkClient({ ...config.alipay, clock: config.alipay.clock ?? clock, transport: config.alipay.transport ?? keepAliveTransport(http) });
}

/** The background sweep: one pass every `intervalMs` (none when 0), each also purging old idempotency keys. */
function sweeper(options: { payments: Payments; store: Store; logger: Logger; intervalMs: number; retentionMs: number; now: () => number }) {
  const { payments, store, logger, intervalMs } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = async (): Promise<TradeEvent[]> => {
    const pass = (async () => {
      const decisions = await payments.sweep();
      await store.purgeIdempotency(options.now() - options.retentionMs);
      return decisions;
    })();
    running = pass.catch(() => undefined);
    return pass;
  };
  const schedule = () => {
    if (stopped || intervalMs <= 0) return;
    timer = setTimeout(() => {
      run()
        .then((decisions) => {
          if (decisions.length) logger.log("info", "sweep", { decisions: decisions.length });
        })
        .catch((error: Error) => logger.log("error", "sweep failed", { error: error.message }))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  return {
    run,
    start: schedule,
    /** Stops scheduling and waits for a pass that is running. */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Creates the webhook adapter: the JSON API, Alipay's notify route, the durable outbox and the
 * background sweep, on SQLite (default) or PostgreSQL. Migrations run before it resolves.
 *
 * @example
 * const service = await createWebhookService({
 *   alipay: { partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl },
 *   auth: { apiToken: "secret-token" },
 *   webhooks: { endpoints: ["http://127.0.0.1:4000/hooks"], secret: "whsec_..." },
 *   storage: { dataDir: "./data" },
 * });
 * const url = await service.listen(8080);
 */
export async function createWebhookService(config: WebhookServiceConfig): Promise<WebhookService> {
  if (!config.auth?.webhookSecret && !config.auth?.apiToken) throw new TypeError("auth: expected webhookSecret or apiToken (or both)");
  // One clock for the service and the flows: the sweep compares QR expiry times with the client's clock.
  const clock = config.clock ?? (config.alipay instanceof AlipayHkClient ? config.alipay.clock : (config.alipay.clock ?? systemClock));
  const http = new KeepAliveClient();
  const client = alipayClient(config, clock, http);
  const logger = config.logger === false ? silentLogger : (config.logger ?? jsonLogger("info"));
  const metrics = new Metrics();
  const db = await openMigratedStore(config, clock);
  const endpoints = config.webhooks?.endpoints ?? [];
  const store = new Store(db, { endpoints, partnerTransIdPrefix: config.partnerTransIdPrefix ?? "" });
  const outboxStore = new OutboxStore(db);
  const allowPrivateNotifyUrls = config.allowPrivateNotifyUrls ?? false;
  const worker = new OutboxWorker(
    outboxStore,
    { ...config.webhooks, trustedEndpoints: endpoints, allowPrivateEndpoints: allowPrivateNotifyUrls },
    clock,
    logger,
    metrics,
    http,
  );
  const now = () => clock.now().getTime();
  const onEvents = () => worker.kick();

  let baseUrl = config.publicUrl?.replace(/\/$/, "") ?? "";
  let notifyUrl = config.notifyUrl ?? (baseUrl ? `${baseUrl}/alipay/notify` : "");
  const sweepIntervalMs = config.sweepIntervalMs ?? 60_000;
  const payments = new Payments({
    client,
    store,
    clock,
    logger,
    metrics,
    get notifyUrl() {
      return notifyUrl;
    },
    qrExpiresInMinutes: config.qrExpiresInMinutes ?? 15,
    barcodeRecovery: config.barcodeRecovery ?? {},
    refundRetry: config.refundRetry ?? {},
    sweepIntervalMs: sweepIntervalMs > 0 ? sweepIntervalMs : 60_000,
    onEvents,
  });
  const routeOptions = {
    payments,
    store,
    outbox: outboxStore,
    baseUrl: () => baseUrl,
    now,
    onEvents,
    canSignEvents: Boolean(config.webhooks?.secret),
    allowPrivateNotifyUrls,
  };
  const handler = createApiHandler({
    routes: [...systemRoutes({ ...routeOptions, client, db, logger, metrics }), ...apiRoutes(routeOptions)],
    auth: new InboundAuth(config.auth),
    store,
    logger,
    metrics,
    idempotencyStaleMs: config.idempotencyStaleMs ?? 60_000,
    now,
  });
  const sweep = sweeper({ payments, store, logger, intervalMs: sweepIntervalMs, retentionMs: config.idempotencyRetentionMs ?? 86_400_000, now });

  let server: Listening | undefined;
  let listenUrl = "";
  let workersStarted = false;
  let closed = false;
  const startWorkers = () => {
    if (workersStarted || closed) return;
    workersStarted = true;
    worker.start();
    sweep.start();
  };

  return {
    get url() {
      return baseUrl;
    },
    get listenUrl() {
      return listenUrl;
    },
    handler,
    client,
    store,
    outbox: outboxStore,
    metrics,
    sweep: sweep.run,
    startWorkers,
    async listen(port = 0, host = "127.0.0.1") {
      // Above the usual load balancers' 60 s idle timeout, so they never reuse a closing connection.
      server = await listen(handler, { port, host, keepAliveTimeoutMs: 65_000 });
      const listening = (listenUrl = server.url);
      if (!baseUrl) baseUrl = listening;
      if (!notifyUrl) notifyUrl = `${baseUrl}/alipay/notify`;
      startWorkers();
      logger.log("info", "listening", { url: listening, public_url: baseUrl, store: db.dialect, endpoints: endpoints.length });
      return baseUrl;
    },
    async close() {
      if (closed) return;
      closed = true;
      const sweepStopped = sweep.stop();
      // Stops taking requests and waits for those being handled (a client that went away leaves
      // its request running) before the store closes.
      if (server) await server.close();
      else await handler.drain();
      await worker.stop();
      await sweepStopped;
      await db.close();
      http.close();
    },
  };
}
