/**
 * The sandbox's options and their resolution into a checked configuration. Defaults make
 * `startSandbox()` work with no options: a random port, the spec's test partner and MD5 key,
 * and freshly generated RSA keys where RSA is asked for.
 */
import {
  AlipayConfigError,
  generateRsaKeyPair,
  isSignType,
  parsePrivateKey,
  parsePublicKey,
  type PrivateKeyMaterial,
  type PublicKeyMaterial,
  type SignType,
} from "@alipayhk/core";
import { parseDuration } from "./clock";
import type { FaultSpec } from "./faults";
import { DEFAULT_NOTIFY_SCHEDULE_MS } from "./notifier";

/** The spec's test partner id and MD5 key (§4.4). */
export const DEFAULT_PARTNER = "2088101122136241";
export const DEFAULT_MD5_KEY = "0123456789abcdefghijklmnopqrstuv";

export interface SandboxPartnerOptions {
  /** 16 digits starting with 2088. */
  partner: string;
  /** Default: the spec's test key. */
  md5Key?: string;
  /** The sign type this merchant is set up for; RSA/RSA2 without keys generates a merchant key pair. Default MD5. */
  signType?: SignType;
  /** The merchant's RSA public key (PEM or base64 DER), to verify RSA/RSA2 requests. */
  merchantPublicKey?: string;
  /** The merchant's RSA private key; its public half is used when `merchantPublicKey` is not given. */
  merchantPrivateKey?: string;
  /**
   * The sign types the gateway accepts from this partner; a request signed with another one gets
   * `ILLEGAL_SIGN`, as from a gateway that verifies with the algorithm the account is set up for
   * (e.g. `["RSA"]` refuses RSA2). Default: any.
   */
  signTypes?: SignType[];
}

export interface SandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The main partner id. Default 2088101122136241. */
  partner?: string;
  /** The main partner's MD5 key. Default 0123456789abcdefghijklmnopqrstuv. */
  md5Key?: string;
  /** The main partner's sign type. Default MD5. */
  signType?: SignType;
  /** The sign types the gateway accepts from the main partner (see {@link SandboxPartnerOptions.signTypes}). Default: any. */
  signTypes?: SignType[];
  merchantPublicKey?: string;
  merchantPrivateKey?: string;
  /** The sandbox's own "Alipay" private key for RSA/RSA2 replies and notifications. Default: generated. */
  alipayPrivateKey?: string;
  /**
   * Check every request's signature over bytes in this charset, whatever `_input_charset` says:
   * a gateway that does not see the declared charset. ASCII-only requests still pass; any Chinese
   * text gets `ILLEGAL_SIGN`. Default: the request's charset.
   */
  verifyCharset?: "UTF-8" | "GBK";
  /** More partners, each with its own keys. */
  partners?: SandboxPartnerOptions[];
  /** Real ms per sandbox ms for the notification ladder (0.001 makes 2 minutes pass in 120 ms). Default `timeScale`. */
  notifyTimeScale?: number;
  /** Retry delays after the first attempt, ms or durations like "2m". Default 2m,10m,10m,1h,2h,6h,15h. */
  notifySchedule?: Array<number | string>;
  /** Per-attempt timeout of a notification POST, real ms. Default 15000. */
  notifyTimeoutMs?: number;
  /** How long (sandbox ms, from its last delivery) notify_verify answers true for a notify_id. Default 15 minutes. */
  notifyVerifyWindowMs?: number;
  /** Real ms per sandbox ms for the barcode wait and asynchronous refunds. Default 1. */
  timeScale?: number;
  /** Magic "wait" code: sandbox ms until the buyer confirms. Default 5000. */
  barcodeWaitMs?: number;
  /** Magic "held" code (280000000000000011): real ms the gateway holds the charge before processing it. Default 3000. */
  heldChargeMs?: number;
  /** `is_sync=N` refunds are executed this long (sandbox ms) after acceptance. Default 3000. */
  asyncRefundDelayMs?: number;
  /** `it_b_pay` when a precreate sends none. Default "120m". */
  defaultQrExpiry?: string;
  /** Fee rate for the reconciliation files, e.g. 0.015 for 1.5%. Default 0.015. */
  feeRate?: number;
  /** Settlement day = transaction day + this many days. Default 0, so a day's two files list the same records. */
  settlementDelayDays?: number;
  /** Also write the reconciliation files into this folder. */
  filesDir?: string;
  /** Keep the ledger (and generated keys) in this JSON file across restarts. */
  stateFile?: string;
  /** Refund period from the payment, days. Default 365. */
  refundPeriodDays?: number;
  /** Sign `is_success=F` replies (over `error=<code>`). Default false, like most captures. */
  signFailures?: boolean;
  /** The sandbox clock's start time. Default: now. */
  startTime?: Date | string;
  /** Faults active from the start (see `/sandbox/faults`). */
  faults?: FaultSpec[];
  /** One line per gateway request and notification attempt (no keys, no signatures). */
  log?: (line: string) => void;
}

export interface PartnerConfig {
  partner: string;
  md5Key: string;
  signType: SignType;
  merchantPublicKey?: PublicKeyMaterial;
  /** Set when the sandbox generated the merchant key pair (or was given the private key). */
  merchantPrivateKeyPem?: string;
  merchantPublicKeyPem?: string;
  generated: boolean;
  signTypes?: SignType[];
}

export interface SandboxConfig {
  port: number;
  host: string;
  partners: Map<string, PartnerConfig>;
  primary: PartnerConfig;
  alipayKey: PrivateKeyMaterial;
  alipayPublicKey: PublicKeyMaterial;
  alipayKeyGenerated: boolean;
  verifyCharset?: "UTF-8" | "GBK";
  notifyTimeScale: number;
  notifySchedule: number[];
  notifyTimeoutMs: number;
  notifyVerifyWindowMs: number;
  timeScale: number;
  barcodeWaitMs: number;
  heldChargeMs: number;
  asyncRefundDelayMs: number;
  defaultQrExpiry: string;
  feeRate: number;
  settlementDelayDays: number;
  filesDir?: string;
  stateFile?: string;
  refundPeriodDays: number;
  signFailures: boolean;
  startTime?: Date;
  faults: FaultSpec[];
  log: (line: string) => void;
}

/** Keys generated by an earlier run, taken back from the state file so clients keep working. */
export interface GeneratedKeys {
  alipayPrivateKeyPem?: string;
  merchants?: Record<string, { privateKeyPem: string; publicKeyPem: string }>;
}

const PARTNER = /^2088[0-9]{12}$/;

/** One generated "Alipay" key pair per process: like the real Alipay, every sandbox has the same one. */
let processAlipayKeyPem: string | undefined;
function generatedAlipayKeyPem(): string {
  processAlipayKeyPem ??= generateRsaKeyPair().privateKeyPem;
  return processAlipayKeyPem;
}
const MD5_KEY = /^[A-Za-z0-9]{16,64}$/;
export const IT_B_PAY = /^(?:([1-9][0-9]*)([mhd])|1c)$/;

function fail(message: string): never {
  throw new AlipayConfigError(message);
}

function number(value: unknown, name: string, min: number, max: number, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(`${name}: expected ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function resolvePartner(input: SandboxPartnerOptions, label: string, keys: GeneratedKeys): PartnerConfig {
  if (typeof input.partner !== "string" || !PARTNER.test(input.partner)) {
    fail(`${label}partner: expected 16 digits starting with 2088, got ${JSON.stringify(input.partner ?? "")}`);
  }
  const md5Key = input.md5Key ?? DEFAULT_MD5_KEY;
  if (typeof md5Key !== "string" || !MD5_KEY.test(md5Key)) fail(`${label}md5Key: expected 16-64 letters and digits (the portal's key is 32)`);
  const signType = input.signType ?? "MD5";
  if (!isSignType(signType)) fail(`${label}signType: expected MD5, RSA or RSA2, got ${JSON.stringify(signType)}`);
  let merchantPublicKey: PublicKeyMaterial | undefined;
  let merchantPrivateKeyPem: string | undefined;
  let generated = false;
  if (input.merchantPrivateKey) {
    const privateKey = parsePrivateKey(input.merchantPrivateKey, `${label}merchantPrivateKey`);
    merchantPrivateKeyPem = privateKey.pem;
    merchantPublicKey = parsePublicKey(privateKey.publicPem, `${label}merchantPublicKey`);
  }
  if (input.merchantPublicKey) {
    merchantPublicKey = parsePublicKey(input.merchantPublicKey, `${label}merchantPublicKey`);
    if (merchantPrivateKeyPem && parsePrivateKey(merchantPrivateKeyPem).publicPem !== merchantPublicKey.pem) {
      fail(`${label}merchantPublicKey: does not match merchantPrivateKey`);
    }
  }
  if (!merchantPublicKey && signType !== "MD5") {
    const stored = keys.merchants?.[input.partner];
    const pair = stored ? { privateKeyPem: stored.privateKeyPem, publicKeyPem: stored.publicKeyPem } : generateRsaKeyPair();
    merchantPrivateKeyPem = pair.privateKeyPem;
    merchantPublicKey = parsePublicKey(pair.publicKeyPem, `${label}merchantPublicKey`);
    generated = true;
  }
  let signTypes: SignType[] | undefined;
  if (input.signTypes !== undefined) {
    if (!Array.isArray(input.signTypes) || input.signTypes.length === 0 || !input.signTypes.every((t) => isSignType(t))) {
      fail(`${label}signTypes: expected a non-empty list of MD5, RSA, RSA2, got ${JSON.stringify(input.signTypes)}`);
    }
    signTypes = [...input.signTypes];
  }
  return {
    partner: input.partner,
    md5Key,
    signType,
    merchantPublicKey,
    merchantPrivateKeyPem,
    merchantPublicKeyPem: merchantPublicKey?.pem,
    generated,
    signTypes,
  };
}

/** Checks the options and fills in defaults; every message names the option. */
export function resolveOptions(options: SandboxOptions = {}, keys: GeneratedKeys = {}): SandboxConfig {
  if (typeof options !== "object" || options === null) fail("options: expected an object");
  const port = number(options.port, "port", 0, 65535, 0, true);
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") fail("host: expected a host name or IP address");
  const primary = resolvePartner(
    {
      partner: options.partner ?? DEFAULT_PARTNER,
      md5Key: options.md5Key,
      signType: options.signType,
      merchantPublicKey: options.merchantPublicKey,
      merchantPrivateKey: options.merchantPrivateKey,
      signTypes: options.signTypes,
    },
    "",
    keys,
  );
  const partners = new Map<string, PartnerConfig>([[primary.partner, primary]]);
  if (options.partners !== undefined && !Array.isArray(options.partners)) fail("partners: expected an array of { partner, md5Key?, signType?, ... }");
  (options.partners ?? []).forEach((entry, index) => {
    const resolved = resolvePartner(entry ?? ({} as SandboxPartnerOptions), `partners[${index}].`, keys);
    if (partners.has(resolved.partner)) fail(`partners[${index}].partner: ${resolved.partner} is given twice`);
    partners.set(resolved.partner, resolved);
  });

  const alipayPem = options.alipayPrivateKey ?? keys.alipayPrivateKeyPem;
  const alipayKey = parsePrivateKey(alipayPem ?? generatedAlipayKeyPem(), "alipayPrivateKey");
  const alipayPublicKey = parsePublicKey(alipayKey.publicPem, "alipayPrivateKey");
  for (const partner of partners.values()) {
    if (partner.merchantPublicKey?.pem === alipayPublicKey.pem)
      fail(`alipayPrivateKey: is the merchant key of ${partner.partner}; the sandbox needs its own key pair`);
  }

  const timeScale = number(options.timeScale, "timeScale", 0, 1000, 1);
  const scheduleInput = options.notifySchedule ?? DEFAULT_NOTIFY_SCHEDULE_MS;
  if (!Array.isArray(scheduleInput)) fail('notifySchedule: expected a list of delays like ["2m","10m"]');
  const notifySchedule = scheduleInput.map((step, index) => {
    const ms = parseDuration(step);
    if (ms === undefined || ms < 0) fail(`notifySchedule[${index}]: expected a delay like "2m" or a number of ms, got ${JSON.stringify(step)}`);
    return ms;
  });
  const defaultQrExpiry = options.defaultQrExpiry ?? "120m";
  if (!IT_B_PAY.test(defaultQrExpiry))
    fail(`defaultQrExpiry: expected an it_b_pay value like "120m", "2h", "1d" or "1c", got ${JSON.stringify(defaultQrExpiry)}`);
  let startTime: Date | undefined;
  if (options.startTime !== undefined) {
    startTime = new Date(options.startTime);
    if (Number.isNaN(startTime.getTime())) fail(`startTime: expected a date or an ISO time, got ${JSON.stringify(options.startTime)}`);
  }
  if (options.log !== undefined && typeof options.log !== "function") fail("log: expected a function (line: string) => void");
  if (options.faults !== undefined && !Array.isArray(options.faults)) fail("faults: expected an array of fault objects");

  return {
    port,
    host,
    partners,
    primary,
    alipayKey,
    alipayPublicKey,
    alipayKeyGenerated: options.alipayPrivateKey === undefined,
    verifyCharset:
      options.verifyCharset === undefined
        ? undefined
        : options.verifyCharset === "UTF-8" || options.verifyCharset === "GBK"
          ? options.verifyCharset
          : fail(`verifyCharset: expected "UTF-8" or "GBK", got ${JSON.stringify(options.verifyCharset)}`),
    notifyTimeScale: number(options.notifyTimeScale, "notifyTimeScale", 0, 1000, timeScale),
    notifySchedule,
    notifyTimeoutMs: number(options.notifyTimeoutMs, "notifyTimeoutMs", 1, 600_000, 15_000, true),
    notifyVerifyWindowMs: number(options.notifyVerifyWindowMs, "notifyVerifyWindowMs", 0, 365 * 86_400_000, 15 * 60_000),
    timeScale,
    barcodeWaitMs: number(options.barcodeWaitMs, "barcodeWaitMs", 0, 86_400_000, 5_000),
    heldChargeMs: number(options.heldChargeMs, "heldChargeMs", 0, 600_000, 3_000, true),
    asyncRefundDelayMs: number(options.asyncRefundDelayMs, "asyncRefundDelayMs", 0, 30 * 86_400_000, 3_000),
    defaultQrExpiry,
    feeRate: number(options.feeRate, "feeRate", 0, 0.5, 0.015),
    settlementDelayDays: number(options.settlementDelayDays, "settlementDelayDays", 0, 30, 0, true),
    filesDir: options.filesDir,
    stateFile: options.stateFile,
    refundPeriodDays: number(options.refundPeriodDays, "refundPeriodDays", 0, 3650, 365),
    signFailures: options.signFailures === true,
    startTime,
    faults: options.faults ?? [],
    log: options.log ?? (() => {}),
  };
}

/**
 * Adds a partner to a running configuration (the admin route and `RunningSandbox.addPartner`).
 * Every partner shares the sandbox's one "Alipay" key, as every merchant of the real gateway does.
 */
export function addPartner(config: SandboxConfig, input: SandboxPartnerOptions): PartnerConfig {
  if (!input || typeof input !== "object") fail("partner: expected an object like { partner, md5Key?, signType?, merchantPublicKey? }");
  const resolved = resolvePartner(input, "", {});
  if (config.partners.has(resolved.partner)) fail(`partner: ${resolved.partner} is already a partner of this sandbox`);
  if (resolved.merchantPublicKey?.pem === config.alipayPublicKey.pem) fail("merchantPublicKey: is the sandbox's Alipay key; a merchant needs its own key pair");
  config.partners.set(resolved.partner, resolved);
  return resolved;
}

/** The keys this run generated, for the state file. */
export function generatedKeys(config: SandboxConfig): GeneratedKeys {
  const merchants: Record<string, { privateKeyPem: string; publicKeyPem: string }> = {};
  for (const partner of config.partners.values()) {
    if (partner.generated && partner.merchantPrivateKeyPem && partner.merchantPublicKeyPem) {
      merchants[partner.partner] = { privateKeyPem: partner.merchantPrivateKeyPem, publicKeyPem: partner.merchantPublicKeyPem };
    }
  }
  return { alipayPrivateKeyPem: config.alipayKeyGenerated ? config.alipayKey.pem : undefined, merchants };
}
