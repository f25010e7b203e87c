import { ALIPAYHK_ENV, DEFAULT_POLICY } from "@alipayhk/core";
import { parse, setting } from "./settings";

/**
 * The `ALIPAYHK_*` settings every alipayhk server reads, declared once (names from core's
 * `ALIPAYHK_ENV`, one meaning each for `--help`). Each is taken as text: core's
 * `clientOptionsFromSettings` judges them together (gateway, partner, key files and roles, sign
 * type, timeout), as it does for the CLI and Medusa, so the values can be handed to it as they are.
 *
 * With `required`, a missing gateway or partner is refused here like any other required setting;
 * without it the gateway defaults to production and core reports a missing partner.
 */
export function alipaySettings(options: { required?: boolean } = {}) {
  const text = parse.text;
  const gatewayMeaning = "production | production-global | alipay-sandbox | a gateway URL";
  const partnerMeaning = "16-digit partner id starting with 2088";
  return {
    gateway: options.required
      ? setting({ env: ALIPAYHK_ENV.gateway, meaning: gatewayMeaning, required: true, parse: text })
      : setting({ env: ALIPAYHK_ENV.gateway, meaning: gatewayMeaning, defaultText: "production", parse: text }),
    partner: options.required
      ? setting({ env: ALIPAYHK_ENV.partner, meaning: partnerMeaning, required: true, parse: text })
      : setting({ env: ALIPAYHK_ENV.partner, meaning: `${partnerMeaning} (required)`, parse: text }),
    signType: setting({ env: ALIPAYHK_ENV.signType, meaning: "MD5 | RSA | RSA2", defaultText: "MD5; RSA2 when only ALIPAYHK_PRIVATE_KEY is set", parse: text }),
    md5Key: setting({ env: ALIPAYHK_ENV.md5Key, meaning: "MD5 key, inline or a file path (sign type MD5)", secret: true, parse: text }),
    privateKey: setting({
      env: ALIPAYHK_ENV.privateKey,
      meaning: "merchant RSA private key (PEM or base64), inline or a file path (RSA, RSA2)",
      secret: true,
      parse: text,
    }),
    alipayPublicKey: setting({
      env: ALIPAYHK_ENV.alipayPublicKey,
      meaning: "Alipay's RSA public key (PEM or base64), inline or a file path (RSA, RSA2)",
      parse: text,
    }),
    timeoutMs: setting({
      env: ALIPAYHK_ENV.timeoutMs,
      meaning: "per-request gateway timeout in ms, 1 to 600000",
      defaultText: String(DEFAULT_POLICY.timeoutMs),
      parse: text,
    }),
  };
}
