import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * The buyer's payment code is a bearer credential for about a minute: whoever holds it can charge
 * the buyer's wallet. Medusa's Store API returns a payment session's `data` to the storefront, so
 * the session keeps only a masked copy (`buyer_code`, for display) and the code itself sealed with
 * AES-256-GCM under a key derived from the provider's own secret (`buyer_code_sealed`), which only
 * the provider can open when the cart is completed. Both are dropped once the charge is resolved.
 */

/** `280000000000000003` → `2800**********0003`: enough for the cashier to recognise it. */
export function maskBuyerCode(code: string): string {
  return code.length <= 8 ? "****" : `${code.slice(0, 4)}${"*".repeat(code.length - 8)}${code.slice(-4)}`;
}

function keyOf(secret: string): Buffer {
  return createHash("sha256").update("@alipayhk/medusa buyer code\0").update(secret).digest();
}

/** `v1.<iv>.<ciphertext+tag>` (base64url); the session id is bound in, so a sealed code cannot be moved to another session. */
export function sealBuyerCode(code: string, secret: string, sessionId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secret), iv);
  cipher.setAAD(Buffer.from(sessionId, "utf8"));
  const body = Buffer.concat([cipher.update(code, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

/** The code sealed by {@link sealBuyerCode}, or `undefined` if it was not sealed by this secret for this session. */
export function openBuyerCode(sealed: string, secret: string, sessionId: string): string | undefined {
  const [version, iv, body] = sealed.split(".");
  if (version !== "v1" || !iv || !body) return undefined;
  try {
    const bytes = Buffer.from(body, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", keyOf(secret), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(sessionId, "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
