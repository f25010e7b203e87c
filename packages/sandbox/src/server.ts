/**
 * The sandbox server: `/gateway.do` for the gateway, `/sandbox/...` for everything else, on plain
 * `node:http`. `startSandbox` runs it in-process (tests, tools); the CLI wraps it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gmt8Day, toBareBase64, type SignType } from "@alipayhk/core";
import { AdminError, buyerPays, handleAdmin, notificationBody, openQrTrade, type OpenQrTradeInput } from "./admin";
import { MAGIC_BUYER_CODES, type MagicBuyerCode } from "./buyers";
import { parseDuration } from "./clock";
import { SandboxEngine } from "./engine";
import { parseFaultSpec, type FaultRule, type FaultSpec } from "./faults";
import { ledgerEntries, writeFiles } from "./files";
import { handleGateway } from "./gateway/index";
import type { Wallet } from "./ledger";
import type { NotificationRecord } from "./notifier";
import { addPartner, generatedKeys, resolveOptions, type PartnerConfig, type SandboxOptions, type SandboxPartnerOptions } from "./options";
import { readState, StateWriter, STATE_FORMAT, type StateSnapshot } from "./state-file";
import { tradeView, type SandboxTrade } from "./views";

const MAX_BODY = 1024 * 1024;

export interface SandboxPartnerInfo {
  partner: string;
  md5Key: string;
  signType: SignType;
  merchantPublicKeyPem?: string;
  /** Present when the sandbox generated the merchant key pair (or was given the private key). */
  merchantPrivateKeyPem?: string;
}

/** A running sandbox. Its keys are test keys, meant to be handed to the client under test. */
export interface RunningSandbox {
  /** Base URL, e.g. `http://127.0.0.1:4010`. */
  url: string;
  /** `${url}/gateway.do`. */
  gatewayUrl: string;
  /** `${url}/sandbox/wallet`. */
  walletUrl: string;
  port: number;
  /** The main partner. */
  partner: string;
  md5Key: string;
  signType: SignType;
  /** The sandbox's "Alipay" public key (SPKI PEM) that verifies its RSA/RSA2 replies and notifications. */
  alipayPublicKeyPem: string;
  /** The same key as Alipay's portal shows it: bare base64 DER. */
  alipayPublicKey: string;
  merchantPrivateKeyPem?: string;
  merchantPublicKeyPem?: string;
  /** Every partner with its keys (all share the one Alipay key above). */
  readonly partners: SandboxPartnerInfo[];
  /**
   * Adds a partner while running (same as `POST /sandbox/partners`): its own MD5 key or merchant
   * key, and the sandbox's one Alipay key for its RSA/RSA2 replies and notifications.
   */
  addPartner(partner: SandboxPartnerOptions): SandboxPartnerInfo;
  /**
   * Opens a QR trade for any partner as if that partner had sent a signed precreate (same as
   * `POST /sandbox/trades`): paying it sends that partner's genuinely signed notification.
   */
  openQrTrade(input: OpenQrTradeInput): SandboxTrade;
  /** The exact form body (and its content type) of a notification, to replay it somewhere else. */
  notificationBody(id: number): { contentType: string; body: Buffer };
  magicBuyerCodes: readonly MagicBuyerCode[];
  /** The sandbox clock. */
  now(): Date;
  /** Moves the sandbox clock forward (`"25h"`, `"90m"`, or ms); returns the new time. */
  advanceClock(duration: string | number): Date;
  setClock(at: Date | string): Date;
  trades(): SandboxTrade[];
  /** The buyer pays a waiting trade (same as `POST /sandbox/trades/{out_trade_no}/pay`). */
  payTrade(outTradeNo: string, options?: { wallet?: Wallet; partner?: string }): SandboxTrade;
  addFault(spec: FaultSpec): FaultRule;
  clearFaults(): void;
  notifications(): NotificationRecord[];
  /** Forgets all trades, notifications and faults. */
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new AdminError(413, "BODY_TOO_LARGE", `body: larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts a sandbox gateway. With no options: a random port on 127.0.0.1, partner
 * 2088101122136241 with the spec's MD5 test key, and a generated "Alipay" RSA key pair.
 *
 * @example
 * const sandbox = await startSandbox({ notifyTimeScale: 0.001 });
 * const client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl });
 * // ...
 * await sandbox.close();
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const state: StateSnapshot | undefined = options.stateFile ? readState(options.stateFile) : undefined;
  const config = resolveOptions(options, state?.keys);
  const engine = new SandboxEngine(config, config.startTime ? undefined : state?.clockOffsetMs);
  for (const fault of config.faults) parseFaultSpec(fault);

  if (state) {
    engine.seq = state.seq;
    for (const trade of state.trades) engine.ledger.add(trade);
    engine.notifier.restore(state.notifications);
    engine.restoreTimers();
  }

  const snapshot = (): StateSnapshot => ({
    format: STATE_FORMAT,
    version: 1,
    savedAt: new Date().toISOString(),
    clockOffsetMs: engine.clock.offset,
    seq: engine.seq,
    keys: generatedKeys(config),
    trades: engine.ledger.all(),
    notifications: engine.notifier.list(),
  });
  const writer = config.stateFile ? new StateWriter(config.stateFile, snapshot, (e) => config.log(`state file: ${(e as Error).message}`)) : undefined;

  let filesTimer: NodeJS.Timeout | undefined;
  const writeFilesNow = () => {
    if (filesTimer) clearTimeout(filesTimer);
    filesTimer = undefined;
    if (!config.filesDir) return;
    try {
      writeFiles(config.filesDir, ledgerEntries(engine.ledger.all(), config.feeRate), config.settlementDelayDays, gmt8Day(engine.now()));
    } catch (error) {
      config.log(`files: ${(error as Error).message}`);
    }
  };
  const onChange = () => {
    writer?.schedule();
    if (config.filesDir && !filesTimer) {
      filesTimer = setTimeout(writeFilesNow, 50);
      filesTimer.unref();
    }
  };
  engine.ledger.onChange(onChange);
  engine.clock.onChange(onChange);
  writer?.flush();
  writeFilesNow();

  let baseUrl = "";
  const server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof AdminError) {
        res.writeHead(error.status, { "content-type": "application/json; charset=utf-8" });
        res.end(`${JSON.stringify({ error: error.code, message: error.message })}\n`);
        return;
      }
      config.log(`internal error on ${req.method} ${req.url?.split("?")[0]}: ${(error as Error).stack ?? error}`);
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("sandbox internal error\n");
    });
  });
  server.keepAliveTimeout = 5_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const body = await readBody(req);
    if (path === "/gateway.do" || path.endsWith("/gateway.do")) {
      await handleGateway(engine, req, res, body);
      return;
    }
    if (path === "/sandbox" || path.startsWith("/sandbox/")) {
      if (await handleAdmin({ engine, url: baseUrl }, req, res, body)) return;
    }
    if (path === "/" && req.method === "GET") {
      res.writeHead(302, { location: "/sandbox/wallet" });
      res.end();
      return;
    }
    throw new AdminError(404, "NOT_FOUND", `${req.method} ${path}: no such route; the gateway is /gateway.do, the admin routes are under /sandbox/`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  baseUrl = `http://${host}:${port}`;

  let closed: Promise<void> | undefined;
  const primary = config.primary;
  const partnerInfo = (p: PartnerConfig): SandboxPartnerInfo => ({
    partner: p.partner,
    md5Key: p.md5Key,
    signType: p.signType,
    merchantPublicKeyPem: p.merchantPublicKeyPem,
    merchantPrivateKeyPem: p.merchantPrivateKeyPem,
  });

  return {
    url: baseUrl,
    gatewayUrl: `${baseUrl}/gateway.do`,
    walletUrl: `${baseUrl}/sandbox/wallet`,
    port,
    partner: primary.partner,
    md5Key: primary.md5Key,
    signType: primary.signType,
    alipayPublicKeyPem: config.alipayPublicKey.pem,
    alipayPublicKey: toBareBase64(config.alipayPublicKey.pem),
    merchantPrivateKeyPem: primary.merchantPrivateKeyPem,
    merchantPublicKeyPem: primary.merchantPublicKeyPem,
    get partners() {
      return [...config.partners.values()].map(partnerInfo);
    },
    addPartner: (input) => partnerInfo(addPartner(config, input)),
    openQrTrade: (input) => tradeView(openQrTrade(engine, input)),
    notificationBody(id) {
      const record = engine.notifier.list().find((n) => n.id === id);
      if (!record) throw new AdminError(404, "NOTIFICATION_NOT_EXIST", `no notification with id ${JSON.stringify(id)}`);
      return notificationBody(record);
    },
    magicBuyerCodes: MAGIC_BUYER_CODES,
    now: () => engine.now(),
    advanceClock(duration) {
      const ms = parseDuration(duration);
      if (ms === undefined || ms < 0) throw new RangeError(`duration: expected something like "25h" or a number of ms, got ${JSON.stringify(duration)}`);
      engine.clock.advance(ms);
      return engine.now();
    },
    setClock(at) {
      const instant = new Date(at);
      if (Number.isNaN(instant.getTime())) throw new RangeError(`at: expected a date, got ${JSON.stringify(at)}`);
      engine.clock.set(instant);
      return engine.now();
    },
    trades: () => engine.ledger.all().map((t) => tradeView(engine.refresh(t))),
    payTrade(outTradeNo, payOptions = {}) {
      const found = engine.ledger.find(outTradeNo, payOptions.partner);
      if (found.length !== 1) throw new AdminError(found.length ? 409 : 404, found.length ? "AMBIGUOUS" : "TRADE_NOT_EXIST", `trade ${JSON.stringify(outTradeNo)}: ${found.length} matches`);
      buyerPays(engine, found[0]!, payOptions.wallet ?? "ALIPAYHK");
      return tradeView(found[0]!);
    },
    addFault: (spec) => engine.faults.add(parseFaultSpec(spec)),
    clearFaults: () => engine.faults.clear(),
    notifications: () => engine.notifier.list(),
    reset: () => engine.reset(),
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        engine.scheduler.close();
        await engine.notifier.close();
        await stopped;
        writer?.flush();
        writeFilesNow();
      })();
      return closed;
    },
  };
}
