import { createHash, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify } from "node:crypto";
import type { PrivateKeyMaterial, PublicKeyMaterial } from "./keys";

/** The gateway's signature types: MD5 (key appended), RSA = SHA1withRSA, RSA2 = SHA256withRSA. */
export type SignType = "MD5" | "RSA" | "RSA2";

export const SIGN_TYPES: readonly SignType[] = ["MD5", "RSA", "RSA2"];

export function isSignType(value: unknown): value is SignType {
  return value === "MD5" || value === "RSA" || value === "RSA2";
}

/** What signs: the shared MD5 key, or an RSA private key. */
export type SignKey = { md5Key: string } | { privateKey: PrivateKeyMaterial };
/** What verifies: the shared MD5 key, or an RSA public key. */
export type VerifyKey = { md5Key: string } | { publicKey: PublicKeyMaterial };

/** The signature content: a string is signed as UTF-8; pass bytes for another charset (GBK). */
export type SignContent = string | Uint8Array;

/**
 * The signing seam. `nodeCryptoSigner` is the default; `forgeSigner` is a pure-JS alternative
 * (for runtimes without node:crypto RSA). Both must give byte-identical signatures.
 */
export interface Signer {
  readonly name: string;
  sign(signType: SignType, content: SignContent, key: SignKey): string;
  verify(signType: SignType, content: SignContent, signature: string, key: VerifyKey): boolean;
}

/** RSA digest per sign type: pinned here so RSA can never silently become SHA-256 or back. */
export const RSA_DIGEST = { RSA: "sha1", RSA2: "sha256" } as const;

export function toBytes(content: SignContent): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

export function md5Hex(content: SignContent, md5Key: string): string {
  // One string update is measurably faster than a Buffer copy plus two updates (hot path).
  if (typeof content === "string")
    return createHash("md5")
      .update(content + md5Key, "utf8")
      .digest("hex");
  return createHash("md5").update(content).update(md5Key, "utf8").digest("hex");
}

/** Constant-time comparison of two MD5 hex signatures (the received one is lower-cased first). */
export function md5Equal(expectedHex: string, receivedHex: string): boolean {
  const a = Buffer.from(expectedHex, "utf8");
  const b = Buffer.from(receivedHex.toLowerCase(), "utf8");
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Form decoding may have turned `+` into spaces; base64 never contains a space. */
export function normaliseBase64Signature(signature: string): string {
  return signature.replace(/ /g, "+").trim();
}

function requireMd5(key: SignKey | VerifyKey, signType: SignType): string {
  if (!("md5Key" in key)) throw new TypeError(`${signType} signing needs an MD5 key`);
  return key.md5Key;
}

/** The default signer on node:crypto. */
export const nodeCryptoSigner: Signer = {
  name: "node:crypto",
  sign(signType, content, key) {
    if (signType === "MD5") return md5Hex(content, requireMd5(key, signType));
    if (!("privateKey" in key)) throw new TypeError(`${signType} signing needs an RSA private key`);
    return cryptoSign(RSA_DIGEST[signType], toBytes(content), key.privateKey.keyObject).toString("base64");
  },
  verify(signType, content, signature, key) {
    if (typeof signature !== "string" || signature === "") return false;
    if (signType === "MD5") return md5Equal(md5Hex(content, requireMd5(key, signType)), signature);
    if (!("publicKey" in key)) throw new TypeError(`${signType} verification needs an RSA public key`);
    const sig = Buffer.from(normaliseBase64Signature(signature), "base64");
    if (sig.length === 0) return false;
    return cryptoVerify(RSA_DIGEST[signType], toBytes(content), key.publicKey.keyObject, sig);
  },
};
