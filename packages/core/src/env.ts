import { existsSync, readFileSync, statSync } from "node:fs";
import { AlipayHkClient, type AlipayHkClientOptions } from "./client";
import { AlipayConfigError } from "./errors";
import { isSignType, type SignType } from "./signing/signer";

/**
 * The environment variables from which every alipayhk tool (the CLI, the WooCommerce bridge, the
 * webhook adapter) reads its gateway configuration, keyed by the client option they feed.
 */
export const ALIPAYHK_ENV = {
  gateway: "ALIPAYHK_GATEWAY",
  partner: "ALIPAYHK_PARTNER",
  signType: "ALIPAYHK_SIGN_TYPE",
  md5Key: "ALIPAYHK_MD5_KEY",
  privateKey: "ALIPAYHK_PRIVATE_KEY",
  alipayPublicKey: "ALIPAYHK_ALIPAY_PUBLIC_KEY",
  timeoutMs: "ALIPAYHK_TIMEOUT_MS",
} as const;

/** A client setting that can come from the environment or a flag. */
export type ClientSetting = keyof typeof ALIPAYHK_ENV;

export interface ClientSettingsOptions {
  /** How messages name each setting (a flag such as `--partner`); default: its ALIPAYHK_* variable. */
  labels?: Partial<Record<ClientSetting, string>>;
  /** Refuse a missing gateway instead of defaulting to production. */
  requireGateway?: boolean;
}

const BASE64_KEY = /^[A-Za-z0-9+/=\s]{64,}$/;

function isFile(path: string): boolean {
  try {
    return path.length < 4096 && existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A secret given inline or as a path to a file. A key (`kind: "key"`) is inline when it holds a
 * PEM header or is long base64; an MD5 key (`kind: "text"`) is inline unless it names a file.
 * Messages name `label` and, for a path, the path; never the secret.
 */
export function readInlineOrFile(value: string, label: string, kind: "key" | "text"): string {
  const raw = value.trim();
  if (raw.includes("-----BEGIN")) return raw.replace(/\\n/g, "\n");
  if (isFile(raw)) {
    let text: string;
    try {
      text = readFileSync(raw, "utf8").trim();
    } catch (error) {
      throw new AlipayConfigError(`${label}: cannot read file ${JSON.stringify(raw)} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (text === "") throw new AlipayConfigError(`${label}: file ${JSON.stringify(raw)} is empty`);
    return text;
  }
  if (kind === "key" && BASE64_KEY.test(raw)) return raw.replace(/\s+/g, "");
  if (kind === "text" && !/[/\\]/.test(raw)) return raw;
  // Echo the value only when it is plainly a file name: a mistyped inline key must not be printed.
  if (/\.(pem|key|txt|der|pub|crt|cer)$/i.test(raw) && raw.length < 1024) {
    throw new AlipayConfigError(
      `${label}: cannot read file ${JSON.stringify(raw)} (ENOENT); expected ${kind === "key" ? "a key file path or the key inline (PEM or base64)" : "the key inline or a file path"}`,
    );
  }
  throw new AlipayConfigError(
    `${label}: neither a readable file nor ${kind === "key" ? "an inline PEM/base64 key" : "an inline key"} (${raw.length} characters given)`,
  );
}

/**
 * Client options from settings given as text (environment variables or flags), checked the one
 * way every tool checks them: keys read inline or from files, the sign type defaulting to MD5 when
 * only an MD5 key is given and to RSA2 when a private key is, and the whole validated by building
 * the client once. Every error is an `AlipayConfigError` whose message starts with the setting's
 * label (its variable or flag) and never holds a key.
 */
export function clientOptionsFromSettings(
  settings: Partial<Record<ClientSetting, string | undefined>>,
  options: ClientSettingsOptions = {},
): AlipayHkClientOptions {
  const label = (setting: ClientSetting) => options.labels?.[setting] ?? ALIPAYHK_ENV[setting];
  const get = (setting: ClientSetting) => {
    const value = settings[setting]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const gateway = get("gateway");
  if (!gateway && options.requireGateway) {
    throw new AlipayConfigError(`${label("gateway")}: required: a URL or production, production-global, alipay-sandbox`);
  }
  const partner = get("partner");
  if (!partner) throw new AlipayConfigError(`${label("partner")}: required (16 digits starting with 2088)`);
  const md5Text = get("md5Key");
  const privateText = get("privateKey");
  const signTypeText = (get("signType") ?? (privateText && !md5Text ? "RSA2" : "MD5")).toUpperCase();
  if (!isSignType(signTypeText)) {
    throw new AlipayConfigError(`${label("signType")}: expected MD5, RSA or RSA2, got ${JSON.stringify(get("signType"))}`);
  }
  const signType: SignType = signTypeText;
  const timeoutText = get("timeoutMs");
  const timeoutMs = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutMs !== undefined && (!/^[0-9]+$/.test(timeoutText!) || timeoutMs < 1 || timeoutMs > 600_000)) {
    throw new AlipayConfigError(`${label("timeoutMs")}: expected a whole number of milliseconds from 1 to 600000, got ${JSON.stringify(timeoutText)}`);
  }
  const result: AlipayHkClientOptions = { partner, signType, gateway, timeoutMs };
  if (signType === "MD5") {
    if (!md5Text) throw new AlipayConfigError(`${label("md5Key")}: required for sign type MD5`);
    result.md5Key = readInlineOrFile(md5Text, label("md5Key"), "text");
  } else {
    if (!privateText) throw new AlipayConfigError(`${label("privateKey")}: required for sign type ${signType} (the merchant's RSA private key)`);
    result.privateKey = readInlineOrFile(privateText, label("privateKey"), "key");
    const publicText = get("alipayPublicKey");
    if (!publicText) throw new AlipayConfigError(`${label("alipayPublicKey")}: required for sign type ${signType} (Alipay's RSA public key)`);
    result.alipayPublicKey = readInlineOrFile(publicText, label("alipayPublicKey"), "key");
  }
  try {
    new AlipayHkClient(result);
  } catch (error) {
    if (!(error instanceof AlipayConfigError)) throw error;
    // Core names its options in camelCase; say which variable or flag it was.
    const option = /^(\w+):/.exec(error.message)?.[1] as ClientSetting | undefined;
    if (option && option in ALIPAYHK_ENV) throw new AlipayConfigError(error.message.replace(/^\w+:/, `${label(option)}:`));
    throw error;
  }
  return result;
}

/** {@link clientOptionsFromSettings} over the `ALIPAYHK_*` environment variables. */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, options: ClientSettingsOptions = {}): AlipayHkClientOptions {
  const settings: Partial<Record<ClientSetting, string | undefined>> = {};
  for (const [setting, variable] of Object.entries(ALIPAYHK_ENV)) settings[setting as ClientSetting] = env[variable];
  return clientOptionsFromSettings(settings, options);
}
