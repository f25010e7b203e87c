import { readFileSync, statSync } from "node:fs";
import { AlipayError, AlipayHkClient, isSignType, parsePrivateKey, parsePublicKey, type SignType } from "@alipayhk/core";
import { UsageError } from "./io";

/** The flags every gateway command shares, each with its env fallback. */
export const GATEWAY_FLAGS = {
  gateway: { type: "string" },
  partner: { type: "string" },
  "sign-type": { type: "string" },
  "md5-key": { type: "string" },
  "private-key": { type: "string" },
  "alipay-public-key": { type: "string" },
  "timeout-ms": { type: "string" },
} as const;

export const GATEWAY_FLAGS_HELP = `Gateway options (flag, or environment variable):
  --gateway URL|PRESET        ALIPAYHK_GATEWAY (production, production-global, alipay-sandbox, or a URL)
  --partner ID                ALIPAYHK_PARTNER (16 digits starting with 2088)
  --sign-type MD5|RSA|RSA2    ALIPAYHK_SIGN_TYPE (default MD5)
  --md5-key KEY               ALIPAYHK_MD5_KEY
  --private-key FILE|PEM      ALIPAYHK_PRIVATE_KEY (merchant RSA private key: a file path or the key inline)
  --alipay-public-key FILE|PEM ALIPAYHK_ALIPAY_PUBLIC_KEY (Alipay's RSA public key)
  --timeout-ms N              request timeout (default 15000)`;

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/**
 * Reads a key given as a file path or inline (PEM or bare base64). Errors name the flag and,
 * for a path, the path; never the key itself.
 */
export function readKeyText(value: string, flag: string): string {
  const trimmed = value.trim();
  if (trimmed.includes("-----BEGIN")) return trimmed;
  let isFile = false;
  try {
    isFile = statSync(trimmed).isFile();
  } catch {
    isFile = false;
  }
  if (isFile) {
    try {
      return readFileSync(trimmed, "utf8");
    } catch (error) {
      throw new UsageError(`${flag}: cannot read file ${JSON.stringify(trimmed)} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (BASE64.test(trimmed) && trimmed.replace(/\s/g, "").length >= 64) return trimmed;
  const shown = trimmed.length > 80 ? `${trimmed.slice(0, 80)}…` : trimmed;
  throw new UsageError(`${flag}: cannot read file ${JSON.stringify(shown)} (ENOENT); expected a key file path or the key inline`);
}

export function pick(flag: string | undefined, env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = flag ?? env[name];
  return value === undefined || value === "" ? undefined : value;
}

export function resolveSignType(value: string | undefined, flag = "--sign-type"): SignType {
  const signType = (value ?? "MD5").toUpperCase();
  if (!isSignType(signType)) throw new UsageError(`${flag}: expected MD5, RSA or RSA2, got ${JSON.stringify(value)}`);
  return signType;
}

/** Builds the client from flags and env; configuration errors become one-line usage errors. */
export function clientFromFlags(values: Record<string, unknown>, env: NodeJS.ProcessEnv): AlipayHkClient {
  const v = values as Record<string, string | undefined>;
  const partner = pick(v.partner, env, "ALIPAYHK_PARTNER");
  if (!partner) throw new UsageError("--partner: required (or set ALIPAYHK_PARTNER)");
  const gateway = pick(v.gateway, env, "ALIPAYHK_GATEWAY");
  if (!gateway) throw new UsageError("--gateway: required (or set ALIPAYHK_GATEWAY): a URL or production, production-global, alipay-sandbox");
  const signType = resolveSignType(pick(v["sign-type"], env, "ALIPAYHK_SIGN_TYPE"));
  const timeoutText = v["timeout-ms"];
  const timeoutMs = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) {
    throw new UsageError(`--timeout-ms: expected a positive whole number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  }
  const md5Key = signType === "MD5" ? pick(v["md5-key"], env, "ALIPAYHK_MD5_KEY") : undefined;
  if (signType === "MD5" && !md5Key) throw new UsageError("--md5-key: required for sign type MD5 (or set ALIPAYHK_MD5_KEY)");
  let privateKey: string | undefined;
  let alipayPublicKey: string | undefined;
  if (signType !== "MD5") {
    const pk = pick(v["private-key"], env, "ALIPAYHK_PRIVATE_KEY");
    const apk = pick(v["alipay-public-key"], env, "ALIPAYHK_ALIPAY_PUBLIC_KEY");
    if (!pk) throw new UsageError(`--private-key: required for sign type ${signType} (or set ALIPAYHK_PRIVATE_KEY)`);
    if (!apk) throw new UsageError(`--alipay-public-key: required for sign type ${signType} (or set ALIPAYHK_ALIPAY_PUBLIC_KEY)`);
    privateKey = readKeyText(pk, "--private-key");
    alipayPublicKey = readKeyText(apk, "--alipay-public-key");
  }
  try {
    return new AlipayHkClient({ partner, signType, md5Key, privateKey, alipayPublicKey, gateway, timeoutMs });
  } catch (error) {
    if (error instanceof AlipayError) throw new UsageError(cliName(error.message));
    throw error;
  }
}

/** Core names options in camelCase; the CLI user knows them as flags. */
export function cliName(message: string): string {
  return message
    .replace(/^partner:/, "--partner:")
    .replace(/^md5Key:/, "--md5-key:")
    .replace(/^privateKey:/, "--private-key:")
    .replace(/^alipayPublicKey:/, "--alipay-public-key:")
    .replace(/^gateway:/, "--gateway:")
    .replace(/^signType:/, "--sign-type:");
}

export { parsePrivateKey, parsePublicKey };
