/**
 * The buyers at the sandbox's till. A barcode payment's outcome is chosen by the buyer's
 * `buyer_identity_code`: the magic codes below pick each outcome a real wallet can produce; any
 * other well-formed code pays from an AlipayHK wallet.
 */
import type { BuyerAccount, Wallet } from "./ledger";

/** The two wallets an HK merchant accepts; the ids are the masked ones of the real captures. */
export const BUYERS: Readonly<Record<Wallet, BuyerAccount>> = {
  ALIPAYHK: { wallet: "ALIPAYHK", userId: "2088042172056571", loginId: "852-****0654" },
  ALIPAYCN: { wallet: "ALIPAYCN", userId: "2088112549401700", loginId: "132****6685" },
};

export type BarcodeBehaviour =
  /** SUCCESS: paid from this wallet. */
  | { kind: "paid"; wallet: Wallet }
  /** FAILED with this error; nothing charged, the trade is closed. */
  | { kind: "failed"; error: string }
  /** UNKNOW (USER_PAYING): the buyer confirms in the app; paid after `barcodeWaitMs`. */
  | { kind: "wait_then_paid"; wallet: Wallet }
  /** UNKNOW (USER_PAYING): waits until the buyer pays or declines on the wallet page, or a cancel. */
  | { kind: "wait_for_buyer" }
  /** UNKNOW (SYSTEM_ERROR), and the charge went through. */
  | { kind: "unknown_charged"; wallet: Wallet }
  /** UNKNOW (SYSTEM_ERROR), and nothing was charged: query says TRADE_CLOSED. */
  | { kind: "unknown_not_charged" }
  /** UNKNOW (SYSTEM_ERROR), nothing charged, trade left WAIT_BUYER_PAY; the first cancel answers retry_flag=Y. */
  | { kind: "unknown_cancel_retry" }
  /** The charge succeeds and the connection is closed without a reply. */
  | { kind: "no_reply_charged"; wallet: Wallet }
  /**
   * The gateway holds the request up to `heldChargeMs` (real ms) before processing it, then charges:
   * a cancel arriving meanwhile finds no trade (SUCCESS, no trade_no) and ends the hold, and the
   * charge lands right after it.
   */
  | { kind: "held_then_paid"; wallet: Wallet };

export interface MagicBuyerCode {
  code: string;
  behaviour: BarcodeBehaviour;
  /** One line for the README table and the startup banner. */
  description: string;
}

export const MAGIC_BUYER_CODES: readonly MagicBuyerCode[] = [
  { code: "280000000000000001", behaviour: { kind: "paid", wallet: "ALIPAYHK" }, description: "SUCCESS, paid with an AlipayHK wallet (payment_inst ALIPAYHK)" },
  {
    code: "280000000000000002",
    behaviour: { kind: "paid", wallet: "ALIPAYCN" },
    description: "SUCCESS, paid with an Alipay (mainland) wallet (payment_inst ALIPAYCN)",
  },
  {
    code: "280000000000000003",
    behaviour: { kind: "failed", error: "BUYER_BALANCE_NOT_ENOUGH" },
    description: "FAILED, error BUYER_BALANCE_NOT_ENOUGH; trade closed, nothing charged",
  },
  {
    code: "280000000000000004",
    behaviour: { kind: "failed", error: "NOT_SUPPORT_PAYMENT_INST" },
    description: "FAILED, error NOT_SUPPORT_PAYMENT_INST; trade closed, nothing charged",
  },
  {
    code: "280000000000000005",
    behaviour: { kind: "wait_then_paid", wallet: "ALIPAYHK" },
    description: "UNKNOW (USER_PAYING); query shows WAIT_BUYER_PAY, then TRADE_SUCCESS after barcodeWaitMs",
  },
  {
    code: "280000000000000006",
    behaviour: { kind: "unknown_charged", wallet: "ALIPAYHK" },
    description: "UNKNOW (SYSTEM_ERROR), but charged: query shows TRADE_SUCCESS",
  },
  { code: "280000000000000007", behaviour: { kind: "unknown_not_charged" }, description: "UNKNOW (SYSTEM_ERROR), not charged: query shows TRADE_CLOSED" },
  {
    code: "280000000000000008",
    behaviour: { kind: "no_reply_charged", wallet: "ALIPAYHK" },
    description: "no reply at all (connection closed) while the charge succeeds",
  },
  {
    code: "280000000000000009",
    behaviour: { kind: "unknown_cancel_retry" },
    description: "UNKNOW (SYSTEM_ERROR), not charged, stays WAIT_BUYER_PAY; the first cancel answers retry_flag=Y",
  },
  {
    code: "280000000000000010",
    behaviour: { kind: "wait_for_buyer" },
    description: "UNKNOW (USER_PAYING); waits for Pay/Decline on the wallet page (or a cancel)",
  },
  {
    code: "280000000000000011",
    behaviour: { kind: "held_then_paid", wallet: "ALIPAYHK" },
    description:
      "held up to heldChargeMs before processing (the client times out); a cancel meanwhile answers SUCCESS without trade_no, then the charge lands: TRADE_SUCCESS",
  },
];

/** The codes whose spot.pay the gateway holds before processing. */
export function isHeldCharge(code: string | undefined): boolean {
  return code !== undefined && BY_CODE.get(code)?.kind === "held_then_paid";
}

const BY_CODE = new Map(MAGIC_BUYER_CODES.map((entry) => [entry.code, entry.behaviour]));

/** A well-formed wallet payment code: core's one definition. */
export { isBuyerCode } from "@alipayhk/core";

/** What happens when this code is charged (call with a well-formed code). */
export function barcodeBehaviour(code: string): BarcodeBehaviour {
  return BY_CODE.get(code) ?? { kind: "paid", wallet: "ALIPAYHK" };
}
