export { canonicalize, type GatewayParams } from "./canonical";
export {
  generateRsaKeyPair,
  parsePrivateKey,
  parsePublicKey,
  toBareBase64,
  type PrivateKeyMaterial,
  type PublicKeyMaterial,
} from "./keys";
export {
  isSignType,
  nodeCryptoSigner,
  RSA_DIGEST,
  SIGN_TYPES,
  type SignContent,
  type SignKey,
  type Signer,
  type SignType,
  type VerifyKey,
} from "./signer";
export { forgeSigner } from "./forge-signer";
export { encodeForCharset, signParams, verifyParams, type SignedParams, type VerifyParamsResult } from "./params";
