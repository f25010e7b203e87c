export {
  ALIPAYHK_BARCODE_PROVIDER_ID,
  ALIPAYHK_QR_PROVIDER_ID,
  AlipayHkStoreError,
  createAlipayHkStoreClient,
  findAlipayHkSession,
  isAlipayHkProvider,
  isAlipayHkQr,
  type AlipayHkSessionLike,
  type AlipayHkSessionStatus,
  type AlipayHkStoreClient,
  type AlipayHkStoreClientOptions,
} from "./client";
export { defaultAlipayHkLabels, describeAlipayHkFailure, formatCountdown, normalizeBuyerCode, type AlipayHkLabels } from "./messages";
export { useAlipayHkQrPayment, type AlipayHkQrPaymentState, type AlipayHkQrPhase, type UseAlipayHkQrPaymentOptions } from "./use-qr-payment";
export {
  useAlipayHkBarcodePayment,
  type AlipayHkBarcodePaymentState,
  type AlipayHkBarcodePhase,
  type UseAlipayHkBarcodePaymentOptions,
} from "./use-barcode-payment";
export { AlipayHkBarcodeEntry, AlipayHkQrPayment, type AlipayHkBarcodeEntryProps, type AlipayHkQrPaymentProps } from "./components";
