/**
 * Alipay's failure codes, in words a buyer (or a cashier) can act on. Codes not listed get a
 * general message; the code itself is always available to show in small print or to log.
 */
const FAILURES: Record<string, string> = {
  BUYER_BALANCE_NOT_ENOUGH: "The wallet balance is not enough for this payment. Top up the wallet or pay another way.",
  BUYER_BANKCARD_BALANCE_NOT_ENOUGH: "The card linked to the wallet does not have enough funds. Choose another card in the wallet or pay another way.",
  NOT_SUPPORT_PAYMENT_INST: "This wallet cannot pay this shop. Pay with AlipayHK or Alipay, or pay another way.",
  SOUNDWAVE_PARSER_FAIL: "That payment code could not be read. Refresh the code in the wallet and scan it again.",
  PAYMENT_AUTH_CODE_INVALID: "That payment code has expired or was already used. Refresh the code in the wallet and scan it again.",
  BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR: "This payment is over the wallet's daily limit. Pay another way.",
  BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR: "This payment is over the wallet's monthly limit. Pay another way.",
  BEYOND_PAY_RESTRICTION: "This payment is over the wallet's limit. Pay another way.",
  BEYOND_PER_RECEIPT_RESTRICTION: "This payment is over the wallet's limit for a single payment. Pay another way.",
  ERROR_BUYER_CERTIFY_LEVEL_LIMIT: "The wallet needs to be verified before it can make this payment. Verify it in the app or pay another way.",
  ERROR_BALANCE_PAYMENT_DISABLE: "Paying from the wallet balance is turned off for this account. Pay another way.",
  USER_FACE_PAYMENT_SWITCH_OFF: "Paying by code is turned off in this wallet. Turn it on in the app or pay another way.",
  MOBILE_PAYMENT_SWITCH_OFF: "Mobile payment is turned off in this wallet. Turn it on in the app or pay another way.",
  BUYER_ENABLE_STATUS_FORBID: "This wallet cannot make payments at the moment. Pay another way.",
  PAYMENT_REQUEST_HAS_RISK: "The wallet declined this payment for security reasons. Pay another way.",
  PAYMENT_FAIL: "The payment did not go through. Nothing was charged; try again or pay another way.",
  CLIENT_VERSION_NOT_MATCH: "The wallet app needs an update before it can pay. Update it and try again.",
  BUYER_SELLER_EQUAL: "A shop's own account cannot pay the shop. Use another wallet.",
  TRADE_HAS_CLOSE: "This payment was closed. Start a new payment.",
  TRADE_HAS_SUCCESS: "This payment was already made.",
  CURRENCY_NOT_SUPPORT: "This shop's currency is not accepted by Alipay HK.",
  SYSTEM_ERROR: "Alipay HK could not take the payment just now. Nothing was charged; try again in a moment.",
};

/** A sentence for the buyer about why Alipay refused a payment (never the raw code alone). */
export function describeAlipayHkFailure(code: string | null | undefined): string {
  if (code && FAILURES[code]) return FAILURES[code]!;
  return "The payment was declined. Nothing was charged; try again or pay another way.";
}

/** The messages the components show, so a shop can translate or reword them. */
export interface AlipayHkLabels {
  scanToPay: string;
  openInApp: string;
  expiresIn: (clock: string) => string;
  expired: string;
  newCode: string;
  renewing: string;
  paidPlacingOrder: string;
  orderPlaced: string;
  tryAgain: string;
  loadFailed: string;
  completeFailed: string;
  renewFailed: string;
  connectionProblem: string;
  loading: string;
  barcodeLabel: string;
  barcodeHint: string;
  barcodeSubmit: string;
  barcodeCharging: string;
  barcodePaid: (wallet: string | null) => string;
  barcodeInvalid: string;
  barcodeClosed: string;
  barcodeUnresolved: string;
  barcodeAnother: string;
}

export const defaultAlipayHkLabels: AlipayHkLabels = {
  scanToPay: "Scan with AlipayHK or Alipay to pay",
  openInApp: "On your phone? Open AlipayHK to pay",
  expiresIn: (clock) => `This code expires in ${clock}`,
  expired: "This QR code has expired. Nothing was charged.",
  newCode: "Show a new QR code",
  renewing: "Getting a new QR code…",
  paidPlacingOrder: "Payment received. Placing your order…",
  orderPlaced: "Payment received. Your order is placed.",
  tryAgain: "Try again",
  loadFailed: "We couldn't load the QR code. Nothing was charged.",
  completeFailed: "Your payment was received, but the order is not placed yet. Try again: you will not be charged twice.",
  renewFailed: "We couldn't get a new QR code. Nothing was charged.",
  connectionProblem: "We can't reach the shop right now. Still checking for your payment…",
  loading: "Loading the QR code…",
  barcodeLabel: "Buyer's payment code",
  barcodeHint: "Scan or type the 16 to 24 digits under the barcode in the buyer's AlipayHK or Alipay app.",
  barcodeSubmit: "Charge",
  barcodeCharging: "Charging… the buyer may need to confirm in the app.",
  barcodePaid: (wallet) => `Paid${wallet ? ` with ${wallet === "ALIPAYCN" ? "Alipay" : wallet === "ALIPAYHK" ? "AlipayHK" : wallet}` : ""}.`,
  barcodeInvalid: "Enter the 16 to 24 digit payment code from the buyer's AlipayHK or Alipay app (it starts with 25 to 30).",
  barcodeClosed: "The payment was cancelled and nothing was charged. Ask the buyer to refresh the code and try again.",
  barcodeUnresolved: "Alipay has not confirmed the payment yet. Do not charge again: the shop checks it and places the order once it is confirmed.",
  barcodeAnother: "Try another code",
};

/** `ms` as `m:ss` (or `h:mm:ss`). */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A well-formed wallet payment code: 16-24 digits starting with 25-30 (spaces ignored). */
export function normalizeBuyerCode(input: string): string | undefined {
  const code = input.replace(/[\s-]+/g, "");
  return /^(2[5-9]|30)\d{14,22}$/.test(code) ? code : undefined;
}
