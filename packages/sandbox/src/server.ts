/**
 * The sandbox server: `/gateway.do` for the gateway, `/sandbox/...` for everything else, on the
 * service kit's HTTP layer. `startSandbox` runs it in-process (tests, tools); the CLI wraps it.
 */
import { gmt8Day, toBareBase64, type SignType } from "@alipayhk/core";
import { createHttpHandler, listen, redirect, type Listening, type Method, type Route } from "@alipayhk/service-kit";
import { buyerPays, findNotification, findTrade, notificationBody, openQrTrade, orThrow, type OpenQrTradeInput } from "./admin/actions";
import { adminRoutes } from "./admin/routes";
import { MAGIC_BUYER_CODES, type MagicBuyerCode } from "./buyers";
import { parseDuration } from "./clock";
import { SandboxEngine } from "./engine";
import { parseFaultSpec, type FaultRule, type FaultSpec } from "./faults";
import { ledgerEntries, writeFiles } from "./files";
import { handleGateway } from "./gateway/index";
import type { Wallet } from "./ledger";
import type { NotificationRecord } from "./notifier";
import { addPartner, generatedKeys, resolveOptions, type PartnerConfig, type SandboxConfig, type SandboxOptions, type SandboxPartnerOptions } from "./options";
import { readState, StateWriter, STATE_FORMAT, type StateSnapshot } from "./state-file";
import { tradeView, type SandboxTrade } from "./views";

/** Largest request body: a gateway form or an admin JSON body is far smaller. */
const MAX_BODY = 1024 * 1024;
/** `/gateway.do` answers every method the way the gateway does (GET and POST; the others get `is_success=F`). */
const GATEWAY_METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

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

/** A new engine, carrying on from the state file's ledger, notifications and id sequence when there is one. */
function loadEngine(config: SandboxConfig, state: StateSnapshot | undefined): SandboxEngine {
  const engine = new SandboxEngine(config, config.startTime ? undefined : state?.clockOffsetMs);
  if (state) {
    engine.seq = state.seq;
    for (const trade of state.trades) engine.ledger.add(trade);
    engine.notifier.restore(state.notifications);
    engine.restoreTimers();
  }
  return engine;
}

/**
 * Keeps the state file and the reconciliation files (`filesDir`) up to date after every change of
 * the ledger or the clock; `flush()` writes both now (on start and on close).
 */
function keepFiles(engine: SandboxEngine, config: SandboxConfig): { flush(): void } {
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
  return {
    flush() {
      writer?.flush();
      writeFilesNow();
    },
  };
}

/** Every route: the gateway, the admin routes, and `/` sending a browser to the wallet page. */
function sandboxRoutes(engine: SandboxEngine, url: () => string): Route[] {
  return [
    ...GATEWAY_METHODS.map((method): Route => ({ method, path: "/gateway.do", handle: (ctx) => handleGateway(engine, ctx) })),
    ...adminRoutes(engine, url),
    { method: "GET", path: "/", handle: () => redirect("/sandbox/wallet") },
  ];
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
  const state = options.stateFile ? readState(options.stateFile) : undefined;
  const config = resolveOptions(options, state?.keys);
  for (const fault of config.faults) parseFaultSpec(fault);
  const engine = loadEngine(config, state);
  const files = keepFiles(engine, config);
  files.flush();

  let baseUrl = "";
  const handler = createHttpHandler({
    routes: sandboxRoutes(engine, () => baseUrl),
    maxBodyBytes: MAX_BODY,
    notFoundHint: "; the gateway is /gateway.do, the admin routes are under /sandbox/",
    onUnexpected: (error, request) => config.log(`internal error on ${request.method} ${request.path}: ${(error as Error).stack ?? error}`),
  });
  const listening = await listen(handler, { port: config.port, host: config.host, keepAliveTimeoutMs: 5_000 });
  baseUrl = listening.url;
  return runningSandbox(engine, config, listening, files);
}

/** The in-process API of a listening sandbox. */
function runningSandbox(engine: SandboxEngine, config: SandboxConfig, listening: Listening, files: { flush(): void }): RunningSandbox {
  const baseUrl = listening.url;
  const primary = config.primary;
  const partnerInfo = (p: PartnerConfig): SandboxPartnerInfo => ({
    partner: p.partner,
    md5Key: p.md5Key,
    signType: p.signType,
    merchantPublicKeyPem: p.merchantPublicKeyPem,
    merchantPrivateKeyPem: p.merchantPrivateKeyPem,
  });
  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    gatewayUrl: `${baseUrl}/gateway.do`,
    walletUrl: `${baseUrl}/sandbox/wallet`,
    port: listening.port,
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
    openQrTrade: (input) => tradeView(orThrow(openQrTrade(engine, input))),
    notificationBody: (id) => notificationBody(orThrow(findNotification(engine, id))),
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
      const trade = orThrow(findTrade(engine, outTradeNo, payOptions.partner));
      return tradeView(orThrow(buyerPays(engine, trade, payOptions.wallet ?? "ALIPAYHK")));
    },
    addFault: (spec) => engine.faults.add(parseFaultSpec(spec)),
    clearFaults: () => engine.faults.clear(),
    notifications: () => engine.notifier.list(),
    reset: () => engine.reset(),
    close() {
      closed ??= (async () => {
        // Not the kit's graceful close: a request held by a latency fault or a held charge (up to
        // minutes) must not hold up a test's teardown. Its connection is cut, as before.
        const stopped = new Promise<void>((resolve) => listening.server.close(() => resolve()));
        listening.server.closeAllConnections();
        engine.scheduler.close();
        await engine.notifier.close();
        await stopped;
        files.flush();
      })();
      return closed;
    },
  };
}
