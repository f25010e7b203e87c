export { createQrPayment, checkPartnerTransId, type CreateQrPaymentInput, type QrPayment } from "./qr";
export {
  BUYER_CODE_PATTERN,
  isBuyerCode,
  payByBarcode,
  resolveOpenCharge,
  type BarcodePaymentResult,
  type BarcodeRecovery,
  type BarcodeStep,
  type PayByBarcodeInput,
} from "./barcode";
export { refundReturn, derivePartnerRefundId, type RefundOutcome, type RefundReturnInput, type RefundReturnResult, type RefundRetry } from "./refund";
export { cancelOrder, type CancelOrderInput, type CancelOrderResult, type CancelRetry } from "./cancel";
export { getPaymentStatus, toNeutralStatus, type NeutralStatus, type PaymentStatusResult } from "./status";
export { sweepOpenTrades, lateChargeRefundId, type OpenRefund, type OpenTrade, type SweepDecision, type SweepOptions, type WatchedTrade } from "./sweep";
export { leavesOutcomeOpen, backoff } from "./retry";
