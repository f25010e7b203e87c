import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { AlipayConfigError } from "../errors";

/** A parsed RSA private key (merchant's, or the sandbox's "Alipay" key). */
export interface PrivateKeyMaterial {
  readonly kind: "private";
  readonly keyObject: KeyObject;
  /** PKCS#8 PEM. */
  readonly pem: string;
  /** SPKI PEM of the matching public key, to detect a key given in the wrong role. */
  readonly publicPem: string;
}

/** A parsed RSA public key (Alipay's, or the merchant's on the sandbox side). */
export interface PublicKeyMaterial {
  readonly kind: "public";
  readonly keyObject: KeyObject;
  /** SPKI PEM. */
  readonly pem: string;
}

const PEM = /-----BEGIN ([A-Z ]+)-----/;

function derFrom(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length < 64) return undefined;
  return Buffer.from(compact, "base64");
}

function tryPrivate(text: string): KeyObject | undefined {
  const pem = PEM.exec(text);
  if (pem) {
    if (!pem[1]!.includes("PRIVATE")) return undefined;
    try {
      return createPrivateKey(text);
    } catch {
      return undefined;
    }
  }
  const der = derFrom(text);
  if (!der) return undefined;
  for (const type of ["pkcs8", "pkcs1"] as const) {
    try {
      return createPrivateKey({ key: der, format: "der", type });
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

function tryPublic(text: string): KeyObject | undefined {
  const pem = PEM.exec(text);
  if (pem) {
    if (!pem[1]!.includes("PUBLIC") || pem[1]!.includes("PRIVATE")) return undefined;
    try {
      return createPublicKey(text);
    } catch {
      return undefined;
    }
  }
  const der = derFrom(text);
  if (!der) return undefined;
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      return createPublicKey({ key: der, format: "der", type });
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

/**
 * Parses an RSA private key given as PEM or bare base64 DER (PKCS#8 or PKCS#1). A public key
 * given here is reported as such; the message names `label` and never echoes the key.
 */
export function parsePrivateKey(text: string, label = "privateKey"): PrivateKeyMaterial {
  if (typeof text !== "string" || text.trim() === "") {
    throw new AlipayConfigError(`${label}: expected an RSA private key (PEM or base64 DER), got nothing`);
  }
  const keyObject = tryPrivate(text.trim());
  if (!keyObject) {
    if (tryPublic(text.trim())) {
      throw new AlipayConfigError(`${label}: this is a public key; a private key belongs here (PKCS#8 or PKCS#1)`);
    }
    throw new AlipayConfigError(`${label}: expected an RSA private key as PEM or base64 DER (PKCS#8 or PKCS#1), could not parse it`);
  }
  if (keyObject.asymmetricKeyType !== "rsa") {
    throw new AlipayConfigError(`${label}: expected an RSA key, got ${keyObject.asymmetricKeyType ?? "another type"}`);
  }
  const pem = keyObject.export({ format: "pem", type: "pkcs8" }).toString();
  const publicPem = createPublicKey(keyObject).export({ format: "pem", type: "spki" }).toString();
  return { kind: "private", keyObject, pem, publicPem };
}

/**
 * Parses an RSA public key given as PEM or bare base64 DER (SPKI, or PKCS#1 RSAPublicKey).
 * A private key given here is reported as such.
 */
export function parsePublicKey(text: string, label = "publicKey"): PublicKeyMaterial {
  if (typeof text !== "string" || text.trim() === "") {
    throw new AlipayConfigError(`${label}: expected an RSA public key (PEM or base64 DER), got nothing`);
  }
  const keyObject = tryPublic(text.trim());
  if (!keyObject) {
    if (tryPrivate(text.trim())) {
      throw new AlipayConfigError(`${label}: this is a private key; a public key belongs here (SPKI)`);
    }
    throw new AlipayConfigError(`${label}: expected an RSA public key as PEM or base64 DER (SPKI), could not parse it`);
  }
  if (keyObject.asymmetricKeyType !== "rsa") {
    throw new AlipayConfigError(`${label}: expected an RSA key, got ${keyObject.asymmetricKeyType ?? "another type"}`);
  }
  const pem = keyObject.export({ format: "pem", type: "spki" }).toString();
  return { kind: "public", keyObject, pem };
}

/** A fresh RSA key pair as PKCS#8 / SPKI PEM, for tests and the sandbox's own "Alipay" key. */
export function generateRsaKeyPair(bits = 2048): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** The bare base64 DER form (one line, no PEM armour), as Alipay's portal shows keys. */
export function toBareBase64(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}
