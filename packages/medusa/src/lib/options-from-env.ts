import { MedusaError } from "@medusajs/framework/utils";
import { ALIPAYHK_ENV, clientOptionsFromEnv, type AlipayError } from "@alipayhk/core";
import type { AlipayHkProviderOptions } from "../providers/alipayhk/types";

/** Variable names read before the shared table existed, and the name that replaces each. */
export const DEPRECATED_ALIPAYHK_ENV: Readonly<Record<string, string>> = {
  ALIPAYHK_PUBLIC_KEY: ALIPAYHK_ENV.alipayPublicKey,
};

/** The plugin's own settings, beyond core's client settings. */
export const ALIPAYHK_MEDUSA_ENV = {
  notifyUrl: "ALIPAYHK_NOTIFY_URL",
  subject: "ALIPAYHK_SUBJECT",
} as const;

export interface OptionsFromEnvOptions {
  /** Where a deprecation notice goes (default `console.warn`). */
  warn?: (message: string) => void;
  /** Values used for variables that are not set (e.g. a local sandbox for a demo store). */
  defaults?: Partial<Record<string, string>>;
}

/**
 * The providers' options from the `ALIPAYHK_*` environment variables, read through core's one
 * table of settings (`ALIPAYHK_ENV` / `clientOptionsFromEnv`, the same names the CLI, the webhook
 * adapter and the WooCommerce bridge read; keys inline or as file paths) plus `ALIPAYHK_NOTIFY_URL`
 * and `ALIPAYHK_SUBJECT`. The old `ALIPAYHK_PUBLIC_KEY` is still read, with a deprecation notice,
 * when `ALIPAYHK_ALIPAY_PUBLIC_KEY` is not set. A bad value throws, naming the variable, never
 * echoing a key.
 *
 * @example
 * // medusa-config.ts
 * import { alipayHkOptionsFromEnv } from "@alipayhk/medusa/lib/options-from-env";
 * providers: [{ resolve: "@alipayhk/medusa/providers/alipayhk", id: "alipayhk", options: alipayHkOptionsFromEnv() }]
 */
export function alipayHkOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, options: OptionsFromEnvOptions = {}): AlipayHkProviderOptions {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const merged: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(options.defaults ?? {})) if (value !== undefined) merged[name] = value;
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== "") merged[name] = value;
  for (const [old, current] of Object.entries(DEPRECATED_ALIPAYHK_ENV)) {
    const oldValue = env[old];
    if (oldValue === undefined || oldValue.trim() === "") continue;
    if (env[current] !== undefined && env[current]!.trim() !== "") {
      warn(`@alipayhk/medusa: ${old} is deprecated and ignored because ${current} is set; remove ${old}`);
    } else {
      warn(`@alipayhk/medusa: ${old} is deprecated; rename it to ${current} (the name every alipayhk tool reads)`);
      merged[current] = oldValue;
    }
  }
  let client;
  try {
    client = clientOptionsFromEnv(merged);
  } catch (error) {
    if ((error as AlipayError).type === "config") {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `@alipayhk/medusa: ${(error as Error).message}`);
    }
    throw error;
  }
  const result: AlipayHkProviderOptions = {
    partner: client.partner,
    signType: client.signType,
    md5Key: client.md5Key,
    privateKey: client.privateKey,
    alipayPublicKey: client.alipayPublicKey,
    gateway: client.gateway,
    timeoutMs: client.timeoutMs,
  };
  const notifyUrl = merged[ALIPAYHK_MEDUSA_ENV.notifyUrl];
  if (notifyUrl) result.notifyUrl = notifyUrl;
  const subject = merged[ALIPAYHK_MEDUSA_ENV.subject];
  if (subject) result.subject = subject;
  for (const key of Object.keys(result) as Array<keyof AlipayHkProviderOptions>) if (result[key] === undefined) delete result[key];
  return result;
}
