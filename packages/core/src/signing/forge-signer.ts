import forge from "node-forge";
import type { PrivateKeyMaterial, PublicKeyMaterial } from "./keys";
import { md5Equal, normaliseBase64Signature, RSA_DIGEST, toBytes, type Signer } from "./signer";

// Parsing a PEM in forge is slow; keep one parsed key per key material.
const privateCache = new WeakMap<PrivateKeyMaterial, forge.pki.rsa.PrivateKey>();
const publicCache = new WeakMap<PublicKeyMaterial, forge.pki.rsa.PublicKey>();

function forgePrivate(material: PrivateKeyMaterial): forge.pki.rsa.PrivateKey {
  let key = privateCache.get(material);
  if (!key) {
    key = forge.pki.privateKeyFromPem(material.pem) as forge.pki.rsa.PrivateKey;
    privateCache.set(material, key);
  }
  return key;
}

function forgePublic(material: PublicKeyMaterial): forge.pki.rsa.PublicKey {
  let key = publicCache.get(material);
  if (!key) {
    key = forge.pki.publicKeyFromPem(material.pem) as forge.pki.rsa.PublicKey;
    publicCache.set(material, key);
  }
  return key;
}

function forgeMd5Hex(bytes: Buffer, md5Key: string): string {
  const md = forge.md.md5.create();
  md.update(Buffer.concat([bytes, Buffer.from(md5Key, "utf8")]).toString("binary"));
  return md.digest().toHex();
}

function digest(signType: "RSA" | "RSA2", bytes: Buffer): forge.md.MessageDigest {
  const md = RSA_DIGEST[signType] === "sha1" ? forge.md.sha1.create() : forge.md.sha256.create();
  md.update(bytes.toString("binary"));
  return md;
}

/** A pure-JavaScript signer on node-forge; gives the same bytes as `nodeCryptoSigner`. */
export const forgeSigner: Signer = {
  name: "node-forge",
  sign(signType, content, key) {
    if (signType === "MD5") {
      if (!("md5Key" in key)) throw new TypeError("MD5 signing needs an MD5 key");
      return forgeMd5Hex(toBytes(content), key.md5Key);
    }
    if (!("privateKey" in key)) throw new TypeError(`${signType} signing needs an RSA private key`);
    const signature = forgePrivate(key.privateKey).sign(digest(signType, toBytes(content)));
    return forge.util.encode64(signature);
  },
  verify(signType, content, signature, key) {
    if (typeof signature !== "string" || signature === "") return false;
    if (signType === "MD5") {
      if (!("md5Key" in key)) throw new TypeError("MD5 verification needs an MD5 key");
      return md5Equal(forgeMd5Hex(toBytes(content), key.md5Key), signature);
    }
    if (!("publicKey" in key)) throw new TypeError(`${signType} verification needs an RSA public key`);
    try {
      const raw = forge.util.decode64(normaliseBase64Signature(signature));
      return forgePublic(key.publicKey).verify(digest(signType, toBytes(content)).digest().bytes(), raw);
    } catch {
      return false;
    }
  },
};
