import { ALIPAYHK_ENV, AlipayError, AlipayHkClient, clientOptionsFromSettings, isSignType, type ClientSetting, type SignType } from "@alipayhk/core";
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
  --sign-type MD5|RSA|RSA2    ALIPAYHK_SIGN_TYPE (default MD5; RSA2 when only a private key is given)
  --md5-key KEY               ALIPAYHK_MD5_KEY
  --private-key FILE|PEM      ALIPAYHK_PRIVATE_KEY (merchant RSA private key: a file path or the key inline)
  --alipay-public-key FILE|PEM ALIPAYHK_ALIPAY_PUBLIC_KEY (Alipay's RSA public key)
  --timeout-ms N              request timeout (default 15000)`;

export function pick(flag: string | undefined, env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = flag ?? env[name];
  return value === undefined || value === "" ? undefined : value;
}

export function resolveSignType(value: string | undefined, flag = "--sign-type"): SignType {
  const signType = (value ?? "MD5").toUpperCase();
  if (!isSignType(signType)) throw new UsageError(`${flag}: expected MD5, RSA or RSA2, got ${JSON.stringify(value)}`);
  return signType;
}

/** The flag that sets each client setting (every gateway command and `doctor` take the same ones). */
export const FLAG_OF: Record<ClientSetting, string> = {
  gateway: "--gateway",
  partner: "--partner",
  signType: "--sign-type",
  md5Key: "--md5-key",
  privateKey: "--private-key",
  alipayPublicKey: "--alipay-public-key",
  timeoutMs: "--timeout-ms",
};

/**
 * Builds the client from flags, each falling back to its ALIPAYHK_* variable, through core's one
 * settings reader; problems become one-line usage errors naming the flag.
 */
export function clientFromFlags(values: Record<string, unknown>, env: NodeJS.ProcessEnv): AlipayHkClient {
  const v = values as Record<string, string | undefined>;
  const settings: Partial<Record<ClientSetting, string | undefined>> = {};
  for (const [setting, flag] of Object.entries(FLAG_OF) as Array<[ClientSetting, string]>) {
    settings[setting] = pick(v[flag.slice(2)], env, ALIPAYHK_ENV[setting]);
  }
  try {
    return new AlipayHkClient(clientOptionsFromSettings(settings, { labels: FLAG_OF, requireGateway: true }));
  } catch (error) {
    if (error instanceof AlipayError) throw new UsageError(error.message);
    throw error;
  }
}
